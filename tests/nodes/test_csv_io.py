from __future__ import annotations

from pathlib import Path

import pytest
from helpers import run_node

from kailash_cli.nodes.files import FileAccessError


def test_reader_with_header(tmp_path: Path) -> None:
    (tmp_path / "c.csv").write_text('id,name\n1,Ada\n2,"Grace, H"\n', encoding="utf-8")
    assert run_node("CSVReaderNode", {"file_path": "c.csv"}, base_dir=tmp_path) == {
        "data": [{"id": "1", "name": "Ada"}, {"id": "2", "name": "Grace, H"}]
    }


def test_reader_without_header(tmp_path: Path) -> None:
    (tmp_path / "c.csv").write_text("1,Ada\n2,Grace\n", encoding="utf-8")
    assert run_node("CSVReaderNode", {"file_path": "c.csv", "has_header": False}, base_dir=tmp_path) == {
        "data": [["1", "Ada"], ["2", "Grace"]]
    }


def test_reader_delimiter(tmp_path: Path) -> None:
    (tmp_path / "c.csv").write_text("id;total\n1;2,5\n", encoding="utf-8")
    assert run_node("CSVReaderNode", {"file_path": "c.csv", "delimiter": ";"}, base_dir=tmp_path) == {
        "data": [{"id": "1", "total": "2,5"}]
    }


def test_reader_empty_file(tmp_path: Path) -> None:
    (tmp_path / "c.csv").write_text("", encoding="utf-8")
    assert run_node("CSVReaderNode", {"file_path": "c.csv"}, base_dir=tmp_path) == {"data": []}


def test_reader_missing_file(tmp_path: Path) -> None:
    with pytest.raises(FileAccessError) as info:
        run_node("CSVReaderNode", {"file_path": "none.csv"}, base_dir=tmp_path)
    assert str(info.value) == f"file not found: {tmp_path / 'none.csv'}"


def test_reader_encoding(tmp_path: Path) -> None:
    (tmp_path / "c.csv").write_bytes("name\nJosé\n".encode("latin-1"))
    assert run_node("CSVReaderNode", {"file_path": "c.csv", "encoding": "latin-1"}, base_dir=tmp_path) == {
        "data": [{"name": "José"}]
    }


def test_writer_from_mappings_uses_every_key_as_header(tmp_path: Path) -> None:
    rows = [{"id": 1, "name": "Ada"}, {"id": 2, "tier": "gold"}]
    out = run_node("CSVWriterNode", {"file_path": "out/r.csv", "data": rows}, base_dir=tmp_path)
    assert out == {"file_path": str(tmp_path / "out" / "r.csv"), "rows": 2}
    assert (tmp_path / "out" / "r.csv").read_bytes() == b"id,name,tier\r\n1,Ada,\r\n2,,gold\r\n"


def test_writer_from_lists_and_scalars_with_delimiter(tmp_path: Path) -> None:
    rows = [["a", "b;c"], [1, 2], "single"]
    out = run_node("CSVWriterNode", {"file_path": "r.csv", "data": rows, "delimiter": ";"}, base_dir=tmp_path)
    assert out == {"file_path": str(tmp_path / "r.csv"), "rows": 3}
    assert (tmp_path / "r.csv").read_bytes() == b'a;"b;c"\r\n1;2\r\nsingle\r\n'


def test_writer_roundtrip_through_reader(tmp_path: Path) -> None:
    rows = [{"id": "1", "note": 'says "hi",\nthen leaves'}]
    run_node("CSVWriterNode", {"file_path": "r.csv", "data": rows}, base_dir=tmp_path)
    assert run_node("CSVReaderNode", {"file_path": "r.csv"}, base_dir=tmp_path) == {"data": rows}


def test_writer_refuses_data_that_is_not_a_list(tmp_path: Path) -> None:
    with pytest.raises(TypeError) as info:
        run_node("CSVWriterNode", {"file_path": "r.csv", "data": {"a": 1}}, base_dir=tmp_path)
    assert str(info.value) == "data must be a list of rows, got dict"
    assert list(tmp_path.iterdir()) == []


class Unprintable:
    def __str__(self) -> str:
        raise RuntimeError("cannot format this value")


def test_writer_failing_midway_leaves_the_old_file_and_no_temp_file(tmp_path: Path) -> None:
    (tmp_path / "r.csv").write_text("old,content\n", encoding="utf-8")
    rows = [{"a": 1}] * 100 + [{"a": Unprintable()}]
    with pytest.raises(TypeError, match=r"^data\[100\]\.a is Unprintable: a CSV cell holds text"):
        run_node("CSVWriterNode", {"file_path": "r.csv", "data": rows}, base_dir=tmp_path)
    assert (tmp_path / "r.csv").read_text(encoding="utf-8") == "old,content\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["r.csv"]


@pytest.mark.parametrize(
    ("rows", "message"),
    [
        ([{"x": 1}, {"y": 2}, 5], "row 3 is int; rows must be all mappings or all lists"),
        ([["a", "b"], {"x": 1}], "row 2 is dict; rows must be all mappings or all lists"),
    ],
)
def test_writer_refuses_rows_mixing_mappings_with_other_rows(
    tmp_path: Path, rows: list, message: str
) -> None:
    with pytest.raises(TypeError) as info:
        run_node("CSVWriterNode", {"file_path": "r.csv", "data": rows}, base_dir=tmp_path)
    assert str(info.value) == message
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ({1, 2}, r"^data\[1\]\.v is set: a CSV cell holds text, a number or null"),
        ({"a": 1}, r"^data\[1\]\.v is dict"),
        (float("nan"), r"^data\[1\]\.v is nan: a CSV cell cannot hold NaN or Infinity"),
        (object(), r"^data\[1\]\.v is object"),
    ],
)
def test_writer_never_writes_a_lossy_form(tmp_path: Path, value: object, message: str) -> None:
    rows = [{"v": "fine"}, {"v": value}]
    with pytest.raises((TypeError, ValueError), match=message):
        run_node("CSVWriterNode", {"file_path": "r.csv", "data": rows}, base_dir=tmp_path)
    assert list(tmp_path.iterdir()) == []


def test_writer_writes_dates_decimals_and_uuids_as_their_exact_text(tmp_path: Path) -> None:
    import datetime as dt
    import uuid
    from decimal import Decimal

    when, key = dt.datetime(2026, 1, 2, 3, 4, 5), uuid.UUID(int=7)
    rows = [["a", 1, 2.5, True, None], [when, Decimal("0.10"), key, dt.date(2026, 1, 2), ""]]
    run_node("CSVWriterNode", {"file_path": "r.csv", "data": rows}, base_dir=tmp_path)
    assert (tmp_path / "r.csv").read_text().splitlines() == [
        "a,1,2.5,True,",
        f"2026-01-02T03:04:05,0.10,{key},2026-01-02,",
    ]


@pytest.mark.parametrize("chunk_size", [None, 2])
@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("id,name\n1,a\n2,b,extra\n", "r.csv: data row 2 has 3 fields, the header 2"),
        ("id,name\n1,a\n2\n", "r.csv: data row 2 has 1 field, the header 2"),
    ],
)
def test_reader_refuses_ragged_rows_naming_them(
    tmp_path: Path, text: str, message: str, chunk_size: int | None
) -> None:
    (tmp_path / "r.csv").write_text(text, encoding="utf-8")
    params = {"file_path": "r.csv", **({"chunk_size": chunk_size} if chunk_size else {})}
    with pytest.raises(ValueError, match=message):
        data = run_node("CSVReaderNode", params, base_dir=tmp_path)["data"]
        list(data.items())  # a stream is read as it is consumed


@pytest.mark.parametrize("chunk_size", [None, 10])
def test_reader_refuses_a_header_that_names_a_column_twice(tmp_path: Path, chunk_size: int | None) -> None:
    (tmp_path / "r.csv").write_text("id,name,id\n1,a,2\n", encoding="utf-8")
    params = {"file_path": "r.csv", **({"chunk_size": chunk_size} if chunk_size else {})}
    with pytest.raises(ValueError) as info:
        run_node("CSVReaderNode", params, base_dir=tmp_path)
    assert str(info.value) == (
        "r.csv: the header names 'id' more than once; a row would keep only the last of those "
        "columns: give each column its own name"
    )


def test_reader_drops_a_byte_order_mark(tmp_path: Path) -> None:
    (tmp_path / "r.csv").write_bytes(b"\xef\xbb\xbfid,name\n1,a\n")
    rows = run_node("CSVReaderNode", {"file_path": "r.csv"}, base_dir=tmp_path)["data"]
    assert rows == [{"id": "1", "name": "a"}]


def test_reader_of_a_file_in_another_encoding_says_where(tmp_path: Path) -> None:
    (tmp_path / "c.csv").write_bytes("name\nJosé\n".encode("latin-1"))
    with pytest.raises(FileAccessError) as info:
        run_node("CSVReaderNode", {"file_path": "c.csv"}, base_dir=tmp_path)
    assert str(info.value) == f"{tmp_path / 'c.csv'} is not utf-8 text (byte 8)"


def test_writer_of_rows_with_number_keys_refuses_them(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="dict contains fields not in fieldnames: 1"):
        run_node("CSVWriterNode", {"file_path": "n.csv", "data": [{1: "a"}]}, base_dir=tmp_path)


def test_a_stream_whose_header_is_not_utf8_says_where(tmp_path: Path) -> None:
    (tmp_path / "c.csv").write_bytes("namé,id\n1,2\n".encode("latin-1"))
    with pytest.raises(FileAccessError) as info:
        run_node("CSVReaderNode", {"file_path": "c.csv", "chunk_size": 5}, base_dir=tmp_path)
    assert str(info.value) == f"{tmp_path / 'c.csv'} is not utf-8 text (byte 3)"

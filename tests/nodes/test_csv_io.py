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
    with pytest.raises(RuntimeError, match="^cannot format this value$"):
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


def test_reader_of_a_file_in_another_encoding_says_where(tmp_path: Path) -> None:
    (tmp_path / "c.csv").write_bytes("name\nJosé\n".encode("latin-1"))
    with pytest.raises(FileAccessError) as info:
        run_node("CSVReaderNode", {"file_path": "c.csv"}, base_dir=tmp_path)
    assert str(info.value) == f"{tmp_path / 'c.csv'} is not utf-8 text (byte 8)"


def test_writer_of_rows_with_number_keys_refuses_them(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="dict contains fields not in fieldnames: 1"):
        run_node("CSVWriterNode", {"file_path": "n.csv", "data": [{1: "a"}]}, base_dir=tmp_path)

from __future__ import annotations

import json
from pathlib import Path

import pytest
from helpers import run_node

from kailash_cli.nodes.files import FileAccessError


def test_reader_decodes_json(tmp_path: Path) -> None:
    (tmp_path / "d.json").write_text('{"users": [{"id": 1, "ok": true, "x": null}]}', encoding="utf-8")
    assert run_node("JSONReaderNode", {"file_path": "d.json"}, base_dir=tmp_path) == {
        "data": {"users": [{"id": 1, "ok": True, "x": None}]}
    }


def test_reader_invalid_json_names_file_line_and_column(tmp_path: Path) -> None:
    (tmp_path / "d.json").write_text('{\n  "a": 1,\n  "b": oops\n}\n', encoding="utf-8")
    with pytest.raises(ValueError) as info:
        run_node("JSONReaderNode", {"file_path": "d.json"}, base_dir=tmp_path)
    assert str(info.value) == "d.json:3:8: invalid JSON: Expecting value"


def test_reader_missing_file(tmp_path: Path) -> None:
    with pytest.raises(FileAccessError) as info:
        run_node("JSONReaderNode", {"file_path": "none.json"}, base_dir=tmp_path)
    assert str(info.value) == f"file not found: {tmp_path / 'none.json'}"


def test_writer_writes_indented_utf8_json(tmp_path: Path) -> None:
    data = {"name": "José", "rows": [1, 2]}
    params = {"file_path": "out/r.json", "data": data, "indent": 2}
    out = run_node("JSONWriterNode", params, base_dir=tmp_path)
    assert out == {"file_path": str(tmp_path / "out" / "r.json")}
    assert (tmp_path / "out" / "r.json").read_text(
        encoding="utf-8"
    ) == '{\n  "name": "José",\n  "rows": [\n    1,\n    2\n  ]\n}\n'
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["r.json"]


def test_writer_compact_and_non_json_values_as_text(tmp_path: Path) -> None:
    from datetime import date

    run_node(
        "JSONWriterNode",
        {"file_path": "r.json", "data": {"d": date(2026, 1, 2)}, "indent": None},
        base_dir=tmp_path,
    )
    assert (tmp_path / "r.json").read_text(encoding="utf-8") == '{"d": "2026-01-02"}\n'


def test_writer_roundtrip(tmp_path: Path) -> None:
    data = [{"a": [1, {"b": None}]}, "x", 1.5, True]
    run_node("JSONWriterNode", {"file_path": "r.json", "data": data}, base_dir=tmp_path)
    assert run_node("JSONReaderNode", {"file_path": "r.json"}, base_dir=tmp_path) == {"data": data}
    assert json.loads((tmp_path / "r.json").read_text(encoding="utf-8")) == data


class Unprintable:
    def __str__(self) -> str:
        raise RuntimeError("cannot format this value")


def test_writer_failure_leaves_the_old_file_and_no_temp_file(tmp_path: Path) -> None:
    (tmp_path / "r.json").write_text('{"old": true}\n', encoding="utf-8")
    with pytest.raises(TypeError) as info:
        run_node("JSONWriterNode", {"file_path": "r.json", "data": {"v": Unprintable()}}, base_dir=tmp_path)
    assert str(info.value) == (
        "data.v is Unprintable: JSON cannot represent it and the writer does not write a lossy "
        "form; convert it (to text or a number) before writing"
    )
    assert (tmp_path / "r.json").read_text(encoding="utf-8") == '{"old": true}\n'
    assert sorted(p.name for p in tmp_path.iterdir()) == ["r.json"]


def test_writer_over_a_folder_is_a_clear_error(tmp_path: Path) -> None:
    (tmp_path / "r.json").mkdir()
    with pytest.raises(FileAccessError) as info:
        run_node("JSONWriterNode", {"file_path": "r.json", "data": [1]}, base_dir=tmp_path)
    assert str(info.value) == f"cannot write {tmp_path / 'r.json'}: Is a directory"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["r.json"]


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"rows": [{"score": 1.0}, {"score": float("nan")}]}, "data.rows[1].score is NaN"),
        ([1, float("inf")], "data[1] is Infinity"),
        (float("-inf"), "data is -Infinity"),
    ],
)
def test_writer_refuses_nan_and_infinity_and_says_where(tmp_path: Path, data: object, message: str) -> None:
    with pytest.raises(ValueError) as info:
        run_node("JSONWriterNode", {"file_path": "out/r.json", "data": data}, base_dir=tmp_path)
    assert str(info.value) == (
        f"{message}: data contains NaN or Infinity, which JSON cannot "
        "represent; replace it (with null, say) before writing"
    )
    assert not (tmp_path / "out" / "r.json").exists()


# -- JSON Lines ----------------------------------------------------------------------------


def test_jsonl_reader_gives_one_value_a_line_and_skips_blank_lines(tmp_path: Path) -> None:
    (tmp_path / "e.jsonl").write_text('{"a": 1}\n\n[2, 3]\n"x"\n  \nnull\n', encoding="utf-8")
    out = run_node("JSONReaderNode", {"file_path": "e.jsonl"}, base_dir=tmp_path)
    assert out == {"data": [{"a": 1}, [2, 3], "x", None]}


def test_jsonl_format_is_explicit_or_from_the_suffix(tmp_path: Path) -> None:
    (tmp_path / "e.txt").write_text('{"a": 1}\n{"a": 2}\n', encoding="utf-8")
    (tmp_path / "e.ndjson").write_text('{"a": 1}\n', encoding="utf-8")
    assert run_node("JSONReaderNode", {"file_path": "e.txt", "format": "jsonl"}, base_dir=tmp_path) == {
        "data": [{"a": 1}, {"a": 2}]
    }
    assert run_node("JSONReaderNode", {"file_path": "e.ndjson"}, base_dir=tmp_path) == {"data": [{"a": 1}]}
    with pytest.raises(ValueError, match="^e.txt:2:1: invalid JSON: Extra data$"):
        run_node("JSONReaderNode", {"file_path": "e.txt"}, base_dir=tmp_path)
    (tmp_path / "one.jsonl").write_text('{"a": [1,\n2]}\n', encoding="utf-8")
    assert run_node("JSONReaderNode", {"file_path": "one.jsonl", "format": "json"}, base_dir=tmp_path) == {
        "data": {"a": [1, 2]}
    }


def test_jsonl_reader_bad_line_is_named(tmp_path: Path) -> None:
    (tmp_path / "e.jsonl").write_text('{"a": 1}\n{"a": 2}\n{"a": oops}\n', encoding="utf-8")
    with pytest.raises(ValueError) as info:
        run_node("JSONReaderNode", {"file_path": "e.jsonl"}, base_dir=tmp_path)
    assert str(info.value) == "e.jsonl:3:7: invalid JSON Lines: Expecting value"


def test_jsonl_writer_writes_one_compact_value_a_line_and_round_trips(tmp_path: Path) -> None:
    from datetime import UTC, datetime
    from decimal import Decimal

    data = [{"name": "José", "n": [1, 2]}, "x", None, {"when": datetime(2026, 1, 2, 3, 4, tzinfo=UTC)}]
    data.append({"price": Decimal("10.25")})
    out = run_node("JSONWriterNode", {"file_path": "out/e.jsonl", "data": data}, base_dir=tmp_path)
    assert out == {"file_path": str(tmp_path / "out" / "e.jsonl")}
    assert (tmp_path / "out" / "e.jsonl").read_text(encoding="utf-8") == (
        '{"name":"José","n":[1,2]}\n"x"\nnull\n{"when":"2026-01-02T03:04:00+00:00"}\n{"price":"10.25"}\n'
    )
    back = run_node("JSONReaderNode", {"file_path": "out/e.jsonl"}, base_dir=tmp_path)["data"]
    assert back[:3] == data[:3]


def test_jsonl_writer_needs_a_list(tmp_path: Path) -> None:
    with pytest.raises(TypeError, match="^format jsonl writes a list, one value a line; data is dict$"):
        run_node("JSONWriterNode", {"file_path": "e.jsonl", "data": {"a": 1}}, base_dir=tmp_path)
    assert not (tmp_path / "e.jsonl").exists()


@pytest.mark.parametrize("file_path", ["r.json", "r.jsonl"])
def test_writer_unserialisable_value_names_its_path_and_keeps_the_old_file(
    tmp_path: Path, file_path: str
) -> None:
    (tmp_path / file_path).write_text("old\n", encoding="utf-8")
    data = [{"id": i, "when": "today"} for i in range(3)] + [{"id": 3, "when": {1, 2}}]
    with pytest.raises(TypeError) as info:
        run_node("JSONWriterNode", {"file_path": file_path, "data": data}, base_dir=tmp_path)
    assert str(info.value).startswith("data[3].when is set: JSON cannot represent it")
    assert (tmp_path / file_path).read_text(encoding="utf-8") == "old\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == [file_path]


def test_writer_names_a_key_json_cannot_hold(tmp_path: Path) -> None:
    with pytest.raises(TypeError, match=r"^data\.rows has a key of type tuple: JSON cannot represent it"):
        run_node(
            "JSONWriterNode", {"file_path": "r.json", "data": {"rows": {(1, 2): "x"}}}, base_dir=tmp_path
        )


def test_jsonl_writer_refuses_nan_naming_the_line(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match=r"^data\[1\]\.score is NaN: "):
        run_node(
            "JSONWriterNode",
            {"file_path": "e.jsonl", "data": [{}, {"score": float("nan")}]},
            base_dir=tmp_path,
        )
    assert not (tmp_path / "e.jsonl").exists()


@pytest.mark.parametrize(
    ("text", "jsonl", "error"),
    [
        ("[1, NaN]", False, "NaN is not a JSON number; the data must hold finite numbers (or null)"),
        (
            '{"a": -Infinity}',
            False,
            "-Infinity is not a JSON number; the data must hold finite numbers (or null)",
        ),
        ("[1e999]", False, "1e999 is too large for a number; write it as text or scale it"),
        (
            '{"a": 1}\n{"b": Infinity}\n',
            True,
            "Infinity is not a JSON number; the data must hold finite numbers (or null)",
        ),
    ],
)
def test_nan_and_infinity_in_json_data_fail_the_reader(
    tmp_path: Path, text: str, jsonl: bool, error: str
) -> None:
    (tmp_path / "d.json").write_text(text)
    params = {"file_path": "d.json", **({"format": "jsonl"} if jsonl else {})}
    with pytest.raises(ValueError) as info:
        run_node("JSONReaderNode", params, base_dir=tmp_path)
    where = "d.json:2" if jsonl else "d.json"
    assert str(info.value) == f"{where}: {error}"

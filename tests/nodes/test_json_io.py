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
    with pytest.raises(RuntimeError, match="^cannot format this value$"):
        run_node("JSONWriterNode", {"file_path": "r.json", "data": {"v": Unprintable()}}, base_dir=tmp_path)
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

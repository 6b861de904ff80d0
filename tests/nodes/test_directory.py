"""DirectoryReaderNode over real folders: patterns, recursion, hidden files, symlinks, the path guard."""

from __future__ import annotations

import os
from datetime import UTC, datetime
from pathlib import Path

import pytest
from helpers import make_ctx, run_node, run_workflow

from kailash_cli.errors import FileAccessError, PathDeniedError
from kailash_cli.nodes.files import FileAccess
from kailash_cli.security.paths import PathGuard


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    logs = tmp_path / "logs"
    for name, text in {
        "b.jsonl": "{}\n",
        "a.jsonl": '{"x": 1}\n',
        "notes.txt": "hi",
        ".hidden.jsonl": "{}\n",
        "2026/01/c.jsonl": "{}\n{}\n",
        ".cache/d.jsonl": "{}\n",
    }.items():
        path = logs / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    os.utime(logs / "a.jsonl", (0, 1_767_225_600.25))  # 2026-01-01T00:00:00.250Z
    return tmp_path


def names(out: dict[str, object]) -> list[str]:
    """The listed paths from the listed folder down (they are absolute)."""
    paths = [str(f["path"]) for f in out["files"]]  # type: ignore[attr-defined]
    assert all(os.path.isabs(p) for p in paths)
    return [p[p.rindex(os.sep + "logs" + os.sep) + 1 :] for p in paths]


def test_lists_matching_files_sorted_with_size_and_utc_time(tree: Path) -> None:
    out = run_node("DirectoryReaderNode", {"directory": "logs", "pattern": "*.jsonl"}, base_dir=tree)
    assert out["count"] == 2
    assert out["files"][0] == {
        "path": str(tree / "logs" / "a.jsonl"),
        "name": "a.jsonl",
        "size": 9,
        "modified": "2026-01-01T00:00:00.250+00:00",
    }
    assert names(out) == ["logs/a.jsonl", "logs/b.jsonl"]
    assert datetime.fromisoformat(out["files"][1]["modified"]).tzinfo == UTC


def test_default_pattern_lists_every_visible_file_but_no_folders(tree: Path) -> None:
    out = run_node("DirectoryReaderNode", {"directory": "logs"}, base_dir=tree)
    assert names(out) == ["logs/a.jsonl", "logs/b.jsonl", "logs/notes.txt"]


def test_recursive_and_hidden(tree: Path) -> None:
    params = {"directory": "logs", "pattern": "*.jsonl", "recursive": True}
    assert names(run_node("DirectoryReaderNode", params, base_dir=tree)) == [
        "logs/2026/01/c.jsonl",
        "logs/a.jsonl",
        "logs/b.jsonl",
    ]
    params["include_hidden"] = True
    assert names(run_node("DirectoryReaderNode", params, base_dir=tree)) == [
        "logs/.cache/d.jsonl",
        "logs/.hidden.jsonl",
        "logs/2026/01/c.jsonl",
        "logs/a.jsonl",
        "logs/b.jsonl",
    ]


def test_a_pattern_with_a_slash_matches_the_relative_path(tree: Path) -> None:
    params = {"directory": "logs", "pattern": "2026/*/*.jsonl", "recursive": True}
    assert names(run_node("DirectoryReaderNode", params, base_dir=tree)) == ["logs/2026/01/c.jsonl"]


def test_symlink_loops_are_not_followed_and_linked_files_are_listed(tree: Path) -> None:
    logs = tree / "logs"
    (logs / "2026" / "loop").symlink_to(logs, target_is_directory=True)
    (logs / "link.jsonl").symlink_to(logs / "a.jsonl")
    (logs / "dangling.jsonl").symlink_to(logs / "gone.jsonl")
    params = {"directory": "logs", "pattern": "*.jsonl", "recursive": True}
    out = run_node("DirectoryReaderNode", params, base_dir=tree)
    assert names(out) == ["logs/2026/01/c.jsonl", "logs/a.jsonl", "logs/b.jsonl", "logs/link.jsonl"]
    assert out["files"][-1]["size"] == 9


def test_missing_folder_and_a_file_are_clear_errors(tree: Path) -> None:
    with pytest.raises(FileAccessError) as info:
        run_node("DirectoryReaderNode", {"directory": "nope"}, base_dir=tree)
    assert str(info.value) == f"directory not found: {tree / 'nope'}"
    with pytest.raises(FileAccessError) as info:
        run_node("DirectoryReaderNode", {"directory": "logs/a.jsonl"}, base_dir=tree)
    assert str(info.value) == f"directory is not a directory: {tree / 'logs' / 'a.jsonl'}"


def guarded(base: Path, **rules: object) -> FileAccess:
    return FileAccess(base, PathGuard(base, **rules))  # type: ignore[arg-type]


def test_guard_refuses_a_folder_outside_allowed_directories(tree: Path) -> None:
    (tree / "out").mkdir()
    ctx = make_ctx(tree)
    ctx.files = guarded(tree, allowed_directories=["out"])
    with pytest.raises(PathDeniedError) as info:
        run_node("DirectoryReaderNode", {"directory": "logs"}, ctx)
    assert str(info.value) == f"directory {tree / 'logs'} is outside allowed_directories [{tree / 'out'}]"


def test_guard_leaves_out_files_a_reader_could_not_open(tree: Path) -> None:
    secret = tree / "secret.jsonl"
    secret.write_text("{}\n", encoding="utf-8")
    (tree / "logs" / "escape.jsonl").symlink_to(secret)
    ctx = make_ctx(tree)
    ctx.files = guarded(tree, allowed_directories=["logs"], allowed_extensions=[".jsonl"])
    out = run_node("DirectoryReaderNode", {"directory": "logs"}, ctx)
    assert names(out) == ["logs/a.jsonl", "logs/b.jsonl"]  # not notes.txt, not the escaping link


def test_listed_paths_feed_a_reader_in_a_workflow(tree: Path) -> None:
    result = run_workflow(
        tree,
        """
        name: logs
        nodes:
          list: {type: DirectoryReaderNode, config: {directory: logs, pattern: "*.jsonl"}}
          first: {type: JSONReaderNode, config: {file_path: "${nodes.list.files[0].path}"}}
        """,
    )
    assert result.status == "succeeded", result.nodes
    assert result.outputs["first"] == {"data": [{"x": 1}]}
    assert result.outputs["list"]["count"] == 2

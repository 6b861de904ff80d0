from __future__ import annotations

import gc
import os
import stat
from pathlib import Path

import pytest

from kailash_cli.nodes.files import FileAccess, FileAccessError
from kailash_cli.security.paths import PathGuard


def test_relative_paths_resolve_against_the_base_dir(tmp_path: Path) -> None:
    files = FileAccess(tmp_path)
    assert files.resolve("data/x.csv") == tmp_path / "data" / "x.csv"
    assert files.resolve("/etc/hosts") == Path("/etc/hosts")
    assert files.resolve("~/x.txt") == Path.home() / "x.txt"


def test_empty_path_is_refused(tmp_path: Path) -> None:
    with pytest.raises(FileAccessError) as info:
        FileAccess(tmp_path).resolve("")
    assert str(info.value) == "empty file path"


def test_read_text(tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_text("héllo\n", encoding="utf-8")
    assert FileAccess(tmp_path).read_text("a.txt") == "héllo\n"


def test_read_missing_file(tmp_path: Path) -> None:
    with pytest.raises(FileAccessError) as info:
        FileAccess(tmp_path).read_text("nope.txt")
    assert str(info.value) == f"file not found: {tmp_path / 'nope.txt'}"


def test_read_file_that_is_not_utf8(tmp_path: Path) -> None:
    (tmp_path / "latin.txt").write_bytes(b"ok \xe9t\xe9")
    with pytest.raises(FileAccessError) as info:
        FileAccess(tmp_path).read_text("latin.txt")
    assert str(info.value) == f"{tmp_path / 'latin.txt'} is not utf-8 text (byte 3)"


def test_read_a_folder(tmp_path: Path) -> None:
    (tmp_path / "folder").mkdir()
    with pytest.raises(FileAccessError) as info:
        FileAccess(tmp_path).read_text("folder")
    assert str(info.value) == f"cannot read {tmp_path / 'folder'}: Is a directory"


def test_write_atomic_creates_parents_and_returns_the_path(tmp_path: Path) -> None:
    written = FileAccess(tmp_path).write_atomic("out/deep/r.txt", lambda f: f.write("line\n"))
    assert written == tmp_path / "out" / "deep" / "r.txt"
    assert written.read_text(encoding="utf-8") == "line\n"
    assert sorted(p.name for p in written.parent.iterdir()) == ["r.txt"]


def test_write_atomic_replaces_an_existing_file(tmp_path: Path) -> None:
    (tmp_path / "r.txt").write_text("old", encoding="utf-8")
    FileAccess(tmp_path).write_atomic("r.txt", lambda f: f.write("new"))
    assert (tmp_path / "r.txt").read_text(encoding="utf-8") == "new"


def test_failed_write_leaves_the_old_file_and_no_temp_file(tmp_path: Path) -> None:
    (tmp_path / "r.txt").write_text("old", encoding="utf-8")

    def half_then_fail(stream) -> None:
        stream.write("half of the new content")
        raise RuntimeError("writer failed")

    with pytest.raises(RuntimeError, match="^writer failed$"):
        FileAccess(tmp_path).write_atomic("r.txt", half_then_fail)
    assert (tmp_path / "r.txt").read_text(encoding="utf-8") == "old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["r.txt"]


def test_failed_write_of_a_new_file_leaves_nothing(tmp_path: Path) -> None:
    def fail(stream) -> None:
        stream.write("x")
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        FileAccess(tmp_path).write_atomic("new.txt", fail)
    assert list(tmp_path.iterdir()) == []


def test_writing_over_a_folder_is_a_clear_error(tmp_path: Path) -> None:
    (tmp_path / "out").mkdir()
    with pytest.raises(FileAccessError) as info:
        FileAccess(tmp_path).write_atomic("out", lambda f: f.write("x"))
    assert str(info.value) == f"cannot write {tmp_path / 'out'}: Is a directory"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]


def test_writing_under_a_file_is_a_clear_error(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("x", encoding="utf-8")
    with pytest.raises(FileAccessError) as info:
        FileAccess(tmp_path).write_atomic("file/child.txt", lambda f: f.write("x"))
    assert str(info.value) == f"cannot write {tmp_path / 'file' / 'child.txt'}: File exists"


@pytest.mark.parametrize(("umask", "mode"), [(0o022, 0o644), (0o002, 0o664), (0o077, 0o600)])
def test_written_files_get_the_usual_permissions(tmp_path: Path, umask: int, mode: int) -> None:
    old = os.umask(umask)
    try:
        written = FileAccess(tmp_path).write_atomic("out/r.txt", lambda f: f.write("x"))
        replaced = FileAccess(tmp_path).write_atomic("out/r.txt", lambda f: f.write("y"))
    finally:
        os.umask(old)
    assert written == replaced
    assert stat.S_IMODE(written.stat().st_mode) == mode
    assert sorted(p.name for p in written.parent.iterdir()) == ["r.txt"]


def test_write_atomic_can_refuse_to_create_folders(tmp_path: Path) -> None:
    with pytest.raises(FileAccessError) as info:
        FileAccess(tmp_path).write_atomic("missing/r.txt", lambda f: f.write("x"), make_dirs=False)
    assert str(info.value) == f"cannot write {tmp_path / 'missing' / 'r.txt'}: No such file or directory"
    assert list(tmp_path.iterdir()) == []


def test_a_file_opened_under_a_path_guard_stays_open_until_closed(tmp_path: Path) -> None:
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "x.csv").write_text("a\n1\n2\n", encoding="utf-8")
    files = FileAccess(tmp_path, PathGuard.from_config({"allowed_directories": ["./data"]}, tmp_path))
    stream = files.open_text("data/x.csv", newline="")
    gc.collect()  # what opened it is not collected from under the reader
    with stream:
        assert stream.read() == "a\n1\n2\n"
    assert stream.closed

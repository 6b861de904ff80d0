from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from kailash_cli.errors import PathDeniedError
from kailash_cli.nodes.files import FileAccess, FileAccessError
from kailash_cli.security import paths as paths_module
from kailash_cli.security.paths import PathGuard

SECRET = "root:x:0:0:TOP-SECRET-CONTENT"


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    """tmp/project/{data,out} allowed; tmp/outside holds a file nobody may read."""
    (tmp_path / "project" / "data").mkdir(parents=True)
    (tmp_path / "project" / "out").mkdir()
    (tmp_path / "outside").mkdir()
    (tmp_path / "outside" / "passwd.csv").write_text(SECRET, encoding="utf-8")
    (tmp_path / "project" / "data" / "ok.csv").write_text("a,b\n1,2\n", encoding="utf-8")
    return tmp_path


def guard_for(tree: Path, **overrides: object) -> PathGuard:
    security = {
        "allowed_directories": ["./data", "out"],
        "allowed_file_extensions": [".csv", ".json"],
        "max_file_size": "1MB",
        **overrides,
    }
    return PathGuard.from_config(security, tree / "project")


def read(guard: PathGuard, path: str | Path) -> str:
    with guard.open_read(path) as stream:
        return stream.read()


def denied(call, *args) -> str:
    with pytest.raises(PathDeniedError) as info:
        call(*args)
    assert SECRET not in str(info.value)
    return str(info.value)


def test_from_config_resolves_relative_dirs_against_the_config_folder(tree: Path) -> None:
    guard = guard_for(tree)
    project = tree.resolve() / "project"
    assert guard.allowed_directories == (project / "data", project / "out")
    assert guard.allowed_extensions == (".csv", ".json")
    assert guard.max_file_size == 1_000_000
    assert guard.enabled is True


def test_reading_inside_an_allowed_directory(tree: Path) -> None:
    guard = guard_for(tree)
    assert read(guard, "data/ok.csv") == "a,b\n1,2\n"
    assert guard.check_read("data/ok.csv") == tree.resolve() / "project" / "data" / "ok.csv"
    with guard.open_read("data/ok.csv", "rb") as stream:
        assert stream.read() == b"a,b\n1,2\n"


@pytest.mark.parametrize(
    "attempt",
    ["data/../../outside/passwd.csv", "../outside/passwd.csv", "data/../data/../../outside/passwd.csv"],
)
def test_path_traversal_is_refused(tree: Path, attempt: str) -> None:
    guard = guard_for(tree)
    real = tree.resolve() / "outside" / "passwd.csv"
    dirs = f"[{tree.resolve()}/project/data, {tree.resolve()}/project/out]"
    expected = (
        f"path {tree.resolve() / 'project' / attempt} resolves to {real} outside allowed_directories {dirs}"
    )
    assert denied(read, guard, attempt) == expected
    assert denied(guard.check_read, attempt) == expected


def test_an_absolute_path_outside_is_refused(tree: Path) -> None:
    guard = guard_for(tree)
    target = tree.resolve() / "outside" / "passwd.csv"
    message = denied(read, guard, str(target))
    assert message.startswith(f"path {target} resolves outside allowed_directories [")
    assert denied(guard.check_write, str(target)).startswith(f"path {target} resolves outside")


def test_the_allowed_folder_own_parent_is_not_allowed(tree: Path) -> None:
    (tree / "project" / "top.csv").write_text("x", encoding="utf-8")
    assert "outside allowed_directories" in denied(read, guard_for(tree), "top.csv")


def test_a_symlink_inside_pointing_outside_is_refused(tree: Path) -> None:
    link = tree / "project" / "data" / "link.csv"
    link.symlink_to(tree / "outside" / "passwd.csv")
    guard = guard_for(tree)
    real = tree.resolve() / "outside" / "passwd.csv"
    assert denied(read, guard, "data/link.csv").startswith(
        f"path {tree.resolve() / 'project' / 'data' / 'link.csv'} resolves to {real} outside"
    )
    message = denied(guard.check_write, "data/link.csv")
    assert message == (
        f"path {tree.resolve() / 'project' / 'data' / 'link.csv'} is a symlink; "
        "writing through a symlink is refused"
    )
    assert (tree / "outside" / "passwd.csv").read_text(encoding="utf-8") == SECRET


def test_writing_through_a_symlink_inside_is_refused_and_leaves_the_target(tree: Path) -> None:
    (tree / "project" / "out" / "link.csv").symlink_to(tree / "outside" / "passwd.csv")
    guard = guard_for(tree)
    with pytest.raises(PathDeniedError, match="is a symlink"), guard.open_write_atomic("out/link.csv") as f:
        f.write("overwritten")
    assert (tree / "outside" / "passwd.csv").read_text(encoding="utf-8") == SECRET


def test_a_symlinked_parent_directory_is_refused(tree: Path) -> None:
    (tree / "project" / "data" / "escape").symlink_to(tree / "outside", target_is_directory=True)
    guard = guard_for(tree)
    assert "outside allowed_directories" in denied(read, guard, "data/escape/passwd.csv")
    assert "outside allowed_directories" in denied(guard.check_write, "data/escape/new.csv")
    assert "outside allowed_directories" in denied(guard.open_write_atomic("data/escape/new.csv").__enter__)
    assert sorted(p.name for p in (tree / "outside").iterdir()) == ["passwd.csv"]


def test_a_symlink_that_stays_inside_is_fine(tree: Path) -> None:
    (tree / "project" / "out" / "copy.csv").symlink_to(tree / "project" / "data" / "ok.csv")
    assert read(guard_for(tree), "out/copy.csv") == "a,b\n1,2\n"


def test_a_symlinked_allowed_directory_is_its_target(tree: Path) -> None:
    (tree / "project" / "linked").symlink_to(tree / "project" / "data", target_is_directory=True)
    guard = guard_for(tree, allowed_directories=["linked"])
    assert read(guard, "linked/ok.csv") == "a,b\n1,2\n"
    assert read(guard, "data/ok.csv") == "a,b\n1,2\n"


def test_a_symlink_swapped_in_after_the_check_is_refused(tree: Path, monkeypatch) -> None:
    """The TOCTOU race: realpath sees a real folder, then an attacker swaps in a symlink."""
    (tree / "project" / "data" / "sub").mkdir()
    (tree / "project" / "data" / "sub" / "f.csv").write_text("inside", encoding="utf-8")
    guard = guard_for(tree)
    real_realpath = os.path.realpath

    def realpath_then_swap(path, *args, **kwargs):
        resolved = real_realpath(path, *args, **kwargs)
        sub = tree / "project" / "data" / "sub"
        if str(path).endswith("f.csv") and not sub.is_symlink():
            sub.rename(tree / "project" / "data" / "moved")
            sub.symlink_to(tree / "outside", target_is_directory=True)
            (tree / "outside" / "f.csv").write_text(SECRET, encoding="utf-8")
        return resolved

    monkeypatch.setattr(paths_module.os.path, "realpath", realpath_then_swap)
    assert denied(read, guard, "data/sub/f.csv") == (
        f"path {tree.resolve() / 'project' / 'data' / 'sub' / 'f.csv'} changed while being opened "
        "(a symlink appeared in it); refused"
    )


@pytest.mark.parametrize("name", ["run.sh", "data.csv.sh", "noext", ".csv", "data.csv.", "data.csv "])
def test_a_wrong_extension_is_refused(tree: Path, name: str) -> None:
    (tree / "project" / "data" / name).write_text("echo pwned", encoding="utf-8")
    guard = guard_for(tree)
    suffix = Path(name).suffix or "(none)"
    expected = (
        f"path {tree.resolve() / 'project' / 'data' / name}: extension {suffix} "
        "not in allowed_file_extensions [.csv, .json]"
    )
    assert denied(read, guard, f"data/{name}") == expected
    assert denied(guard.check_write, f"out/{name}") == expected.replace("/data/", "/out/")


def test_a_csv_named_link_to_a_script_is_refused(tree: Path) -> None:
    (tree / "project" / "data" / "run.sh").write_text("echo pwned", encoding="utf-8")
    (tree / "project" / "data" / "innocent.csv").symlink_to(tree / "project" / "data" / "run.sh")
    assert "extension .sh not in allowed_file_extensions" in denied(
        read, guard_for(tree), "data/innocent.csv"
    )


def test_extensions_ignore_case(tree: Path) -> None:
    """Decision: .CSV is a .csv (same file on case-insensitive file systems); an allow-list loses nothing."""
    (tree / "project" / "data" / "UPPER.CSV").write_text("x", encoding="utf-8")
    guard = guard_for(tree, allowed_file_extensions=[".Csv"])
    assert guard.allowed_extensions == (".csv",)
    assert read(guard, "data/UPPER.CSV") == "x"
    assert read(guard, "data/ok.csv") == "a,b\n1,2\n"


def test_multi_dot_extensions(tree: Path) -> None:
    (tree / "project" / "data" / "a.tar.gz").write_text("x", encoding="utf-8")
    (tree / "project" / "data" / "b.gz").write_text("x", encoding="utf-8")
    guard = guard_for(tree, allowed_file_extensions=[".tar.gz"])
    assert read(guard, "data/a.tar.gz") == "x"
    assert "extension .gz not in" in denied(read, guard, "data/b.gz")


def test_an_oversized_file_is_refused_without_its_content(tree: Path) -> None:
    (tree / "project" / "data" / "big.csv").write_text(SECRET + "x" * 2_400_000, encoding="utf-8")
    guard = guard_for(tree)
    expected = (
        f"path {tree.resolve() / 'project' / 'data' / 'big.csv'}: file is 2.4 MB, over max_file_size 1 MB"
    )
    assert denied(read, guard, "data/big.csv") == expected
    assert denied(guard.check_read, "data/big.csv") == expected


def test_sizes_show_exact_bytes_when_rounding_would_hide_the_difference(tree: Path) -> None:
    (tree / "project" / "data" / "edge.csv").write_bytes(b"x" * 1_000_001)
    expected = (
        f"path {tree.resolve() / 'project' / 'data' / 'edge.csv'}: file is 1,000,001 bytes, "
        "over max_file_size 1,000,000 bytes"
    )
    assert denied(read, guard_for(tree), "data/edge.csv") == expected
    (tree / "project" / "data" / "edge.csv").write_bytes(b"x" * 1_000_000)
    assert len(read(guard_for(tree), "data/edge.csv")) == 1_000_000


def test_an_oversized_write_is_refused_and_leaves_nothing(tree: Path) -> None:
    guard = guard_for(tree, max_file_size="1KiB")
    with pytest.raises(PathDeniedError) as info, guard.open_write_atomic("out/big.csv") as stream:
        stream.write("x" * 1025)
    assert str(info.value) == (
        f"path {tree.resolve() / 'project' / 'out' / 'big.csv'}: file is 1,025 bytes, "
        "over max_file_size 1,024 bytes"
    )
    assert list((tree / "project" / "out").iterdir()) == []


def test_atomic_write_creates_folders_inside_and_replaces(tree: Path) -> None:
    guard = guard_for(tree)
    with guard.open_write_atomic("out/deep/er/r.csv", newline="") as stream:
        stream.write("1\r\n")
    target = tree / "project" / "out" / "deep" / "er" / "r.csv"
    assert target.read_bytes() == b"1\r\n"
    with guard.open_write_atomic("out/deep/er/r.csv") as stream:
        stream.write("2\n")
    assert target.read_text(encoding="utf-8") == "2\n"
    assert sorted(p.name for p in target.parent.iterdir()) == ["r.csv"]
    assert (
        guard.check_write("out/deep/er/r.csv") == tree.resolve() / "project" / "out" / "deep" / "er" / "r.csv"
    )


def test_a_failed_write_leaves_the_old_file(tree: Path) -> None:
    guard = guard_for(tree)
    with pytest.raises(RuntimeError), guard.open_write_atomic("data/ok.csv") as stream:
        stream.write("half")
        raise RuntimeError("writer failed")
    assert (tree / "project" / "data" / "ok.csv").read_text(encoding="utf-8") == "a,b\n1,2\n"
    assert sorted(p.name for p in (tree / "project" / "data").iterdir()) == ["ok.csv"]


@pytest.mark.parametrize("path", ["", "data/..", "data/"])
def test_paths_that_name_no_file(tree: Path, path: str) -> None:
    message = denied(guard_for(tree).check_read, path)
    assert message == "empty file path" if not path else message.endswith("does not name a file")


def test_an_empty_list_of_directories_allows_none(tree: Path) -> None:
    assert "outside allowed_directories []" in denied(
        read, guard_for(tree, allowed_directories=[]), "data/ok.csv"
    )


def test_no_rules_allows_everything_but_still_opens_safely(tree: Path) -> None:
    guard = PathGuard(tree)
    assert read(guard, tree / "outside" / "passwd.csv") == SECRET
    assert read(guard, "outside/passwd.csv") == SECRET


def test_disabled_path_validation_keeps_extension_and_size_rules(tree: Path) -> None:
    guard = guard_for(tree, enable_path_validation=False)
    assert guard.allowed_directories is None
    assert read(guard, "../outside/passwd.csv") == SECRET
    (tree / "outside" / "x.sh").write_text("echo", encoding="utf-8")
    assert "extension .sh not in" in denied(read, guard, "../outside/x.sh")


def test_reading_a_folder_or_a_fifo(tree: Path) -> None:
    guard = PathGuard(tree)
    with pytest.raises(IsADirectoryError), guard.open_read("outside"):
        pass
    os.mkfifo(tree / "pipe")
    assert denied(read, guard, "pipe") == f"path {tree.resolve() / 'pipe'} is not a regular file"


def test_missing_files_raise_os_errors_for_the_caller(tree: Path) -> None:
    guard = guard_for(tree)
    with pytest.raises(FileNotFoundError):
        read(guard, "data/missing.csv")
    with pytest.raises(FileNotFoundError):
        read(guard, "data/nofolder/missing.csv")
    assert guard.check_read("data/missing.csv") == tree.resolve() / "project" / "data" / "missing.csv"


# FileAccess routes through the guard


def test_file_access_reads_and_writes_through_the_guard(tree: Path) -> None:
    files = FileAccess(tree / "project", guard=guard_for(tree))
    assert files.read_text("data/ok.csv") == "a,b\n1,2\n"
    written = files.write_atomic("out/r.json", lambda f: f.write("{}"))
    assert written == tree.resolve() / "project" / "out" / "r.json"
    assert written.read_text(encoding="utf-8") == "{}"
    assert files.resolve("data/ok.csv") == tree.resolve() / "project" / "data" / "ok.csv"


def test_file_access_refusals_are_path_denied(tree: Path) -> None:
    files = FileAccess(tree / "project", guard=guard_for(tree))
    assert "outside allowed_directories" in denied(files.read_text, "../outside/passwd.csv")
    assert "outside allowed_directories" in denied(
        files.write_atomic, "../outside/x.csv", lambda f: f.write("x")
    )
    assert "extension .sh" in denied(files.write_atomic, "out/x.sh", lambda f: f.write("x"))
    assert sorted(p.name for p in (tree / "outside").iterdir()) == ["passwd.csv"]


def test_file_access_os_errors_keep_their_messages_with_a_guard(tree: Path) -> None:
    files = FileAccess(tree / "project", guard=PathGuard(tree))
    with pytest.raises(FileAccessError) as info:
        files.read_text("data/missing.csv")
    assert str(info.value) == f"file not found: {tree / 'project' / 'data' / 'missing.csv'}"
    (tree / "project" / "data" / "latin.csv").write_bytes(b"ok \xe9")
    with pytest.raises(FileAccessError) as info:
        files.read_text("data/latin.csv")
    assert str(info.value) == f"{tree / 'project' / 'data' / 'latin.csv'} is not utf-8 text (byte 3)"
    with pytest.raises(FileAccessError) as info:
        files.read_text("data")
    assert str(info.value) == f"cannot read {tree / 'project' / 'data'}: Is a directory"
    with pytest.raises(FileAccessError) as info:
        files.write_atomic("data/ok.csv/child.csv", lambda f: f.write("x"))
    assert (
        str(info.value) == f"cannot write {tree / 'project' / 'data' / 'ok.csv' / 'child.csv'}: File exists"
    )
    (tree / "project" / "out" / "folder.csv").mkdir()
    with pytest.raises(FileAccessError) as info:
        files.write_atomic("out/folder.csv", lambda f: f.write("x"))
    assert str(info.value) == f"cannot write {tree / 'project' / 'out' / 'folder.csv'}: Is a directory"
    assert list((tree / "project" / "out" / "folder.csv").iterdir()) == []
    assert sorted(p.name for p in (tree / "project" / "out").iterdir()) == ["folder.csv"]


def test_a_missing_allowed_directory_is_created_on_first_write(tree: Path) -> None:
    guard = guard_for(tree, allowed_directories=["results/run1"])
    with guard.open_write_atomic("results/run1/r.csv") as stream:
        stream.write("x")
    assert (tree / "project" / "results" / "run1" / "r.csv").read_text(encoding="utf-8") == "x"
    with pytest.raises(FileNotFoundError):
        read(guard_for(tree, allowed_directories=["nothing"]), "nothing/r.csv")


@pytest.mark.parametrize(("umask", "mode"), [(0o022, 0o644), (0o077, 0o600)])
def test_written_files_get_the_usual_permissions(tree: Path, umask: int, mode: int) -> None:
    old = os.umask(umask)
    try:
        with guard_for(tree).open_write_atomic("out/r.csv") as stream:
            stream.write("1\n")
    finally:
        os.umask(old)
    target = tree / "project" / "out" / "r.csv"
    assert stat.S_IMODE(target.stat().st_mode) == mode
    assert sorted(p.name for p in target.parent.iterdir()) == ["r.csv"]


@pytest.mark.parametrize("mode", ["r", "rb"])
def test_max_file_size_holds_while_a_growing_file_is_read(tmp_path: Path, mode: str) -> None:
    path = tmp_path / "grows.csv"
    path.write_text("a\n" * 10)
    guard = PathGuard(tmp_path, max_file_size=100)

    with pytest.raises(PathDeniedError) as info, guard.open_read(path, mode) as stream:
        with path.open("a") as writer:  # after the size check at open, before the read
            writer.write("b\n" * 100)
        stream.read()

    assert str(info.value) == f"path {path}: file grew past max_file_size 100 B while it was read"


def test_a_file_under_max_file_size_reads_whole(tmp_path: Path) -> None:
    path = tmp_path / "ok.csv"
    path.write_text("a,b\n1,2\n")

    with PathGuard(tmp_path, max_file_size=100).open_read(path) as stream:
        assert stream.read() == "a,b\n1,2\n"

from __future__ import annotations

import json
from pathlib import Path

from helpers import RunCli

from kailash_cli.pipeline.audit import AuditLog


def write_log(path: Path, n: int = 3) -> Path:
    log = AuditLog(path)
    for i in range(n):
        log.append("node_executed", user="ann", run_id="r1", node=f"n{i}")
    return path


def test_intact_log_at_the_default_place(run_cli: RunCli, tmp_path: Path) -> None:
    write_log(tmp_path / ".kailash" / "audit.jsonl")
    result = run_cli("audit", "verify", cwd=tmp_path)
    assert (result.returncode, result.stdout, result.stderr) == (0, "intact: 3 entries\n", "")


def test_intact_log_given_by_path(run_cli: RunCli, tmp_path: Path) -> None:
    write_log(tmp_path / "logs" / "a.jsonl", 1)
    result = run_cli("audit", "verify", "logs/a.jsonl", cwd=tmp_path)
    assert (result.returncode, result.stdout) == (0, "intact: 1 entry\n")


def test_a_tampered_entry_exits_1_naming_it(run_cli: RunCli, tmp_path: Path) -> None:
    path = write_log(tmp_path / "a.jsonl", 4)
    lines = path.read_bytes().splitlines(keepends=True)
    entry = json.loads(lines[1])
    entry["user"] = "eve"
    lines[1] = json.dumps(entry, separators=(",", ":")).encode() + b"\n"
    path.write_bytes(b"".join(lines))
    result = run_cli("audit", "verify", str(path), cwd=tmp_path)
    assert (result.returncode, result.stdout, result.stderr) == (
        1,
        f"{path}: entry 3 is broken: prev does not match the hash of entry 2: entry 2 was edited, "
        "or entries were removed or reordered\n",
        "",
    )


def test_a_deleted_line_exits_1(run_cli: RunCli, tmp_path: Path) -> None:
    path = write_log(tmp_path / "a.jsonl", 4)
    lines = path.read_bytes().splitlines(keepends=True)
    path.write_bytes(b"".join(lines[:1] + lines[2:]))
    result = run_cli("audit", "verify", "a.jsonl", cwd=tmp_path)
    assert result.returncode == 1
    assert result.stdout.startswith("a.jsonl: entry 2 is broken: ")


def test_a_missing_log_exits_2(run_cli: RunCli, tmp_path: Path) -> None:
    result = run_cli("audit", "verify", cwd=tmp_path)
    assert (result.returncode, result.stdout, result.stderr) == (
        2,
        "",
        "error: audit log .kailash/audit.jsonl not found; give its path: kailash audit verify LOG\n",
    )


def test_an_unreadable_log_exits_2(tmp_path: Path, capsys, monkeypatch) -> None:
    from kailash_cli.commands import audit as audit_command
    from kailash_cli.error_handler import handle
    from kailash_cli.report.output import Output

    path = write_log(tmp_path / "a.jsonl")

    def unreadable(_: Path) -> None:
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(audit_command, "verify", unreadable)
    assert handle(lambda: audit_command.audit_verify(path), Output()) == 2
    assert capsys.readouterr().err == f"error: cannot read audit log {path}: Permission denied\n"


def test_the_log_from_standard_input(tmp_path: Path) -> None:
    from helpers import kailash

    path = write_log(tmp_path / "a.jsonl", 2)
    intact = kailash("audit", "verify", "-", input=path.read_text(), cwd=tmp_path)
    assert (intact.returncode, intact.stdout) == (0, "intact: 2 entries\n")
    broken = kailash("audit", "verify", "-", input=path.read_text().replace("ann", "eve", 1), cwd=tmp_path)
    assert broken.returncode == 1 and broken.stdout.startswith("<stdin>: entry 2 is broken:")

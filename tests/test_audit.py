from __future__ import annotations

import json
import multiprocessing
import re
from pathlib import Path

import pytest

from kailash_cli.pipeline.audit import GENESIS, AuditLog, line_hash, verify
from kailash_cli.security.redact import Redactor


def make_log(tmp_path: Path, n: int = 5) -> Path:
    path = tmp_path / ".kailash" / "audit.jsonl"
    log = AuditLog(path)
    for i in range(n):
        log.append("node_executed", user="ann", run_id="r1", node=f"n{i}")
    return path


def lines(path: Path) -> list[bytes]:
    return path.read_bytes().splitlines(keepends=True)


def test_append_writes_chained_json_lines(tmp_path: Path) -> None:
    path = tmp_path / "deep" / "er" / "audit.jsonl"
    log = AuditLog(path)
    first = log.append("run_started", user="ann", run_id="r1", workflow="wf.yaml")
    second = log.append("run_finished", user="ann", run_id="r1", status="succeeded")
    raw = lines(path)
    assert [json.loads(line) for line in raw] == [first, second]
    assert list(first) == ["ts", "event", "user", "run_id", "workflow", "prev"]
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", first["ts"])
    assert first["prev"] == GENESIS
    assert second["prev"] == line_hash(raw[0])
    assert tuple(verify(path)) == (True, None, "intact: 2 entries")
    assert verify(path).entries == 2
    assert path.stat().st_mode & 0o777 == 0o600


def test_reserved_field_names_are_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match=r"^audit field names \['prev'\] are reserved$"):
        AuditLog(tmp_path / "a.jsonl").append("x", prev="0")


def test_fields_are_redacted_before_writing(tmp_path: Path) -> None:
    path = tmp_path / "a.jsonl"
    AuditLog(path, redact=Redactor(["sup3r-secret"]).value).append(
        "secret_read", name="db", note="sup3r-secret"
    )
    assert b"sup3r-secret" not in path.read_bytes()
    assert json.loads(path.read_bytes())["note"] == "***"


def test_empty_and_single_entry_logs(tmp_path: Path) -> None:
    path = tmp_path / "a.jsonl"
    path.touch()
    assert tuple(verify(path)) == (True, None, "intact: 0 entries")
    AuditLog(path).append("x")
    assert tuple(verify(path)) == (True, None, "intact: 1 entry")


def test_long_entries_chain_across_read_chunks(tmp_path: Path) -> None:
    path = tmp_path / "a.jsonl"
    log = AuditLog(path)
    for i in range(4):
        log.append("big", blob="x" * (3000 * (i + 1)))
    assert verify(path).ok


def test_an_edited_field_is_found(tmp_path: Path) -> None:
    path = make_log(tmp_path)
    raw = lines(path)
    raw[2] = raw[2].replace(b'"user":"ann"', b'"user":"eve"')
    path.write_bytes(b"".join(raw))
    assert tuple(verify(path)) == (
        False,
        4,
        "prev does not match the hash of entry 3: entry 3 was edited, or entries were removed or reordered",
    )


def test_an_edit_that_breaks_json_is_found(tmp_path: Path) -> None:
    path = make_log(tmp_path)
    raw = lines(path)
    raw[1] = raw[1][:20] + b"\n"
    path.write_bytes(b"".join(raw))
    assert tuple(verify(path)) == (False, 2, "not a JSON object (the line was damaged or edited)")


def test_a_rehashed_edit_is_still_found_downstream(tmp_path: Path) -> None:
    """Fixing the edited entry's own prev does not help: the next entry points at the old bytes."""
    path = make_log(tmp_path)
    raw = lines(path)
    entry = json.loads(raw[1])
    entry["node"] = "forged"
    raw[1] = json.dumps(entry, separators=(",", ":")).encode() + b"\n"
    path.write_bytes(b"".join(raw))
    assert verify(path).entry == 3


def test_a_deleted_line_is_found(tmp_path: Path) -> None:
    path = make_log(tmp_path)
    raw = lines(path)
    del raw[2]
    path.write_bytes(b"".join(raw))
    assert tuple(verify(path))[:2] == (False, 3)


def test_deleting_the_first_line_is_found(tmp_path: Path) -> None:
    path = make_log(tmp_path)
    path.write_bytes(b"".join(lines(path)[1:]))
    assert tuple(verify(path)) == (
        False,
        1,
        "prev is not the genesis hash: entries before it were removed, or it was edited",
    )


def test_reordered_lines_are_found(tmp_path: Path) -> None:
    path = make_log(tmp_path)
    raw = lines(path)
    raw[1], raw[2] = raw[2], raw[1]
    path.write_bytes(b"".join(raw))
    assert tuple(verify(path))[:2] == (False, 2)


def test_an_inserted_line_is_found(tmp_path: Path) -> None:
    path = make_log(tmp_path)
    raw = lines(path)
    raw.insert(3, json.dumps({"ts": "x", "event": "forged", "prev": line_hash(raw[2])}).encode() + b"\n")
    path.write_bytes(b"".join(raw))
    assert tuple(verify(path))[:2] == (False, 5)


@pytest.mark.parametrize(
    ("line", "reason"),
    [
        (b"[1, 2]\n", "not a JSON object (the line was damaged or edited)"),
        (b"\n", "not a JSON object (the line was damaged or edited)"),
        (b'{"ts": "t", "event": "e"}\n', "missing prev"),
    ],
)
def test_malformed_entries(tmp_path: Path, line: bytes, reason: str) -> None:
    path = make_log(tmp_path, 2)
    path.write_bytes(path.read_bytes() + line)
    assert tuple(verify(path)) == (False, 3, reason)


def test_a_torn_last_line_stays_visible_after_more_appends(tmp_path: Path) -> None:
    path = make_log(tmp_path, 2)
    path.write_bytes(path.read_bytes() + b'{"ts": "half')
    AuditLog(path).append("after_crash")
    assert tuple(verify(path))[:2] == (False, 3)
    assert json.loads(lines(path)[3])["event"] == "after_crash"


def _append_many(path: str, worker: int, count: int) -> None:
    log = AuditLog(Path(path))
    for i in range(count):
        log.append("node_executed", worker=worker, i=i, payload="p" * 500)


def test_concurrent_appends_from_several_processes_keep_the_chain(tmp_path: Path) -> None:
    path = tmp_path / "audit.jsonl"
    context = multiprocessing.get_context("spawn")
    workers = [context.Process(target=_append_many, args=(str(path), w, 40)) for w in range(4)]
    for p in workers:
        p.start()
    for p in workers:
        p.join(60)
        assert p.exitcode == 0
    assert tuple(verify(path)) == (True, None, "intact: 160 entries")
    seen = {(e["worker"], e["i"]) for e in map(json.loads, lines(path))}
    assert seen == {(w, i) for w in range(4) for i in range(40)}


def test_verify_of_a_missing_file_raises(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        verify(tmp_path / "none.jsonl")

"""The run store on a real SQLite file: schema, runs, node executions, dead letters, breakers."""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path
from typing import Any

import pytest

from kailash_cli.constants import EXIT_USAGE
from kailash_cli.errors import StoreError
from kailash_cli.pipeline.database import SCHEMA_VERSION
from kailash_cli.pipeline.store import Store


@pytest.fixture
def store(tmp_path: Path) -> Any:
    opened = Store.open(tmp_path / "state" / "kailash.db")
    yield opened
    opened.close()


def _start(
    store: Store,
    run_id: str,
    workflow: str = "wf",
    started_at: str = "2026-01-01T00:00:00.000+00:00",
    **kw: Any,
) -> None:
    store.start_run(
        run_id,
        workflow,
        f"/x/{workflow}.yaml",
        started_at,
        kw.get("params", {}),
        kw.get("hashes", {"a": "h1"}),
        kw.get("resumed_from"),
        None,
    )


def _node(node_id: str, position: int, status: str = "succeeded", **kw: Any) -> dict[str, Any]:
    return {
        "node_id": node_id,
        "status": status,
        "attempts": kw.get("attempts", 1),
        "duration_ms": kw.get("duration_ms", 1.5),
        "error": kw.get("error"),
        "outputs": kw.get("outputs"),
        "extra": kw.get("extra"),
        "position": position,
    }


def test_open_creates_the_file_in_wal_mode_with_a_schema_version(tmp_path: Path) -> None:
    path = tmp_path / "deep" / "er" / "kailash.db"

    Store.open(path).close()

    db = sqlite3.connect(path)
    assert db.execute("PRAGMA journal_mode").fetchone() == ("wal",)
    version = db.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
    assert version == (str(SCHEMA_VERSION),)
    tables = {r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    assert {"meta", "runs", "node_executions", "dead_letters", "breakers"} <= tables
    db.close()


def test_reopening_keeps_what_is_stored(tmp_path: Path) -> None:
    path = tmp_path / "kailash.db"
    first = Store.open(path)
    _start(first, "r1")
    first.close()

    again = Store.open(path)

    assert [r["run_id"] for r in again.runs()] == ["r1"]
    again.close()


def test_a_store_of_a_newer_version_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "kailash.db"
    Store.open(path).close()
    db = sqlite3.connect(path)
    db.execute("UPDATE meta SET value = '99' WHERE key = 'schema_version'")
    db.commit()
    db.close()

    with pytest.raises(StoreError) as caught:
        Store.open(path)

    assert str(caught.value) == (
        f"{path} was written by a newer kailash (store version 99); upgrade kailash to read it"
    )
    assert caught.value.exit_code == EXIT_USAGE


def test_a_file_that_is_not_a_database_is_a_usage_error(tmp_path: Path) -> None:
    path = tmp_path / "kailash.db"
    path.write_bytes(b"this is not sqlite\n" * 100)

    with pytest.raises(StoreError) as caught:
        Store.open(path)

    assert str(caught.value) == (
        f"cannot open the run store {path}: file is not a database; check "
        "runtime.store in kailash.yaml, or move the file away to start a new store"
    )
    assert caught.value.exit_code == EXIT_USAGE  # could not start: exit 2, as SPEC says


def _damage_table(path: Path, table: str) -> None:
    """Overwrite the pages of one table (and its indexes) with garbage; the header stays valid."""
    db = sqlite3.connect(path)
    db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    page_size = db.execute("PRAGMA page_size").fetchone()[0]
    pages = [r[0] for r in db.execute("SELECT rootpage FROM sqlite_master WHERE tbl_name = ?", (table,))]
    db.close()
    data = bytearray(path.read_bytes())
    for page in pages:
        data[(page - 1) * page_size : page * page_size] = b"\x5a" * page_size
    path.write_bytes(bytes(data))


def test_damage_found_after_open_is_a_store_error_not_a_crash(tmp_path: Path) -> None:
    path = tmp_path / "kailash.db"
    good = Store.open(path)
    for i in range(3):
        _start(good, f"r{i}")
    good.close()
    _damage_table(path, "runs")

    damaged = Store.open(path)  # meta is intact: opening works
    with pytest.raises(StoreError) as caught:
        damaged.runs()
    damaged.close()

    assert str(caught.value) == (
        f"the run store {path} failed: database disk image is malformed; "
        "if the file is damaged, move it away to start a new store"
    )
    assert caught.value.exit_code == EXIT_USAGE


def test_a_run_with_its_nodes_round_trips(store: Store) -> None:
    _start(store, "r1", params={"n": 3}, hashes={"a": "1", "b": "2"})
    store.record_nodes(
        "r1",
        [
            _node("b", 1, "failed", attempts=3, error="ConnectionError: down", extra={"fallback": "c"}),
            _node("a", 0, outputs={"result": [1, "é"]}),
        ],
    )
    store.finish_run("r1", "failed", "2026-01-01T00:00:01.000+00:00", 1000.25, {"a": {"result": [1, "é"]}})

    run = store.run("r1")

    assert run is not None
    assert {
        k: run[k]
        for k in (
            "run_id",
            "workflow",
            "status",
            "started_at",
            "finished_at",
            "duration_ms",
            "params",
            "outputs",
            "node_hashes",
            "error",
        )
    } == {
        "run_id": "r1",
        "workflow": "wf",
        "status": "failed",
        "started_at": "2026-01-01T00:00:00.000+00:00",
        "finished_at": "2026-01-01T00:00:01.000+00:00",
        "duration_ms": 1000.25,
        "params": {"n": 3},
        "outputs": {"a": {"result": [1, "é"]}},
        "node_hashes": {"a": "1", "b": "2"},
        "error": None,
    }
    assert list(run["nodes"]) == ["a", "b"]  # workflow order, not write order
    assert run["nodes"]["a"]["outputs"] == {"result": [1, "é"]}
    assert {k: run["nodes"]["b"][k] for k in ("status", "attempts", "error", "extra")} == {
        "status": "failed",
        "attempts": 3,
        "error": "ConnectionError: down",
        "extra": {"fallback": "c"},
    }
    assert store.run("nope") is None


def test_record_nodes_replaces_a_node_recorded_twice(store: Store) -> None:
    _start(store, "r1")
    store.record_nodes("r1", [_node("a", 0, "failed")])
    store.record_nodes("r1", [_node("a", 0, "succeeded", attempts=2)])
    store.record_nodes("r1", [])

    run = store.run("r1")

    assert run is not None
    assert {n: (r["status"], r["attempts"]) for n, r in run["nodes"].items()} == {"a": ("succeeded", 2)}


def test_finish_run_can_take_the_engine_started_at(store: Store) -> None:
    _start(store, "r1", started_at="2026-01-01T00:00:00.001+00:00")
    _start(store, "r2", started_at="2026-01-01T00:00:00.001+00:00")

    store.finish_run(
        "r1",
        "succeeded",
        "2026-01-01T00:00:01.000+00:00",
        5.0,
        {},
        started_at="2026-01-01T00:00:00.002+00:00",
    )
    store.finish_run("r2", "succeeded", "2026-01-01T00:00:01.000+00:00", 5.0, {})

    assert store.run("r1")["started_at"] == "2026-01-01T00:00:00.002+00:00"  # type: ignore[index]
    assert store.run("r2")["started_at"] == "2026-01-01T00:00:00.001+00:00"  # type: ignore[index]


def test_runs_are_listed_newest_first_and_filtered(store: Store) -> None:
    for i, (workflow, status) in enumerate(
        [("etl", "succeeded"), ("etl", "failed"), ("report", "failed"), ("etl", "succeeded")]
    ):
        _start(store, f"r{i}", workflow, f"2026-01-0{i + 1}T00:00:00.000+00:00")
        store.finish_run(f"r{i}", status, "x", 1.0, {})

    assert [r["run_id"] for r in store.runs()] == ["r3", "r2", "r1", "r0"]
    assert [r["run_id"] for r in store.runs(workflow="etl")] == ["r3", "r1", "r0"]
    assert [r["run_id"] for r in store.runs(status="failed")] == ["r2", "r1"]
    assert [r["run_id"] for r in store.runs(workflow="etl", status="failed")] == ["r1"]
    assert [r["run_id"] for r in store.runs(limit=2)] == ["r3", "r2"]
    assert store.runs(workflow="nope") == []


def test_a_running_run_whose_process_is_gone_reads_as_interrupted(store: Store) -> None:
    _start(store, "mine")  # this process: alive
    _start(store, "dead", started_at="2026-01-02T00:00:00.000+00:00")
    _start(store, "no_pid", started_at="2026-01-03T00:00:00.000+00:00")
    store.db.execute("UPDATE runs SET pid = 2147483646 WHERE run_id = 'dead'")  # above any pid_max
    store.db.execute("UPDATE runs SET pid = NULL WHERE run_id = 'no_pid'")

    assert {r["run_id"]: r["status"] for r in store.runs()} == {
        "mine": "running",
        "dead": "interrupted",
        "no_pid": "interrupted",
    }
    assert [r["run_id"] for r in store.runs(status="interrupted")] == ["no_pid", "dead"]
    assert store.run("dead")["status"] == "interrupted"  # type: ignore[index]


def test_dead_letters_round_trip_newest_first(store: Store) -> None:
    store.add_dead_letter(
        "r1",
        "wf",
        "a",
        "PythonCodeNode",
        {"x": 1, "token": "***"},
        "ValueError: bad",
        2,
        "2026-01-01T00:00:00.000+00:00",
    )
    store.add_dead_letter("r2", "wf", "b", "HTTPRequestNode", None, None, 1, "2026-01-02T00:00:00.000+00:00")

    letters = store.dead_letters()

    assert [d["id"] for d in letters] == [2, 1]
    assert store.dead_letter(1) == {
        "id": 1,
        "run_id": "r1",
        "workflow": "wf",
        "node_id": "a",
        "node_type": "PythonCodeNode",
        "inputs": {"x": 1, "token": "***"},
        "error": "ValueError: bad",
        "attempts": 2,
        "created_at": "2026-01-01T00:00:00.000+00:00",
    }
    assert [d["id"] for d in store.dead_letters(limit=1)] == [2]
    assert store.dead_letter(3) is None


def test_breaker_state_is_kept_per_workflow_and_node(store: Store) -> None:
    assert store.breaker("wf", "call") == {
        "state": "closed",
        "failures": 0,
        "successes": 0,
        "opened_at": None,
    }

    store.save_breaker("wf", "call", {"state": "open", "failures": 3, "successes": 0, "opened_at": 12.5})
    store.save_breaker("wf", "call", {"state": "half_open", "failures": 3, "successes": 1, "opened_at": 12.5})

    assert store.breaker("wf", "call") == {
        "workflow": "wf",
        "node_id": "call",
        "state": "half_open",
        "failures": 3,
        "successes": 1,
        "opened_at": 12.5,
    }
    assert store.breaker("other", "call")["state"] == "closed"
    assert store.breaker("wf", "other")["state"] == "closed"


def test_two_threads_can_share_one_store(store: Store) -> None:
    """A recorder's timer thread writes while the run's thread writes too (one connection)."""
    _start(store, "r1")
    errors: list[BaseException] = []

    def write(prefix: str) -> None:
        try:
            for i in range(150):
                store.record_nodes("r1", [_node(f"{prefix}{i}", i)])
                store.save_breaker(
                    "wf", prefix, {"state": "closed", "failures": i, "successes": 0, "opened_at": None}
                )
        except BaseException as e:  # reported below
            errors.append(e)

    threads = [threading.Thread(target=write, args=(p,)) for p in "ab"]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)

    assert errors == []
    assert len(store.run("r1")["nodes"]) == 300  # type: ignore[index]


def test_runs_decode_only_the_rows_they_return(store: Store) -> None:
    for i in range(5):
        _start(store, f"r{i}", "etl" if i % 2 else "other", f"2026-01-0{i + 1}T00:00:00.000+00:00")
        store.finish_run(f"r{i}", "failed" if i == 4 else "succeeded", "x", 1.0, {})
    store.db.execute("UPDATE runs SET params = 'not json' WHERE run_id IN ('r0', 'r1', 'r2')")

    assert [r["run_id"] for r in store.runs(limit=2)] == ["r4", "r3"]
    assert [r["run_id"] for r in store.runs(workflow="etl", limit=1)] == ["r3"]
    assert [r["run_id"] for r in store.runs(status="failed", limit=1)] == ["r4"]
    assert [r["run_id"] for r in store.runs(status="failed", workflow="other", limit=1)] == ["r4"]


def test_runs_filter_running_and_interrupted_by_the_process_with_a_limit(store: Store) -> None:
    for i, pid in enumerate([None, 2147483646, None, 2147483646]):
        _start(store, f"dead{i}", started_at=f"2026-01-0{i + 1}T00:00:00.000+00:00")
        store.db.execute("UPDATE runs SET pid = ? WHERE run_id = ?", (pid, f"dead{i}"))
    _start(store, "mine", started_at="2026-01-05T00:00:00.000+00:00")
    _start(store, "old", started_at="2025-01-01T00:00:00.000+00:00")
    store.finish_run("old", "interrupted", "x", 1.0, {})

    assert [r["run_id"] for r in store.runs(status="interrupted", limit=2)] == ["dead3", "dead2"]
    assert [r["run_id"] for r in store.runs(status="interrupted", limit=9)][-1] == "old"
    assert [r["run_id"] for r in store.runs(status="running", limit=5)] == ["mine"]
    assert [r["status"] for r in store.runs(limit=2)] == ["running", "interrupted"]


def test_a_pid_says_a_run_is_alive_only_for_the_process_that_recorded_it(
    store: Store, tmp_path: Path
) -> None:
    """In containers every kailash is process 1: a run recorded by an earlier container with
    this process's pid, or by a pid now held by a younger process, was not seen to end."""
    import os
    import subprocess
    import sys

    _start(store, "mine", started_at="2026-01-05T00:00:00.000+00:00")  # this process, still going
    _start(store, "earlier_container", started_at="2026-01-04T00:00:00.000+00:00")
    _start(store, "pid_reused", started_at="2000-01-01T00:00:00.000+00:00")
    _start(store, "other_alive", started_at="2999-01-01T00:00:00.000+00:00")
    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        store.db.execute(
            "UPDATE runs SET pid = ? WHERE run_id IN ('pid_reused', 'other_alive')", (child.pid,)
        )
        from kailash_cli.pipeline import store as store_module

        store_module._OWN_RUNS.discard("earlier_container")  # recorded by another process with our pid
        statuses = {r["run_id"]: r["status"] for r in store.runs()}
    finally:
        child.kill()
        child.wait()

    assert statuses == {
        "mine": "running",
        "earlier_container": "interrupted",
        "pid_reused": "interrupted",  # the child began long after the run: not its process
        "other_alive": "running",  # the child began before the run: it may be running it
    }
    assert os.getpid() == store.run("earlier_container")["pid"]  # type: ignore[index]

"""The run store: SQLite (WAL) with runs, node executions, dead letters and breaker state.

Safe for several ``kailash run`` processes on one file: every write is a short
transaction (``BEGIN IMMEDIATE`` with a busy timeout), and WAL lets readers go on while
a run writes. A run is inserted as ``running`` with its process id before any node runs;
a run whose process is gone while it still says ``running`` was killed, and reads back as
``interrupted``. Node executions are written in batches (see ``RunRecorder``): a run
killed between two batches loses only the unflushed records, never the file's integrity.
Values are redacted by the caller before they get here. The file itself (opening,
tables and migrations, locking, transactions) is ``pipeline/database.py``.
"""

from __future__ import annotations

import contextlib
import itertools
import os
import sqlite3
import time
from datetime import datetime
from typing import Any

from kailash_cli.errors import KailashError
from kailash_cli.model.result import RunResult
from kailash_cli.pipeline.database import Database, dumps, guarded, loads

#: runs this process started and has not finished: the one sure answer for its own pid
#: (in containers every kailash is process 1, so a pid alone says little)
_OWN_RUNS: set[str] = set()


def run_alive(pid: int | None, run_id: str, started_at: str | None) -> bool:
    """Whether the process that recorded ``run_id`` as running still runs it."""
    if not pid:
        return False
    if pid == os.getpid():
        return run_id in _OWN_RUNS
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # exists, owned by someone else
        pass
    return not _started_after(pid, started_at)


def _started_after(pid: int, started_at: str | None) -> bool:
    """True when process ``pid`` began after the run did: another process got the pid."""
    import psutil

    try:
        created = psutil.Process(pid).create_time()
        began = datetime.fromisoformat(str(started_at)).timestamp()
    except (psutil.Error, ValueError, TypeError, OverflowError):
        return False
    return created > began + 1.0


def _read_status(row: sqlite3.Row) -> str:
    """The status as read back: ``running`` whose process is gone is ``interrupted``."""
    status = str(row["status"])
    alive = status == "running" and run_alive(row["pid"], row["run_id"], row["started_at"])
    return "interrupted" if status == "running" and not alive else status


class Store(Database):
    """The runs, node executions, dead letters and breaker states of one SQLite file (see
    ``Database``). Open with ``Store.open(path)``; every method is one transaction."""

    # -- runs -------------------------------------------------------------------------

    @guarded
    def start_run(
        self,
        run_id: str,
        workflow: str,
        path: str,
        started_at: str,
        params: Any,
        node_hashes: dict[str, str],
        resumed_from: str | None,
        user: str | None,
        executor: dict[str, Any] | None = None,
    ) -> None:
        with self._tx() as db:
            db.execute(
                "INSERT INTO runs (run_id, workflow, workflow_path, status, started_at, pid, "
                "params, resumed_from, user, node_hashes, executor) VALUES (?,?,?,?,?,?,?,?,?,?,?)",
                (
                    run_id,
                    workflow,
                    path,
                    "running",
                    started_at,
                    os.getpid(),
                    dumps(params),
                    resumed_from,
                    user,
                    dumps(node_hashes),
                    dumps(executor) if executor else None,
                ),
            )
        _OWN_RUNS.add(run_id)

    @guarded
    def record_nodes(self, run_id: str, rows: list[dict[str, Any]]) -> None:
        if not rows:
            return
        with self._tx() as db:
            db.executemany(
                "INSERT OR REPLACE INTO node_executions VALUES (?,?,?,?,?,?,?,?,?)",
                [
                    (
                        run_id,
                        r["node_id"],
                        r["status"],
                        r["attempts"],
                        r["duration_ms"],
                        r["error"],
                        dumps(r.get("outputs")),
                        dumps(r["extra"]) if r.get("extra") else "{}",
                        r["position"],
                    )
                    for r in rows
                ],
            )

    @guarded
    def finish_run(
        self,
        run_id: str,
        status: str,
        finished_at: str,
        duration_ms: float,
        outputs: Any,
        error: str | None = None,
        started_at: str | None = None,
    ) -> None:
        """The run's end; ``started_at``, when given, replaces the one recorded at its start
        (the engine's own, so ``runs show`` repeats what ``run --output json`` printed)."""
        with self._tx() as db:
            db.execute(
                "UPDATE runs SET status=?, finished_at=?, duration_ms=?, outputs=?, error=?, "
                "started_at=COALESCE(?, started_at) WHERE run_id=?",
                (status, finished_at, duration_ms, dumps(outputs), error, started_at, run_id),
            )
        _OWN_RUNS.discard(run_id)

    def _run_dict(self, row: sqlite3.Row) -> dict[str, Any]:
        run = dict(row)
        run["status"] = _read_status(row)
        for key in ("params", "outputs", "node_hashes", "executor"):
            run[key] = loads(run[key])
        return run

    @guarded
    def runs(
        self, *, workflow: str | None = None, status: str | None = None, limit: int = 20
    ) -> list[dict[str, Any]]:
        """Newest first, at most ``limit``, of ``workflow`` and ``status`` when given (as read
        back: a run recorded running whose process is gone is interrupted). The filters and
        the limit are SQL's; only the rows returned are decoded. Recorded ``running`` rows
        are the one case checked here (their process), read one by one until ``limit``."""
        self.db.row_factory = sqlite3.Row
        where: list[str] = ["1"]
        args: list[Any] = []
        if workflow:
            where.append("workflow = ?")
            args.append(workflow)
        live = status in ("running", "interrupted")  # decided by the process, not the column
        if status:
            stored = ("running", "interrupted") if status == "interrupted" else (status,)
            where.append(f"status IN ({', '.join('?' * len(stored))})")
            args += stored
        query = f"SELECT * FROM runs WHERE {' AND '.join(where)} ORDER BY started_at DESC, rowid DESC"
        if not live:
            query += " LIMIT ?"
            args.append(max(limit, 0))
        rows = (r for r in self.db.execute(query, args) if not live or _read_status(r) == status)
        return [self._run_dict(r) for r in itertools.islice(rows, max(limit, 0))]

    @guarded
    def run_ids_starting(self, prefix: str, limit: int = 10) -> list[str]:
        """Up to ``limit`` run ids that start with ``prefix``, in order (an index range scan)."""
        rows = self.db.execute(
            "SELECT run_id FROM runs WHERE run_id >= ? AND run_id < ? ORDER BY run_id LIMIT ?",
            (prefix, prefix + "\U0010ffff", limit),
        )
        return [row[0] for row in rows]

    @guarded
    def result(self, run_id: str) -> RunResult | None:
        """A run's record as ``run --output json`` shows it; None when it cannot be read."""
        with contextlib.suppress(KailashError):
            record = self.run(run_id)
            return None if record is None else RunResult.from_record(record)
        return None

    def run(self, run_id: str) -> dict[str, Any] | None:
        self.db.row_factory = sqlite3.Row
        row = self.db.execute("SELECT * FROM runs WHERE run_id = ?", (run_id,)).fetchone()
        if row is None:
            return None
        run = self._run_dict(row)
        nodes = self.db.execute(
            "SELECT * FROM node_executions WHERE run_id = ? ORDER BY position", (run_id,)
        ).fetchall()
        run["nodes"] = {
            n["node_id"]: {**dict(n), "outputs": loads(n["outputs"]), "extra": loads(n["extra"])}
            for n in nodes
        }
        return run

    # -- dead letters -----------------------------------------------------------------

    @guarded
    def add_dead_letter(
        self,
        run_id: str,
        workflow: str,
        node_id: str,
        node_type: str,
        inputs: Any,
        error: str | None,
        attempts: int,
        created_at: str,
    ) -> None:
        with self._tx() as db:
            db.execute(
                "INSERT INTO dead_letters (run_id, workflow, node_id, node_type, inputs, error, "
                "attempts, created_at) VALUES (?,?,?,?,?,?,?,?)",
                (run_id, workflow, node_id, node_type, dumps(inputs), error, attempts, created_at),
            )

    @guarded
    def dead_letters(self, limit: int = 50) -> list[dict[str, Any]]:
        self.db.row_factory = sqlite3.Row
        rows = self.db.execute("SELECT * FROM dead_letters ORDER BY id DESC LIMIT ?", (limit,))
        return [{**dict(r), "inputs": loads(r["inputs"])} for r in rows]

    @guarded
    def dead_letter(self, letter_id: int) -> dict[str, Any] | None:
        self.db.row_factory = sqlite3.Row
        row = self.db.execute("SELECT * FROM dead_letters WHERE id = ?", (letter_id,)).fetchone()
        return None if row is None else {**dict(row), "inputs": loads(row["inputs"])}

    @guarded
    def clear_dead_letters(self, node_id: str | None = None) -> int:
        """Delete the dead letters (of ``node_id`` only, when given); how many went."""
        with self._tx() as db:
            if node_id is None:
                return db.execute("DELETE FROM dead_letters").rowcount
            return db.execute("DELETE FROM dead_letters WHERE node_id = ?", (node_id,)).rowcount

    # -- circuit breakers -------------------------------------------------------------

    @guarded
    def breaker(self, workflow: str, node_id: str) -> dict[str, Any]:
        self.db.row_factory = sqlite3.Row
        row = self.db.execute(
            "SELECT * FROM breakers WHERE workflow = ? AND node_id = ?", (workflow, node_id)
        ).fetchone()
        if row is None:
            return {"state": "closed", "failures": 0, "successes": 0, "opened_at": None}
        return dict(row)

    @guarded
    def save_breaker(self, workflow: str, node_id: str, state: dict[str, Any]) -> None:
        with self._tx() as db:
            db.execute(
                "INSERT OR REPLACE INTO breakers VALUES (?,?,?,?,?,?)",
                (
                    workflow,
                    node_id,
                    state["state"],
                    state["failures"],
                    state["successes"],
                    state["opened_at"],
                ),
            )


def now_iso() -> str:
    from datetime import UTC, datetime

    return datetime.now(UTC).isoformat(timespec="milliseconds")


def monotonic_ms(start: float) -> float:
    return (time.perf_counter() - start) * 1000

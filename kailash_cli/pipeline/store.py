"""The run store: SQLite (WAL) with runs, node executions, dead letters and breaker state.

Safe for several ``kailash run`` processes on one file: every write is a short
transaction (``BEGIN IMMEDIATE`` with a busy timeout), and WAL lets readers go on while
a run writes. A run is inserted as ``running`` with its process id before any node runs;
a run whose process is gone while it still says ``running`` was killed, and reads back as
``interrupted``. Node executions are written in batches (see ``RunRecorder``): a run
killed between two batches loses only the unflushed records, never the file's integrity.
Values are redacted by the caller before they get here.
"""

from __future__ import annotations

import functools
import json
import os
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

from kailash_cli.errors import StoreError

SCHEMA_VERSION = 1
_MIGRATIONS: dict[int, str] = {
    1: """
    CREATE TABLE runs (
        run_id TEXT PRIMARY KEY, workflow TEXT NOT NULL, workflow_path TEXT, status TEXT NOT NULL,
        started_at TEXT NOT NULL, finished_at TEXT, duration_ms REAL, pid INTEGER,
        params TEXT, outputs TEXT, error TEXT, resumed_from TEXT, user TEXT, node_hashes TEXT
    );
    CREATE INDEX runs_by_start ON runs(started_at);
    CREATE TABLE node_executions (
        run_id TEXT NOT NULL REFERENCES runs(run_id), node_id TEXT NOT NULL, status TEXT NOT NULL,
        attempts INTEGER NOT NULL, duration_ms REAL, error TEXT, outputs TEXT, extra TEXT,
        position INTEGER NOT NULL, PRIMARY KEY (run_id, node_id)
    );
    CREATE TABLE dead_letters (
        id INTEGER PRIMARY KEY AUTOINCREMENT, run_id TEXT NOT NULL, workflow TEXT NOT NULL,
        node_id TEXT NOT NULL, node_type TEXT NOT NULL, inputs TEXT, error TEXT,
        attempts INTEGER, created_at TEXT NOT NULL
    );
    CREATE TABLE breakers (
        workflow TEXT NOT NULL, node_id TEXT NOT NULL, state TEXT NOT NULL,
        failures INTEGER NOT NULL, successes INTEGER NOT NULL, opened_at REAL,
        PRIMARY KEY (workflow, node_id)
    );
    """,
}


_F = TypeVar("_F", bound=Callable[..., Any])


def _guarded(method: _F) -> _F:
    """One lock per store (a recorder's timer thread shares the connection), and SQLite's
    errors as StoreError: a file damaged past its first pages fails here, not at open."""

    @functools.wraps(method)
    def wrapper(self: Store, *args: Any, **kwargs: Any) -> Any:
        with self.lock:
            try:
                return method(self, *args, **kwargs)
            except sqlite3.DatabaseError as e:
                raise StoreError(
                    f"the run store {self.path} failed: {e}; if the file is damaged, "
                    "move it away to start a new store"
                ) from None

    return wrapper  # type: ignore[return-value]


def _dumps(value: Any) -> str:
    return json.dumps(value, default=str, ensure_ascii=False)


def _loads(text: str | None) -> Any:
    return None if text is None else json.loads(text)


def _alive(pid: int | None) -> bool:
    if not pid:
        return False
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # exists, owned by someone else
        return True
    return True


class Store:
    """One SQLite file. Open with ``Store.open(path)``; every method is one transaction."""

    def __init__(self, connection: sqlite3.Connection, path: Path) -> None:
        self.db = connection
        self.path = path
        self.lock = threading.RLock()

    @classmethod
    def open(cls, path: Path) -> Store:
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            db = sqlite3.connect(path, timeout=30.0, isolation_level=None, check_same_thread=False)
            db.execute("PRAGMA journal_mode=WAL")
            db.execute("PRAGMA synchronous=NORMAL")
            db.execute("PRAGMA foreign_keys=ON")
            store = cls(db, path)
            store._migrate()
        except sqlite3.DatabaseError as e:
            raise StoreError(
                f"cannot open the run store {path}: {e}; check runtime.store in "
                "kailash.yaml, or move the file away to start a new store"
            ) from None
        except OSError as e:
            raise StoreError(f"cannot create the run store {path}: {e.strerror}") from None
        return store

    @_guarded
    def close(self) -> None:
        self.db.close()

    @contextmanager
    def _tx(self) -> Iterator[sqlite3.Connection]:
        self.db.execute("BEGIN IMMEDIATE")
        try:
            yield self.db
        except BaseException:
            self.db.execute("ROLLBACK")
            raise
        self.db.execute("COMMIT")

    def _migrate(self) -> None:
        with self._tx() as db:
            db.execute("CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT)")
            row = db.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
            version = int(row[0]) if row else 0
            if version > SCHEMA_VERSION:
                raise StoreError(
                    f"{self.path} was written by a newer kailash (store version "
                    f"{version}); upgrade kailash to read it"
                )
            for step in range(version + 1, SCHEMA_VERSION + 1):
                for statement in _MIGRATIONS[step].split(";"):
                    if statement.strip():
                        db.execute(statement)
            db.execute("INSERT OR REPLACE INTO meta VALUES ('schema_version', ?)", (str(SCHEMA_VERSION),))

    # -- runs -------------------------------------------------------------------------

    @_guarded
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
    ) -> None:
        with self._tx() as db:
            db.execute(
                "INSERT INTO runs (run_id, workflow, workflow_path, status, started_at, pid, "
                "params, resumed_from, user, node_hashes) VALUES (?,?,?,?,?,?,?,?,?,?)",
                (
                    run_id,
                    workflow,
                    path,
                    "running",
                    started_at,
                    os.getpid(),
                    _dumps(params),
                    resumed_from,
                    user,
                    _dumps(node_hashes),
                ),
            )

    @_guarded
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
                        _dumps(r.get("outputs")),
                        _dumps(r.get("extra") or {}),
                        r["position"],
                    )
                    for r in rows
                ],
            )

    @_guarded
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
                (status, finished_at, duration_ms, _dumps(outputs), error, started_at, run_id),
            )

    def _run_dict(self, row: sqlite3.Row) -> dict[str, Any]:
        run = dict(row)
        if run["status"] == "running" and not _alive(run["pid"]):
            run["status"] = "interrupted"
        for key in ("params", "outputs", "node_hashes"):
            run[key] = _loads(run[key])
        return run

    @_guarded
    def runs(
        self, *, workflow: str | None = None, status: str | None = None, limit: int = 20
    ) -> list[dict[str, Any]]:
        self.db.row_factory = sqlite3.Row
        query, args = "SELECT * FROM runs", []
        if workflow:
            query, args = query + " WHERE workflow = ?", [workflow]
        query += " ORDER BY started_at DESC, rowid DESC"
        rows = [self._run_dict(r) for r in self.db.execute(query, args)]
        if status:
            rows = [r for r in rows if r["status"] == status]
        return rows[:limit]

    @_guarded
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
            n["node_id"]: {**dict(n), "outputs": _loads(n["outputs"]), "extra": _loads(n["extra"])}
            for n in nodes
        }
        return run

    # -- dead letters -----------------------------------------------------------------

    @_guarded
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
                (run_id, workflow, node_id, node_type, _dumps(inputs), error, attempts, created_at),
            )

    @_guarded
    def dead_letters(self, limit: int = 50) -> list[dict[str, Any]]:
        self.db.row_factory = sqlite3.Row
        rows = self.db.execute("SELECT * FROM dead_letters ORDER BY id DESC LIMIT ?", (limit,))
        return [{**dict(r), "inputs": _loads(r["inputs"])} for r in rows]

    @_guarded
    def dead_letter(self, letter_id: int) -> dict[str, Any] | None:
        self.db.row_factory = sqlite3.Row
        row = self.db.execute("SELECT * FROM dead_letters WHERE id = ?", (letter_id,)).fetchone()
        return None if row is None else {**dict(row), "inputs": _loads(row["inputs"])}

    # -- circuit breakers -------------------------------------------------------------

    @_guarded
    def breaker(self, workflow: str, node_id: str) -> dict[str, Any]:
        self.db.row_factory = sqlite3.Row
        row = self.db.execute(
            "SELECT * FROM breakers WHERE workflow = ? AND node_id = ?", (workflow, node_id)
        ).fetchone()
        if row is None:
            return {"state": "closed", "failures": 0, "successes": 0, "opened_at": None}
        return dict(row)

    @_guarded
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

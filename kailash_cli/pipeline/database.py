"""The SQLite file under the run store: opening it, its tables, one transaction per call.

``Database.open`` creates the file in WAL mode and brings its tables up to
``SCHEMA_VERSION`` (a file written by a newer kailash is refused); ``guarded`` gives each
method the store's lock and turns SQLite's errors into ``StoreError``; ``_tx`` is one
short ``BEGIN IMMEDIATE`` transaction. JSON columns go through ``dumps`` and ``loads``.
What is stored in the tables is ``pipeline/store.py``.
"""

from __future__ import annotations

import functools
import json
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from json.encoder import c_make_encoder, encode_basestring  # type: ignore[attr-defined]
from pathlib import Path
from typing import Any, Self, TypeVar

from kailash_cli.errors import StoreError
from kailash_cli.model.storable import unstorable

SCHEMA_VERSION = 2
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
    2: "ALTER TABLE runs ADD COLUMN executor TEXT",  # where node calls ran (Dask), JSON
}


_F = TypeVar("_F", bound=Callable[..., Any])


def guarded(method: _F) -> _F:
    """One lock per store (a recorder's timer thread shares the connection), and SQLite's
    errors as StoreError: a file damaged past its first pages fails here, not at open."""

    @functools.wraps(method)
    def wrapper(self: Database, *args: Any, **kwargs: Any) -> Any:
        with self.lock:
            try:
                return method(self, *args, **kwargs)
            except sqlite3.DatabaseError as e:
                raise StoreError(
                    f"the run store {self.path} failed: {e}; if the file is damaged, "
                    "move it away to start a new store"
                ) from None

    return wrapper  # type: ignore[return-value]


#: json.dumps(value, default=str, ensure_ascii=False), without making an encoder a call
_COLUMN_JSON = json.JSONEncoder(default=str, ensure_ascii=False)


def _encode(value: Any) -> str:
    """``_COLUMN_JSON.encode(value)`` through the C encoder directly (the Python method
    around it cost twice the encoding of a node's small result)."""
    if c_make_encoder is None:  # pragma: no cover - CPython has it
        return _COLUMN_JSON.encode(value)
    chunks = c_make_encoder({}, str, encode_basestring, None, ": ", ", ", False, False, True)(value, 0)
    return "".join(chunks)


def dumps(value: Any) -> str:
    """JSON text for a column. Never raises: a value JSON cannot hold (PythonCodeNode results
    are refused before, by ``model.storable``) is kept as a note saying where and why."""
    try:
        text = _encode(value)
    except (TypeError, ValueError, RecursionError):
        return json.dumps(f"<not stored: {unstorable(value, 'value') or 'not JSON data'}>")
    try:
        text.encode("utf-8")  # what SQLite stores; a lone surrogate is kept as a JSON escape
    except UnicodeEncodeError:
        return json.dumps(value, default=str)
    return text


def loads(text: str | None) -> Any:
    """The value of a JSON column; one that cannot be read back (written by an older version:
    thousands of levels deep) becomes a note instead of breaking every listing."""
    if text is None:
        return None
    try:
        return json.loads(text)
    except (ValueError, RecursionError):
        return "<not readable: nested too deeply or not JSON>"


class Database:
    """One SQLite file: its connection and its lock. ``Store`` adds what is kept in it."""

    def __init__(self, connection: sqlite3.Connection, path: Path) -> None:
        self.db = connection
        self.path = path
        self.lock = threading.RLock()

    @classmethod
    def open(cls, path: Path) -> Self:
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            db = sqlite3.connect(path, timeout=30.0, isolation_level=None, check_same_thread=False)
            _wal(db)
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

    @guarded
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


def _wal(db: sqlite3.Connection, tries: int = 200) -> None:
    """Switch to write-ahead logging. Two processes creating the same store at once can get
    "database is locked" here without SQLite's busy timeout applying: wait and try again."""
    for attempt in range(tries):
        try:
            db.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError as e:
            if "locked" not in str(e) or attempt == tries - 1:
                raise
            time.sleep(0.01 * min(attempt + 1, 10))

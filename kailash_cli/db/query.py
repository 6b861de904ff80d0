"""One statement on one connection: params bound by the driver, ``many`` in batches, in a
transaction or not, rows fetched as mappings; driver errors worded as SQLError or
DatabaseConnectionError (one line, no password)."""

from __future__ import annotations

import contextlib
import itertools
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from kailash_cli.db.connect import _reason
from kailash_cli.db.paramstyle import ParamStyleError, Statement, check, prepare
from kailash_cli.db.urls import DatabaseConnectionError, DatabaseURL, SQLError

DEFAULT_BATCH_SIZE = 5000
_MYSQL_CONNECTION_CODES = {2003, 2006, 2013, 2055}  # can't connect, gone away, lost, lost at reading


@dataclass(frozen=True)
class Request:
    query: str
    params: Any = None
    many: Iterable[Any] | None = None
    fetch: str = "all"
    transaction: bool = True
    batch_size: int = DEFAULT_BATCH_SIZE


def run(conn: Any, url: DatabaseURL, request: Request, where: str) -> dict[str, Any]:
    """``data``, ``row_count`` and ``columns`` of ``request`` on ``conn``; ``where`` starts
    every error message (the node and the database)."""
    try:
        with _transaction(conn, url.kind, request.transaction):
            if request.many is not None:
                return _many(conn, url.kind, request)
            return _one(conn, url.kind, request)
    except ParamStyleError as e:
        raise ParamStyleError(f"{where}: {e}") from None
    except Exception as e:
        raise _worded(e, conn, url, where) from None


def _one(conn: Any, kind: str, request: Request) -> dict[str, Any]:
    statement = prepare(request.query, kind, request.params)
    if statement.style != "none":
        check(statement, request.params)
    cursor = conn.cursor()
    try:
        if statement.style == "none":
            cursor.execute(statement.sql)
        else:
            cursor.execute(statement.sql, request.params)
        columns = [str(d[0]) for d in cursor.description] if cursor.description else []
        if request.fetch == "none" or not columns:
            data: list[Any] | None = None if request.fetch != "all" else []
            return {"data": data, "row_count": max(cursor.rowcount, 0), "columns": columns}
        if request.fetch == "one":
            row = cursor.fetchone()
            return {
                "data": None if row is None else dict(zip(columns, row, strict=False)),
                "row_count": 0 if row is None else 1,
                "columns": columns,
            }
        rows = [dict(zip(columns, row, strict=False)) for row in cursor.fetchall()]
        return {"data": rows, "row_count": len(rows), "columns": columns}
    finally:
        cursor.close()


def _many(conn: Any, kind: str, request: Request) -> dict[str, Any]:
    assert request.many is not None
    batches = _batches(request.many, request.batch_size)
    first = next(batches, None)
    if first is None:
        return {"data": None, "row_count": 0, "columns": []}
    statement = prepare(request.query, kind, first[0])
    cursor = conn.cursor()
    total, done = 0, 0
    try:
        for batch in itertools.chain([first], batches):
            try:
                cursor.executemany(statement.sql, batch)
            except Exception:
                _check_rows(statement, batch, done)  # a readable error for a row that does not fit
                raise
            total += max(cursor.rowcount, 0)
            done += len(batch)
    finally:
        cursor.close()
    return {"data": None, "row_count": total, "columns": []}


def _batches(rows: Iterable[Any], size: int) -> Iterator[list[Any]]:
    """Lists of at most ``size`` param sets, from a list (sliced) or any iterable (read lazily)."""
    if isinstance(rows, list):
        for start in range(0, len(rows), size):
            yield rows[start : start + size]
        return
    items = iter(rows)
    while batch := list(itertools.islice(items, size)):
        yield batch


def _check_rows(statement: Statement, batch: list[Any], offset: int) -> None:
    for i, row in enumerate(batch):
        check(statement, row, f"many[{offset + i}]")


@contextlib.contextmanager
def _transaction(conn: Any, kind: str, wanted: bool) -> Iterator[None]:
    """One transaction around the block (committed at its end, rolled back on any error)."""
    if not wanted:
        yield
        return
    if kind == "postgresql":
        with conn.transaction():
            yield
        return
    if kind == "sqlite":
        conn.execute("BEGIN")
    else:
        conn.begin()
    try:
        yield
    except BaseException:
        with contextlib.suppress(Exception):  # a lost connection cannot roll back: the server does
            conn.rollback()
        raise
    conn.commit()


def _worded(error: Exception, conn: Any, url: DatabaseURL, where: str) -> Exception:
    if isinstance(error, DatabaseConnectionError | SQLError):
        return error
    reason = url.hide(_reason(error))
    if _lost(error, conn, url.kind):
        return DatabaseConnectionError(f"{where}: connection lost: {reason}")
    return SQLError(f"{where}: {reason}")


def _lost(error: Exception, conn: Any, kind: str) -> bool:
    """Whether ``error`` says the connection is gone (retryable), not the statement wrong."""
    if kind == "postgresql":
        return bool(getattr(conn, "broken", False) or getattr(conn, "closed", False))
    if kind == "mysql":
        args = getattr(error, "args", ())
        code = args[0] if args and isinstance(args[0], int) else None
        return code in _MYSQL_CONNECTION_CODES or not getattr(conn, "open", True)
    return False

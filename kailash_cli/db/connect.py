"""Connections from a :class:`DatabaseURL`: SQLite (stdlib), PostgreSQL (psycopg 3) and
MySQL/MariaDB (PyMySQL), each with a connect timeout; driver errors become one
:class:`DatabaseError` line without the password."""

from __future__ import annotations

import math
import sqlite3
from typing import Any
from urllib.parse import quote

from kailash_cli.db.urls import DatabaseConnectionError, DatabaseError, DatabaseURL

_EXTRAS = {"postgresql": ("psycopg", "postgres"), "mysql": ("PyMySQL", "mysql")}
_MYSQL_PARAMS = {"unix_socket", "charset"}


def connect(url: DatabaseURL, *, timeout: float = 5.0, read_only: bool = False, queries: bool = False) -> Any:
    """An open DB-API connection (autocommit on servers); the caller closes it.

    ``read_only`` opens a SQLite file read-only and never creates it (for server
    databases the connection is the same either way). ``timeout`` bounds connecting (and,
    unless ``queries`` is set, MySQL reads and writes: ``queries`` is for statements of
    any length, which the node's own timeout bounds). A server that cannot be reached
    raises DatabaseConnectionError.
    """
    if url.kind == "sqlite":
        return _sqlite(url, timeout, read_only)
    if url.kind == "postgresql":
        return _postgres(url, timeout)
    return _mysql(url, timeout, None if queries else timeout)


def ping(url: DatabaseURL, *, timeout: float = 5.0) -> None:
    """Connect read-only and run a query that reads the database; DatabaseError when not."""
    conn = connect(url, timeout=timeout, read_only=True)
    try:
        cursor = conn.cursor()
        try:
            cursor.execute("SELECT count(*) FROM sqlite_master" if url.kind == "sqlite" else "SELECT 1")
            cursor.fetchall()
        finally:
            cursor.close()
    except Exception as e:  # any driver's error: worded like the connect errors
        raise DatabaseError(f"{url.redacted}: query failed: {url.hide(_reason(e))}") from None
    finally:
        conn.close()


def _driver(url: DatabaseURL) -> Any:
    package, extra = _EXTRAS[url.kind]
    try:
        if url.kind == "postgresql":
            import psycopg

            return psycopg
        import pymysql

        return pymysql
    except ImportError:
        raise DatabaseError(
            f"{url.redacted} needs the {package} driver: pip install 'kailash-cli[{extra}]'"
        ) from None


def _reason(error: BaseException) -> str:
    args: tuple[Any, ...] = tuple(getattr(error, "args", ()))
    if len(args) >= 2 and isinstance(args[0], int) and isinstance(args[1], str):  # PyMySQL (code, text)
        return f"{args[1]} (error {args[0]})"
    return str(error) or type(error).__name__


def _sqlite(url: DatabaseURL, timeout: float, read_only: bool) -> sqlite3.Connection:
    if url.path is None:
        return sqlite3.connect(":memory:", timeout=timeout, check_same_thread=False)
    target = f"file:{quote(str(url.path))}?mode=ro" if read_only else str(url.path)
    if read_only and not url.path.is_file():
        what = "is not a file" if url.path.exists() else "does not exist"
        raise DatabaseError(f"SQLite database {url.path} {what}")
    try:
        return sqlite3.connect(target, timeout=timeout, uri=read_only, check_same_thread=False)
    except sqlite3.Error as e:
        raise DatabaseError(f"cannot open SQLite database {url.path}: {e}") from None


def _postgres(url: DatabaseURL, timeout: float) -> Any:
    psycopg = _driver(url)
    try:
        # libpq counts whole seconds, at least 2
        conninfo = "postgresql://" + url.text.partition("://")[2]  # without a "+driver" of the scheme
        return psycopg.connect(conninfo, connect_timeout=max(2, math.ceil(timeout)), autocommit=True)
    except (psycopg.Error, OSError) as e:
        raise DatabaseConnectionError(f"cannot connect to {url.redacted}: {url.hide(_reason(e))}") from None


def _mysql(url: DatabaseURL, timeout: float, io_timeout: float | None) -> Any:
    unknown = sorted(set(url.query) - _MYSQL_PARAMS)
    if unknown:
        raise DatabaseError(
            f"{url.redacted}: unknown parameter '{unknown[0]}'; a MySQL URL takes "
            + " and ".join(sorted(_MYSQL_PARAMS))
        )
    pymysql = _driver(url)
    try:
        return pymysql.connect(
            host=url.host or "localhost",
            port=url.port or 3306,
            user=url.user or "",
            password=url.password or "",
            database=url.database,
            unix_socket=url.query.get("unix_socket"),
            charset=url.query.get("charset", "utf8mb4"),
            connect_timeout=timeout,
            read_timeout=io_timeout,
            write_timeout=io_timeout,
            autocommit=True,
        )
    except (pymysql.err.Error, OSError) as e:
        raise DatabaseConnectionError(f"cannot connect to {url.redacted}: {url.hide(_reason(e))}") from None

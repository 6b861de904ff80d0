"""Connection pools, one per database per run, kept in the process that runs the nodes.

A node call carries only a :class:`~kailash_cli.db.settings.DatabaseSpec` (plain data: it
pickles); the pool itself lives in :data:`POOLS`, keyed by the run's id, and
``POOLS.close_run(run_id)`` closes that run's pools when it ends. PostgreSQL uses
``psycopg_pool``; SQLite and MySQL/MariaDB a small pool of DB-API connections here.
Every connection is in autocommit mode: the node opens a transaction when it wants one.
"""

from __future__ import annotations

import contextlib
import math
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any, Protocol

from kailash_cli.db.connect import connect
from kailash_cli.db.settings import PoolSettings
from kailash_cli.db.urls import DatabaseConnectionError, DatabaseError, DatabaseURL


class Pool(Protocol):
    def connection(self) -> contextlib.AbstractContextManager[Any]: ...

    def close(self) -> None: ...


class SimplePool:
    """Up to ``max_size`` connections made by ``factory``; ``min_size`` opened at once
    (which also tells at once when the database cannot be reached)."""

    def __init__(
        self,
        url: DatabaseURL,
        settings: PoolSettings,
        factory: Callable[[], Any],
        alive: Callable[[Any], bool] = lambda conn: True,
    ) -> None:
        self.url, self.settings, self._factory, self._alive = url, settings, factory, alive
        self._idle: list[Any] = []
        self._open = 0
        self._closed = False
        self._cond = threading.Condition()
        try:
            for _ in range(settings.min_size):
                self._idle.append(factory())
                self._open += 1
        except BaseException:
            self.close()
            raise

    @contextlib.contextmanager
    def connection(self) -> Iterator[Any]:
        conn = self._acquire()
        try:
            yield conn
        finally:
            self._release(conn)

    def _acquire(self) -> Any:
        deadline = time.monotonic() + self.settings.timeout
        with self._cond:
            while True:
                if self._closed:
                    raise DatabaseConnectionError(f"{self.url.redacted}: the run's connection pool is closed")
                if self._idle:
                    conn = self._idle.pop()
                    break
                if self._open < self.settings.max_size:
                    self._open += 1
                    conn = None
                    break
                left = deadline - time.monotonic()
                if left <= 0:
                    raise _pool_timeout(self.url, self.settings)
                self._cond.wait(left)
        if conn is not None and self._alive(conn):
            return conn
        _close_quietly(conn)
        try:
            return self._factory()
        except BaseException:
            with self._cond:
                self._open -= 1
                self._cond.notify()
            raise

    def _release(self, conn: Any) -> None:
        with self._cond:
            if self._closed or not getattr(conn, "open", True):  # PyMySQL: False once lost
                self._open -= 1
                _close_quietly(conn)
            else:
                self._idle.append(conn)
            self._cond.notify()

    def close(self) -> None:
        with self._cond:
            self._closed = True
            idle, self._idle = self._idle, []
            self._open -= len(idle)
            self._cond.notify_all()
        for conn in idle:
            _close_quietly(conn)


class PsycopgPool:
    """A ``psycopg_pool.ConnectionPool``; a PoolTimeout becomes DatabaseConnectionError."""

    def __init__(self, url: DatabaseURL, settings: PoolSettings) -> None:
        try:
            from psycopg_pool import ConnectionPool
        except ImportError:
            raise DatabaseError(
                f"{url.redacted} needs psycopg_pool: pip install 'kailash-cli[postgres]'"
            ) from None
        connect(url, timeout=settings.timeout).close()  # a refused connection fails now, with its reason
        self.url, self.settings = url, settings
        self._pool = ConnectionPool(
            "postgresql://" + url.text.partition("://")[2],
            min_size=settings.min_size,
            max_size=max(settings.max_size, settings.min_size),
            timeout=settings.timeout,
            kwargs={"autocommit": True, "connect_timeout": max(2, math.ceil(settings.timeout))},
            check=ConnectionPool.check_connection,
            open=False,
        )
        self._pool.open(wait=False)

    @contextlib.contextmanager
    def connection(self) -> Iterator[Any]:
        from psycopg_pool import PoolTimeout

        try:
            context = self._pool.connection()
            conn = context.__enter__()
        except PoolTimeout:
            raise _pool_timeout(self.url, self.settings) from None
        try:
            yield conn
        except BaseException as e:
            context.__exit__(type(e), e, e.__traceback__)
            raise
        context.__exit__(None, None, None)

    def close(self) -> None:
        self._pool.close(timeout=1.0)


def open_pool(url: DatabaseURL, settings: PoolSettings) -> Pool:
    """A pool for ``url`` (a SQLite file's path already checked by the caller)."""
    if url.kind == "postgresql":
        return PsycopgPool(url, settings)
    if url.kind == "mysql":
        return SimplePool(
            url, settings, lambda: connect(url, timeout=settings.timeout, queries=True), _mysql_alive
        )
    if url.path is None:  # one in-memory database: every node of the run shares it
        settings = PoolSettings(1, 1, settings.timeout)
    else:
        url.path.parent.mkdir(parents=True, exist_ok=True)
    return SimplePool(url, settings, lambda: _sqlite(url, settings.timeout))


def _sqlite(url: DatabaseURL, timeout: float) -> Any:
    conn = connect(url, timeout=timeout)
    conn.isolation_level = None  # autocommit: BEGIN / COMMIT are the node's
    return conn


def _mysql_alive(conn: Any) -> bool:
    try:
        conn.ping(reconnect=False)
    except Exception:  # any driver error: the connection is of no use
        return False
    return True


def _pool_timeout(url: DatabaseURL, settings: PoolSettings) -> DatabaseConnectionError:
    return DatabaseConnectionError(
        f"no connection to {url.redacted} within {settings.timeout:g}s (pool timeout): the server "
        f"does not answer, or all {settings.max_size} connections (pool max_size) are in use"
    )


def _close_quietly(conn: Any) -> None:
    if conn is None:
        return
    with contextlib.suppress(Exception):  # closing a broken connection may fail: it is gone anyway
        conn.close()


class PoolRegistry:
    """The pools of the runs going on in this process, by run id and database."""

    def __init__(self) -> None:
        self._pools: dict[tuple[str | None, Any], Pool] = {}
        self._making: dict[tuple[str | None, Any], threading.Lock] = {}
        self._lock = threading.Lock()

    def get(self, run_id: str | None, key: Any, make: Callable[[], Pool]) -> Pool:
        """The run's pool for ``key``, made by ``make`` the first time (once, whatever the threads)."""
        full = (run_id, key)
        with self._lock:
            pool = self._pools.get(full)
            if pool is not None:
                return pool
            making = self._making.setdefault(full, threading.Lock())
        with making:
            with self._lock:
                pool = self._pools.get(full)
            if pool is None:
                pool = make()
                with self._lock:
                    self._pools[full] = pool
            return pool

    def close_run(self, run_id: str | None) -> None:
        """Close the pools of ``run_id`` (connections in use close when they come back)."""
        with self._lock:
            keys = [k for k in self._pools if k[0] == run_id]
            pools = [self._pools.pop(k) for k in keys]
            for key in [k for k in self._making if k[0] == run_id]:
                del self._making[key]
        for pool in pools:
            pool.close()


POOLS = PoolRegistry()  # one per process: pools belong to the runs of this process

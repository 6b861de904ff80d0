"""``kailash_cli.db`` for SQLDatabaseNode: placeholders per driver, pools, ``databases:`` settings."""

from __future__ import annotations

import sys
import threading
from pathlib import Path

import pytest
from helpers import kailash, write

from kailash_cli.db import DatabaseConnectionError, DatabaseError, parse_url
from kailash_cli.db.paramstyle import ParamStyleError, Statement, check, prepare
from kailash_cli.db.pools import POOLS, PoolRegistry, PsycopgPool, SimplePool
from kailash_cli.db.query import _batches
from kailash_cli.db.settings import DatabaseSpec, PoolSettings, database_specs, resolve_env


@pytest.mark.parametrize(
    ("kind", "query", "params", "sql"),
    [
        (
            "postgresql",
            "SELECT :a, ':b', x::int, 5 % 2 -- :c ?",
            {"a": 1},
            "SELECT %(a)s, ':b', x::int, 5 %% 2 -- :c ?",
        ),
        ("postgresql", "SELECT ?, $$ ? $$, $f$ :x $f$, '%'", [1], "SELECT %s, $$ ? $$, $f$ :x $f$, '%%'"),
        (
            "postgresql",
            "SELECT data ? 'k', %s FROM t WHERE id = :id",
            {"id": 1},
            "SELECT data ? 'k', %%s FROM t WHERE id = %(id)s",
        ),
        ("mysql", "SELECT 'it\\'s :n', `a?`, ? # :z ?\n", [1], "SELECT 'it\\'s :n', `a?`, %s # :z ?\n"),
        ("sqlite", "INSERT INTO t VALUES (%s, %s, '%s')", [1, 2], "INSERT INTO t VALUES (?, ?, '%s')"),
        ("sqlite", 'SELECT :a, "?", [x?] /* :b */', {"a": 1}, 'SELECT :a, "?", [x?] /* :b */'),
        ("postgresql", "SELECT '%'", None, "SELECT '%'"),
    ],
)
def test_placeholders_per_driver(kind: str, query: str, params: object, sql: str) -> None:
    assert prepare(query, kind, params).sql == sql


def test_statement_shapes_and_misfits() -> None:
    assert prepare("SELECT :a, :b, :a", "sqlite", {}) == Statement("SELECT :a, :b, :a", "named", ("a", "b"))
    assert prepare("SELECT ?, ?", "mysql", (1, 2)).count == 2
    with pytest.raises(ParamStyleError, match="mixes \\? and %s"):
        prepare("SELECT ?, %s", "postgresql", [1, 2])
    with pytest.raises(ParamStyleError, match="has :a placeholders but params is a list"):
        prepare("SELECT :a", "postgresql", [1])
    with pytest.raises(ParamStyleError, match="params must be a mapping .* got str"):
        prepare("SELECT 1", "sqlite", "x")
    named, positional = prepare("SELECT :a", "sqlite", {}), prepare("SELECT ?", "sqlite", [])
    with pytest.raises(
        ParamStyleError, match="^many\\[2\\] is list; the query's :name placeholders need a mapping$"
    ):
        check(named, [1], "many[2]")
    with pytest.raises(ParamStyleError, match="^params is dict; the query's \\? placeholders need a list$"):
        check(positional, {})
    check(prepare("SELECT 1", "sqlite", None), None)


def test_batches_from_a_list_or_any_iterable() -> None:
    assert list(_batches([1, 2, 3, 4, 5], 2)) == [[1, 2], [3, 4], [5]]
    assert list(_batches(iter(range(5)), 3)) == [[0, 1, 2], [3, 4]]
    assert list(_batches([], 3)) == []


def test_settings_from_the_config(tmp_path: Path) -> None:
    section = {
        "main": {"url": "${env.DB_URL}", "pool": {"min_size": 2, "max_size": 4, "timeout": 1.5}},
        "big": {"url": "sqlite:///a.db", "pool": {"min_size": 20}},
        "unset": {"url": "postgresql://${NOPE}@h/db"},
        "broken": "not a mapping",
    }
    specs = database_specs(section, tmp_path, {"DB_URL": "postgresql://u:pw@h/db"})
    assert specs["main"] == DatabaseSpec("postgresql://u:pw@h/db", tmp_path, PoolSettings(2, 4, 1.5), "main")
    assert specs["big"].pool == PoolSettings(20, 20, 30.0)
    assert specs["unset"].error == "databases.unset.url: environment variable NOPE is not set"
    assert "broken" not in specs
    assert specs["main"].label == "database 'main'"
    assert DatabaseSpec("postgresql://u:pw@h/db", tmp_path).label == "postgresql://u:***@h/db"
    with pytest.raises(KeyError, match="is not an environment variable"):
        resolve_env("${params.x}", {})


def test_simple_pool_waits_at_most_its_timeout_then_fails(tmp_path: Path) -> None:
    url = parse_url("sqlite:///p.db", tmp_path)
    pool = SimplePool(url, PoolSettings(0, 1, 0.05), object)
    with (
        pool.connection() as held,
        pytest.raises(DatabaseConnectionError, match=r"within 0.05s \(pool timeout\).* all 1 connections"),
        pool.connection(),
    ):
        pass
    with pool.connection() as again:
        assert again is held  # given back, then reused
    pool.close()
    with pytest.raises(DatabaseConnectionError, match="pool is closed"), pool.connection():
        pass


def test_simple_pool_hands_a_freed_connection_to_a_waiting_node(tmp_path: Path) -> None:
    url = parse_url("sqlite:///p.db", tmp_path)
    pool = SimplePool(url, PoolSettings(1, 1, 30), object)
    got: list[object] = []
    with pool.connection() as first:
        waiter = threading.Thread(target=lambda: got.append(pool.connection().__enter__()))
        waiter.start()
    waiter.join(30)
    assert got == [first]


def test_a_failed_connect_frees_its_place(tmp_path: Path) -> None:
    url = parse_url("sqlite:///p.db", tmp_path)
    calls = []

    def factory() -> object:
        calls.append(1)
        if len(calls) == 1:
            raise DatabaseConnectionError("refused")
        return object()

    pool = SimplePool(url, PoolSettings(0, 1, 1), factory)
    with pytest.raises(DatabaseConnectionError), pool.connection():
        pass
    with pool.connection() as conn:
        assert conn is not None


def test_registry_makes_one_pool_per_run_and_closes_them(tmp_path: Path) -> None:
    registry = PoolRegistry()
    closed: list[str] = []

    class Fake:
        def __init__(self, name: str) -> None:
            self.name = name

        def connection(self) -> object:
            raise AssertionError

        def close(self) -> None:
            closed.append(self.name)

    a = registry.get("r1", "db", lambda: Fake("a"))
    assert registry.get("r1", "db", lambda: Fake("again")) is a
    registry.get("r2", "db", lambda: Fake("b"))
    registry.close_run("r1")
    assert closed == ["a"]
    assert registry.get("r1", "db", lambda: Fake("c")).name == "c"  # type: ignore[attr-defined]


def test_missing_pool_driver_names_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "psycopg_pool", None)
    with pytest.raises(DatabaseError, match=r"needs psycopg_pool: pip install 'kailash-cli\[postgres\]'"):
        PsycopgPool(parse_url("postgresql://u:pw@127.0.0.1/db"), PoolSettings())


def test_pool_min_size_over_max_size_is_a_finding(tmp_path: Path) -> None:
    write(
        tmp_path / "kailash.yaml",
        "databases:\n  main: {url: 'sqlite:///a.db', pool: {min_size: 5, max_size: 2}}\n",
    )
    proc = kailash("validate", "kailash.yaml", cwd=tmp_path)
    assert proc.returncode == 1
    assert "error KV104: databases.main.pool: min_size 5 is more than max_size 2" in proc.stdout


def test_a_node_call_with_databases_pickles(tmp_path: Path) -> None:
    import pickle

    from kailash_cli.engine.executor import NodeCall
    from kailash_cli.nodes.files import FileAccess

    specs = database_specs({"main": {"url": "sqlite:///a.db", "pool": {"max_size": 2}}}, tmp_path, {})
    call = NodeCall(
        "q", "SQLDatabaseNode", {"connection": "main", "query": "SELECT 3 AS c"}, FileAccess(tmp_path)
    )
    call.databases, call.run_id = specs, "r-pickle"
    copy = pickle.loads(pickle.dumps(call))
    try:
        assert copy.run() == {"data": [{"c": 3}], "row_count": 1, "columns": ["c"]}
    finally:
        POOLS.close_run("r-pickle")

"""SQLDatabaseNode against real SQLite files, the local PostgreSQL and the local MariaDB.

Each test works in a table of its own (tests run in parallel), dropped at its end.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from db_helpers import postgres_schema
from helpers import REPO, kailash, make_ctx, no_traceback, run_node, write

from kailash_cli.db import DatabaseConnectionError, DatabaseError, SQLError, connect, parse_url
from kailash_cli.db.paramstyle import ParamStyleError
from kailash_cli.db.pools import POOLS
from kailash_cli.db.settings import DatabaseSpec, PoolSettings
from kailash_cli.errors import PathDeniedError
from kailash_cli.nodes.files import FileAccess
from kailash_cli.security.paths import PathGuard

POSTGRES = "postgresql://postgres@127.0.0.1:5432/test"
MARIADB = "mysql://root@127.0.0.1:3306/test"
INJECTION = "'; DROP TABLE x; --"


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])  # closed once the block ends: nothing listens there


@pytest.fixture(autouse=True)
def _pools() -> Iterator[None]:
    yield
    POOLS.close_run(None)  # run_node calls belong to no run


class DB:
    """One backend and a table of this test's own."""

    def __init__(self, kind: str, url: str, tmp_path: Path) -> None:
        self.kind, self.url, self.tmp_path = kind, url, tmp_path
        self.table = f"kt_{uuid.uuid4().hex[:12]}"

    def sql(self, query: str, **config: Any) -> dict[str, Any]:
        params = {"connection": self.url, "query": query.replace("TBL", self.table), **config}
        return run_node("SQLDatabaseNode", params, make_ctx(self.tmp_path, node_id="q"))

    def create(self) -> None:
        self.sql("CREATE TABLE TBL (id INTEGER PRIMARY KEY, name VARCHAR(100), score INTEGER)", fetch="none")

    def names(self) -> list[str]:
        return [r["name"] for r in self.sql("SELECT name FROM TBL ORDER BY id")["data"]]

    def drop(self) -> None:
        conn = connect(parse_url(self.url, self.tmp_path))
        try:
            conn.cursor().execute(f"DROP TABLE IF EXISTS {self.table}")
            conn.commit()
        finally:
            conn.close()


@pytest.fixture(params=["sqlite", "postgresql", "mysql"])
def db(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[DB]:
    url = {"sqlite": "sqlite:///data/app.db", "postgresql": POSTGRES, "mysql": MARIADB}[request.param]
    backend = DB(request.param, url, tmp_path)
    backend.create()
    yield backend
    POOLS.close_run(None)
    backend.drop()


def test_fetch_modes(db: DB) -> None:
    inserted = db.sql(
        "INSERT INTO TBL (id, name, score) VALUES (:id, :name, :score)",
        params={"id": 1, "name": "Ada", "score": 90},
    )
    assert inserted == {"data": [], "row_count": 1, "columns": []}
    db.sql("INSERT INTO TBL (id, name, score) VALUES (?, ?, ?)", params=[2, "Grace", 80])
    everything = db.sql("SELECT id, name FROM TBL ORDER BY id")
    assert everything == {
        "data": [{"id": 1, "name": "Ada"}, {"id": 2, "name": "Grace"}],
        "row_count": 2,
        "columns": ["id", "name"],
    }
    one = db.sql("SELECT name FROM TBL WHERE score > :s ORDER BY id", params={"s": 10}, fetch="one")
    assert one == {"data": {"name": "Ada"}, "row_count": 1, "columns": ["name"]}
    assert db.sql("SELECT name FROM TBL WHERE id = :id", params={"id": 99}, fetch="one")["data"] is None
    none = db.sql("UPDATE TBL SET score = score + 1 WHERE id > %s", params=[0], fetch="none")
    assert none == {"data": None, "row_count": 2, "columns": []}


def test_many_in_batches_and_injection_is_stored_literally(db: DB) -> None:
    rows = [{"id": i, "name": f"n{i}", "extra": "ignored"} for i in range(1, 6)] + [
        {"id": 6, "name": INJECTION}
    ]
    out = db.sql("INSERT INTO TBL (id, name) VALUES (:id, :name)", many=rows, batch_size=2)
    assert out == {"data": None, "row_count": 6, "columns": []}
    assert db.names() == ["n1", "n2", "n3", "n4", "n5", INJECTION]
    found = db.sql("SELECT id FROM TBL WHERE name = :name", params={"name": INJECTION})
    assert found["data"] == [{"id": 6}]
    listed = db.sql("INSERT INTO TBL (id, name) VALUES (?, ?)", many=iter([[7, "a%b"], [8, "100%"]]))
    assert listed["row_count"] == 2
    percent = db.sql("SELECT name FROM TBL WHERE name LIKE 'a%' OR id = :id ORDER BY id", params={"id": 8})
    assert percent["data"] == [{"name": "a%b"}, {"name": "100%"}]  # the % of the literal stays one


def test_a_failure_rolls_back_the_whole_node(db: DB) -> None:
    rows = [{"id": 1, "name": "a"}, {"id": 2, "name": "b"}, {"id": 1, "name": "duplicate"}]
    with pytest.raises(SQLError) as raised:
        db.sql("INSERT INTO TBL (id, name) VALUES (:id, :name)", many=rows, batch_size=2)
    assert str(raised.value).startswith("node 'q' (")
    assert db.names() == []  # the first batch was rolled back too
    with pytest.raises(SQLError):
        db.sql("INSERT INTO TBL (id, name) VALUES (:id, :name)", many=rows, batch_size=2, transaction=False)
    assert db.names() == ["a", "b"]  # without a transaction each statement committed on its own


def test_bad_query_names_node_and_driver_message(db: DB) -> None:
    with pytest.raises(SQLError) as raised:
        db.sql("SELECT * FROM no_such_table_here")
    message = str(raised.value)
    assert message.startswith(
        f"node 'q' ({db.url.replace('sqlite:///data/app.db', 'sqlite:///data/app.db')}): "
    )
    assert "no_such_table_here" in message and "\n" not in message


def test_params_that_do_not_fit(db: DB) -> None:
    with pytest.raises(ParamStyleError, match=r"^node 'q' \(.*\): params has no value for :name$"):
        db.sql("SELECT * FROM TBL WHERE name = :name", params={"nme": "x"})
    with pytest.raises(
        ParamStyleError, match=r"params has 1 value\(s\) for 2 placeholder\(s\) in the query$"
    ):
        db.sql("SELECT * FROM TBL WHERE name = ? AND id = ?", params=["x"])
    with pytest.raises(ParamStyleError, match=r"many\[1\] has no value for :name$"):
        db.sql("INSERT INTO TBL (id, name) VALUES (:id, :name)", many=[{"id": 1, "name": "a"}, {"id": 2}])
    assert db.names() == []


@pytest.mark.parametrize("scheme", ["postgresql", "mysql"])
def test_dead_server_is_a_connection_error_without_the_password(scheme: str, tmp_path: Path) -> None:
    url = f"{scheme}://app:s3cr%40t@127.0.0.1:{_closed_port()}/test"
    with pytest.raises(DatabaseConnectionError) as raised:
        run_node("SQLDatabaseNode", {"connection": url, "query": "SELECT 1"}, base_dir=tmp_path)
    assert isinstance(raised.value, ConnectionError)
    message = str(raised.value)
    assert message.startswith(f"cannot connect to {scheme}://app:***@127.0.0.1:")
    assert "s3cr" not in message and "s3cr@t" not in message


def test_sql_error_never_shows_the_password(tmp_path: Path) -> None:
    url = "postgresql://postgres:pw-9d1f@127.0.0.1:5432/test"  # trust auth: any password gets in
    with pytest.raises(SQLError) as raised:
        run_node("SQLDatabaseNode", {"connection": url, "query": "SELECT pw-9d1f"}, base_dir=tmp_path)
    assert "pw-9d1f" not in str(raised.value).replace("SELECT", "")
    assert str(raised.value).startswith("node 'node' (postgresql://postgres:***@127.0.0.1:5432/test): ")


def test_sqlite_path_is_relative_to_the_workflow_and_guarded(tmp_path: Path) -> None:
    ctx = make_ctx(tmp_path)
    run_node("SQLDatabaseNode", {"connection": "sqlite:///out/x.db", "query": "CREATE TABLE t (a INT)"}, ctx)
    assert (tmp_path / "out" / "x.db").is_file()
    ctx.files = FileAccess(tmp_path, PathGuard(tmp_path, ["./data"], [".db"]))
    with pytest.raises(PathDeniedError):
        run_node("SQLDatabaseNode", {"connection": "sqlite:///out/y.db", "query": "SELECT 1"}, ctx)
    assert not (tmp_path / "out" / "y.db").exists()
    out = run_node("SQLDatabaseNode", {"connection": "sqlite:///data/y.db", "query": "SELECT 1 AS a"}, ctx)
    assert out["data"] == [{"a": 1}]


def test_named_database_from_the_config(tmp_path: Path) -> None:
    ctx = make_ctx(tmp_path)
    ctx.databases = {
        "main": DatabaseSpec("sqlite:///main.db", tmp_path / "cfg", PoolSettings(0, 1, 5), "main")
    }
    out = run_node("SQLDatabaseNode", {"connection": "main", "query": "SELECT 2 AS b"}, ctx)
    assert out["data"] == [{"b": 2}]
    assert (tmp_path / "cfg" / "main.db").is_file()
    with pytest.raises(
        DatabaseError,
        match=r"^connection 'mian' is not defined under databases: in the config \(did you mean 'main'\?\)",
    ):
        run_node("SQLDatabaseNode", {"connection": "mian", "query": "SELECT 1"}, ctx)
    ctx.databases = {
        "env": DatabaseSpec(
            "", tmp_path, name="env", error="databases.env.url: environment variable X is not set"
        )
    }
    with pytest.raises(DatabaseError, match=r"^databases.env.url: environment variable X is not set$"):
        run_node("SQLDatabaseNode", {"connection": "env", "query": "SELECT 1"}, ctx)


def test_in_memory_database_is_shared_by_the_nodes_of_a_run(tmp_path: Path) -> None:
    run_node(
        "SQLDatabaseNode", {"connection": "sqlite://", "query": "CREATE TABLE m (a INT)"}, base_dir=tmp_path
    )
    run_node(
        "SQLDatabaseNode", {"connection": "sqlite://", "query": "INSERT INTO m VALUES (1)"}, base_dir=tmp_path
    )
    out = run_node(
        "SQLDatabaseNode", {"connection": "sqlite://", "query": "SELECT a FROM m"}, base_dir=tmp_path
    )
    assert out["data"] == [{"a": 1}]


# -- through kailash run ------------------------------------------------------------------

WORKFLOW = """\
name: sql-run
nodes:
  read:
    type: SQLDatabaseNode
    retry: {max_attempts: 3, base_delay: 0.01, retry_on: [ConnectionError]}
    config: {connection: "CONN", query: "SELECT 1 AS one"}
"""


def test_retry_on_connection_error(tmp_path: Path) -> None:
    url = f"postgresql://app:hunter2@127.0.0.1:{_closed_port()}/test"
    write(tmp_path / "wf.yaml", WORKFLOW.replace("CONN", url))
    proc = kailash("run", "wf.yaml", "--output", "json", cwd=tmp_path)
    assert proc.returncode == 1
    node = json.loads(proc.stdout)["nodes"]["read"]
    assert node["attempts"] == 3
    assert node["error"].startswith(
        "DatabaseConnectionError: cannot connect to postgresql://app:***@127.0.0.1:"
    )
    assert "hunter2" not in proc.stdout + proc.stderr


def test_named_connection_through_the_config(tmp_path: Path) -> None:
    write(tmp_path / "wf.yaml", WORKFLOW.replace("CONN", "main"))
    write(
        tmp_path / "kailash.yaml",
        'databases:\n  main: {url: "${APP_DB}", pool: {min_size: 1, max_size: 2, timeout: 5}}\n',
    )
    proc = kailash(
        "run", "wf.yaml", "--output", "json", cwd=tmp_path, extra_env={"APP_DB": "sqlite:///data/app.db"}
    )
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["outputs"]["read"]["data"] == [{"one": 1}]
    assert (tmp_path / "data" / "app.db").is_file()  # relative to the config's folder


def test_unknown_database_name_refuses_the_run(tmp_path: Path) -> None:
    write(tmp_path / "wf.yaml", WORKFLOW.replace("CONN", "mian"))
    write(tmp_path / "kailash.yaml", "databases:\n  main: {url: 'sqlite:///app.db'}\n")
    proc = kailash("run", "wf.yaml", cwd=tmp_path)
    assert proc.returncode == 2
    assert proc.stderr.strip().splitlines()[-1] == (
        "error: node 'read': connection 'mian' is not defined under databases: in the config "
        "(did you mean 'main'?); add it there or give a URL (sqlite:///data/app.db)"
    )
    assert no_traceback(proc)
    assert kailash("run", "wf.yaml", "--dry-run", cwd=tmp_path).returncode == 2


def test_unset_variable_of_a_used_database_refuses_the_run(tmp_path: Path) -> None:
    write(tmp_path / "wf.yaml", WORKFLOW.replace("CONN", "main"))
    write(
        tmp_path / "kailash.yaml",
        'databases:\n  main: {url: "${NO_SUCH_DB_URL}"}\n  other: {url: "${ALSO_UNSET}"}\n',
    )
    proc = kailash("run", "wf.yaml", cwd=tmp_path, extra_env={})
    assert proc.returncode == 2
    assert (
        "error: node 'read': databases.main.url: environment variable NO_SUCH_DB_URL is not set"
        in proc.stderr
    )
    assert "ALSO_UNSET" not in proc.stderr  # a database no node uses needs no variable


def test_expression_in_query_is_a_validation_error(tmp_path: Path) -> None:
    write(
        tmp_path / "wf.yaml",
        """\
        name: inj
        params: {who: {type: string, default: x}}
        nodes:
          q:
            type: SQLDatabaseNode
            config: {connection: "sqlite:///a.db", query: "SELECT * FROM t WHERE name = '${params.who}'"}
        """,
    )
    proc = kailash("validate", "wf.yaml", "--format", "json", cwd=tmp_path)
    assert proc.returncode == 1
    [finding] = json.loads(proc.stdout)
    assert (finding["id"], finding["line"]) == ("KV230", 6)
    assert finding["fix"].startswith("put values in params")
    assert kailash("run", "wf.yaml", cwd=tmp_path).returncode == 2


# -- the examples -------------------------------------------------------------------------


def test_sqlite_etl_example_runs_twice_without_duplicates(tmp_path: Path) -> None:
    copy = tmp_path / "workflows"
    shutil.copytree(REPO / "workflows", copy, ignore=shutil.ignore_patterns("out", "__pycache__"))
    for _ in range(2):
        proc = kailash("run", copy / "sqlite-etl.yaml", "--output", "json", cwd=tmp_path)
        assert proc.returncode == 0, proc.stderr
        assert json.loads(proc.stdout)["outputs"] == {
            "loaded": 4,
            "summary": {"customers": 2, "revenue": 430.25},
        }
    assert (copy / "out" / "customers.db").is_file()


def test_postgres_etl_example_lands_in_the_server(tmp_path: Path) -> None:
    copy = tmp_path / "workflows"
    shutil.copytree(REPO / "workflows", copy, ignore=shutil.ignore_patterns("out", "__pycache__"))
    with postgres_schema() as url:
        proc = kailash(
            "run",
            copy / "postgres-etl.yaml",
            "-p",
            "min_total=0",
            "--output",
            "json",
            cwd=tmp_path,
            extra_env={"DATABASE_URL": url},
        )
        assert proc.returncode == 0, proc.stderr
        assert json.loads(proc.stdout)["outputs"]["summary"] == {"customers": 4, "revenue": 569.75}
        out = run_node(
            "SQLDatabaseNode",
            {"connection": url, "query": "SELECT name FROM kailash_example_customers ORDER BY id"},
            base_dir=tmp_path,
        )
        assert [r["name"] for r in out["data"]][:2] == ["Ada Lovelace", "Grace Hopper"]
        POOLS.close_run(None)
    missing = kailash(
        "run",
        copy / "postgres-etl.yaml",
        cwd=tmp_path,
        env={k: v for k, v in os.environ.items() if k != "DATABASE_URL"},
    )
    assert missing.returncode == 2
    assert "DATABASE_URL" in missing.stderr


def test_url_password_from_the_environment_never_shows(tmp_path: Path) -> None:
    url = f"postgresql://app:Tr0ub4dor@127.0.0.1:{_closed_port()}/test"
    write(tmp_path / "wf.yaml", WORKFLOW.replace("CONN", "${DATABASE_URL}"))
    env = {"DATABASE_URL": url}
    plan = kailash("run", "wf.yaml", "--dry-run", cwd=tmp_path, extra_env=env)
    assert plan.returncode == 0, plan.stderr
    assert "app:***@127.0.0.1" in plan.stdout
    proc = kailash("run", "wf.yaml", "--output", "json", cwd=tmp_path, extra_env=env)
    assert proc.returncode == 1
    dlq = kailash("dlq", "list", "--output", "json", cwd=tmp_path, extra_env=env)
    assert "app:***@127.0.0.1" in dlq.stdout
    for text in (plan.stdout, plan.stderr, proc.stdout, proc.stderr, dlq.stdout, dlq.stderr):
        assert "Tr0ub4dor" not in text


@pytest.mark.parametrize(
    ("url", "suicide"),
    [(POSTGRES, "SELECT pg_terminate_backend(pg_backend_pid())"), (MARIADB, "KILL CONNECTION_ID()")],
    ids=["postgresql", "mysql"],
)
def test_connection_lost_mid_statement_is_retryable_and_the_pool_recovers(
    url: str, suicide: str, tmp_path: Path
) -> None:
    with pytest.raises(DatabaseConnectionError, match=r"^node 'node' \(.*\): connection lost: "):
        run_node("SQLDatabaseNode", {"connection": url, "query": suicide}, base_dir=tmp_path)
    out = run_node("SQLDatabaseNode", {"connection": url, "query": "SELECT 1 AS one"}, base_dir=tmp_path)
    assert out["data"] == [{"one": 1}]  # the lost connection was not given out again


def test_validate_checks_connection_names_against_the_config_checked_with_them(tmp_path: Path) -> None:
    write(tmp_path / "kailash.yaml", "databases:\n  main: {url: 'sqlite:///app.db'}\n")
    write(tmp_path / "flows" / "wf.yaml", WORKFLOW.replace("CONN", "mian"))
    write(tmp_path / "flows" / "ok.yaml", WORKFLOW.replace("CONN", "main").replace("sql-run", "ok"))
    write(
        tmp_path / "flows" / "url.yaml", WORKFLOW.replace("CONN", "sqlite:///x.db").replace("sql-run", "url")
    )
    proc = kailash("validate", ".", cwd=tmp_path)
    assert proc.returncode == 1
    assert proc.stdout.splitlines() == [
        "flows/wf.yaml:6:26: error KV231: node 'read': connection 'mian' is not defined under databases: "
        "in kailash.yaml (did you mean 'main'?); fix: add it under databases: in kailash.yaml, fix the "
        "name, or give a URL"
    ]
    alone = kailash("validate", "flows", cwd=tmp_path)  # no config checked with it: nothing to compare
    assert alone.returncode == 0, alone.stdout

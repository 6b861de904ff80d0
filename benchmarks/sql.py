"""SQLDatabaseNode ``many:`` against the driver's own ``executemany``, measured in the same run.

    .venv/bin/python benchmarks/sql.py                 # 1,000,000 rows, SQLite and PostgreSQL
    .venv/bin/python benchmarks/sql.py --rows 50000    # a quick run
    .venv/bin/python benchmarks/sql.py --postgres ''   # SQLite only

Target (issue 10, item 8): inserting the rows through the node, run by the engine (a
function node hands the rows to ``many`` through a connection), takes at most 2x the time the driver's
``executemany`` of the same rows takes in one transaction. Each side inserts into a new
table of its own, dropped afterwards; each figure is the best of ``--repeat`` runs.
Exit status 0 when every target passes.
"""

from __future__ import annotations

import argparse
import sqlite3
import sys
import tempfile
import time
import types
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

from kailash_cli.compile.compiler import compile as compile_workflow
from kailash_cli.db.pools import POOLS
from kailash_cli.engine.local import LocalExecutor
from kailash_cli.engine.scheduler import RunOptions
from kailash_cli.engine.scheduler import run as run_engine
from kailash_cli.model.workflow import Workflow
from kailash_cli.nodes.files import FileAccess
from kailash_cli.pipeline.setup import prepare

TARGET = 2.0
POSTGRES = "postgresql://postgres@127.0.0.1:5432/test"
SOURCE = "kailash_bench_sql_rows"  # the module the workflow's first node calls (made in memory)
COLUMNS = "id integer PRIMARY KEY, name varchar(40) NOT NULL, total numeric(12, 2) NOT NULL"


def rows(count: int) -> list[dict[str, Any]]:
    return [{"id": i, "name": f"customer {i}", "total": f"{i % 1000}.50"} for i in range(count)]


def best(call: Callable[[], None], repeats: int) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        call()
        times.append(time.perf_counter() - start)
    return min(times)


def through_engine(url: str, table: str, data: list[dict[str, Any]], folder: Path) -> None:
    """A two-node workflow run by the engine: a function returns the rows (a list made
    beforehand), a connection hands them to ``many`` as a reader's rows would be."""
    source = types.ModuleType(SOURCE)
    source.rows = lambda: data  # type: ignore[attr-defined]
    sys.modules[SOURCE] = source
    workflow = Workflow.from_dict(
        {
            "name": "bench-sql",
            "nodes": {
                "rows": {"type": "PythonCodeNode", "config": {"function": f"{SOURCE}:rows"}},
                "load": {
                    "type": "SQLDatabaseNode",
                    "config": {
                        "connection": url,
                        "query": f"INSERT INTO {table} (id, name, total) VALUES (:id, :name, :total)",
                    },
                },
            },
            "connections": ["rows.result -> load.many"],
        },
        path=folder / "bench.yaml",
    )
    compiled = compile_workflow(workflow)
    with LocalExecutor(1) as executor:
        options = RunOptions(
            executor=executor, files=FileAccess(folder), prepared=prepare(compiled), run_id=uuid.uuid4().hex
        )
        try:
            result = run_engine(compiled, options)
        finally:
            POOLS.close_run(options.run_id)
    if result.status != "succeeded":
        raise SystemExit(f"the node failed: {result.nodes['load'].error}")


def bench_sqlite(data: list[dict[str, Any]], folder: Path, repeats: int) -> tuple[float, float]:
    database = folder / "bench.db"

    def table() -> str:
        name = f"t_{uuid.uuid4().hex[:10]}"
        with sqlite3.connect(database) as conn:
            conn.execute(f"CREATE TABLE {name} ({COLUMNS})")
        return name

    def driver() -> None:
        name = table()
        conn = sqlite3.connect(database)
        conn.executemany(f"INSERT INTO {name} (id, name, total) VALUES (:id, :name, :total)", data)
        conn.commit()
        conn.close()

    def node() -> None:
        through_engine(f"sqlite:///{database}", table(), data, folder)

    return best(driver, repeats), best(node, repeats)


def bench_postgres(url: str, data: list[dict[str, Any]], folder: Path, repeats: int) -> tuple[float, float]:
    import psycopg

    made: list[str] = []

    def table() -> str:
        name = f"kb_{uuid.uuid4().hex[:10]}"
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute(f"CREATE TABLE {name} ({COLUMNS})")
        made.append(name)
        return name

    def driver() -> None:
        name = table()
        with psycopg.connect(url) as conn, conn.cursor() as cursor:
            sql = f"INSERT INTO {name} (id, name, total) VALUES (%(id)s, %(name)s, %(total)s)"
            cursor.executemany(sql, data)
        # leaving the block commits

    def node() -> None:
        through_engine(url, table(), data, folder)

    try:
        return best(driver, repeats), best(node, repeats)
    finally:
        with psycopg.connect(url, autocommit=True) as conn:
            for name in made:
                conn.execute(f"DROP TABLE IF EXISTS {name}")


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--postgres", default=POSTGRES, help="server URL; '' skips PostgreSQL")
    args = parser.parse_args()
    data = rows(args.rows)
    passed = True
    print(f"SQLDatabaseNode many: {args.rows:,} rows, best of {args.repeat}; target: at most {TARGET:g}x")
    with tempfile.TemporaryDirectory() as tmp:
        cases = [("SQLite", lambda: bench_sqlite(data, Path(tmp), args.repeat))]
        if args.postgres:
            cases.append(("PostgreSQL", lambda: bench_postgres(args.postgres, data, Path(tmp), args.repeat)))
        for name, case in cases:
            driver, node = case()
            ratio = node / driver
            passed = passed and ratio <= TARGET
            print(
                f"  {name:<11} executemany {driver:7.2f} s   node {node:7.2f} s   "
                f"ratio {ratio:4.2f}x  {'PASS' if ratio <= TARGET else 'FAIL'}"
            )
    return 0 if passed else 1


if __name__ == "__main__":
    sys.exit(main())

"""SQLDatabaseNode: one SQL statement on SQLite, PostgreSQL or MySQL/MariaDB, through the
run's pool for that database (``db/pools.py``); values always bound by the driver."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from kailash_cli.db import query
from kailash_cli.db.pools import POOLS, Pool, open_pool
from kailash_cli.db.settings import DatabaseSpec
from kailash_cli.db.urls import DatabaseError, DatabaseURL, parse_url
from kailash_cli.model.stream import Stream
from kailash_cli.nodes.base import Finding, NodeContext, NodeType, Outputs
from kailash_cli.schema.messages import did_you_mean

if TYPE_CHECKING:
    from kailash_cli.model.workflow import NodeSpec


class SQLDatabaseNode(NodeType):
    stream_params = ("many",)
    name = "SQLDatabaseNode"
    summary = (
        "Run one SQL statement on SQLite, PostgreSQL or MySQL/MariaDB (a databases: name or a URL); "
        "params are bound by the driver, many: runs it for each param set in batches."
    )
    declared_outputs = ("data", "row_count", "columns")
    literal_params = ("query",)  # never interpolated: values go in params
    example = """\
load:
  type: SQLDatabaseNode
  config:
    connection: main                     # a databases: name in kailash.yaml, or a URL
    query: "SELECT id, email FROM customers WHERE total >= :min_total"
    params: {min_total: "${params.min_total}"}
    fetch: all                           # all | one | none
"""

    def check(self, spec: NodeSpec) -> list[Finding]:
        text = spec.config.get("query")
        if isinstance(text, str) and "${" in text:
            return [
                Finding(
                    "KV230",
                    f"node '{spec.id}': the query holds a ${{...}} expression; SQL text is never "
                    "filled in with values (that is how SQL injection happens)",
                    ("config", "query"),
                    "put values in params and write a placeholder: "
                    'WHERE id = :id with params: {id: "${params.id}"}',
                )
            ]
        return []

    def run(self, params: dict[str, Any], ctx: NodeContext) -> Outputs:
        spec = database_spec(params["connection"], ctx.files.base_dir, ctx.databases)
        url, pool = _pool(spec, ctx)
        request = query.Request(
            query=params["query"],
            params=params.get("params"),
            many=many.items() if isinstance(many := params.get("many"), Stream) else many,
            fetch=params.get("fetch", "all"),
            transaction=params.get("transaction", True),
            batch_size=params.get("batch_size", query.DEFAULT_BATCH_SIZE),
        )
        with pool.connection() as conn:
            return query.run(conn, url, request, f"node '{ctx.node_id}' ({spec.label})")


def database_spec(connection: str, base_dir: Path, databases: Mapping[str, DatabaseSpec]) -> DatabaseSpec:
    """The database ``connection`` names: a URL (a relative SQLite path from ``base_dir``, the
    workflow's folder; default pool) or a ``databases:`` entry of the config."""
    if "://" in connection:
        return DatabaseSpec(connection, base_dir)
    spec = databases.get(connection)
    if spec is None:
        where = (
            "defined under databases: in the config" if databases else "defined: the config has no databases:"
        )
        raise DatabaseError(
            f"connection '{connection}' is not {where}{did_you_mean(connection, databases)}; "
            "add it there or give a URL (sqlite:///data/app.db)"
        )
    if spec.error:
        raise DatabaseError(spec.error)
    return spec


def _pool(spec: DatabaseSpec, ctx: NodeContext) -> tuple[DatabaseURL, Pool]:
    url = parse_url(spec.url, spec.base_dir)
    if url.path is not None:  # a SQLite file: the path rules of the security config apply
        url = dataclasses.replace(url, path=ctx.files.resolve(url.path, write=True))
    key = (url.kind, url.text, url.path, spec.pool)
    return url, POOLS.get(ctx.run_id, key, lambda: open_pool(url, spec.pool))


NODE_TYPE = SQLDatabaseNode()

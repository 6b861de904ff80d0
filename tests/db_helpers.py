"""A PostgreSQL schema of a test's own on the local server (tests run in parallel)."""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import Iterator

POSTGRES = "postgresql://postgres@127.0.0.1:5432/test"


@contextlib.contextmanager
def postgres_schema() -> Iterator[str]:
    """A URL whose tables land in a new schema (search_path), dropped with them at the end."""
    import psycopg

    schema = f"kt_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(POSTGRES, autocommit=True) as conn:
        conn.execute(f"CREATE SCHEMA {schema}")
        try:
            yield f"{POSTGRES}?options=-csearch_path%3D{schema}"
        finally:
            conn.execute(f"DROP SCHEMA {schema} CASCADE")

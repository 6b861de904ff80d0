"""Database URLs and connections: parsed, opened with a connect timeout, errors worded
without the password. The drivers are optional extras, imported when a URL needs them.

::

    from kailash_cli.db import parse_url, connect, redact_url
    url = parse_url("postgresql://app:pw@db:5432/app", base_dir=config.base_dir)
    with connect(url, timeout=5) as conn: ...      # DB-API connection; DatabaseError on failure
    redact_url("postgresql://app:pw@db/app")        # 'postgresql://app:***@db/app'
"""

from __future__ import annotations

from kailash_cli.db.connect import connect, ping
from kailash_cli.db.urls import (
    SCHEMES,
    DatabaseConnectionError,
    DatabaseError,
    DatabaseURL,
    SQLError,
    parse_url,
    redact_url,
)

__all__ = [
    "SCHEMES",
    "DatabaseConnectionError",
    "DatabaseError",
    "DatabaseURL",
    "SQLError",
    "connect",
    "parse_url",
    "ping",
    "redact_url",
]

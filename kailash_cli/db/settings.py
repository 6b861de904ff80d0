"""What a run knows of its databases: the ``databases:`` entries of the config, with
``${NAME}`` read from the environment, as plain data a node call carries (no live pool)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from kailash_cli.db.urls import redact_url

_REFERENCE = re.compile(r"\$\{([^}]*)\}")
_ENV_NAME = re.compile(r"\s*(?:env\.)?([A-Za-z_][A-Za-z0-9_]*)\s*")


@dataclass(frozen=True)
class PoolSettings:
    """``databases.<name>.pool``: connections kept open (``min_size``), at most ``max_size``
    at once, and ``timeout``: the seconds a node waits for a connection (a free one from the
    pool, or a new one being opened) before it fails with ``DatabaseConnectionError``."""

    min_size: int = 1
    max_size: int = 10
    timeout: float = 30.0

    @classmethod
    def from_config(cls, pool: Any) -> PoolSettings:
        pool = pool if isinstance(pool, Mapping) else {}
        min_size = int(pool.get("min_size", cls.min_size))
        max_size = int(pool.get("max_size", max(cls.max_size, min_size)))
        return cls(min_size, max(max_size, 1), float(pool.get("timeout", cls.timeout)))


@dataclass(frozen=True)
class DatabaseSpec:
    """One database a node may use: its URL (resolved), the folder a relative SQLite path is
    taken from, its pool settings; ``error`` when its URL names a variable that is not set."""

    url: str = field(repr=False)
    base_dir: Path
    pool: PoolSettings = PoolSettings()
    name: str | None = None
    error: str | None = None

    @property
    def label(self) -> str:
        """How messages name it: ``database 'main'`` or the URL without its password."""
        return f"database '{self.name}'" if self.name else redact_url(self.url)


def database_specs(
    section: Mapping[str, Any], base_dir: Path, environ: Mapping[str, str]
) -> dict[str, DatabaseSpec]:
    """The ``databases:`` section as specs; a URL that cannot be resolved keeps its error
    for the node that uses it (an unused database needs no variable)."""
    specs = {}
    for name, entry in section.items():
        if not isinstance(entry, Mapping) or not isinstance(entry.get("url"), str):
            continue  # the schema reports it
        pool = PoolSettings.from_config(entry.get("pool"))
        try:
            url, error = resolve_env(entry["url"], environ), None
        except KeyError as e:
            url, error = "", f"databases.{name}.url: {e.args[0]}"
        specs[name] = DatabaseSpec(url, base_dir, pool, name, error)
    return specs


def resolve_env(text: str, environ: Mapping[str, str]) -> str:
    """``text`` with ``${NAME}`` / ``${env.NAME}`` read from ``environ``; KeyError(message)."""

    def variable(match: re.Match[str]) -> str:
        name = _ENV_NAME.fullmatch(match[1])
        if name is None:
            raise KeyError(f"'{match[0]}' is not an environment variable; write ${{NAME}}")
        if name[1] not in environ:
            raise KeyError(f"environment variable {name[1]} is not set")
        return environ[name[1]]

    return _REFERENCE.sub(variable, text)

"""Database URLs: ``sqlite:///relative/path`` (from a base folder), ``sqlite:////abs/path``,
``postgresql://`` / ``postgres://`` and ``mysql://`` / ``mariadb://``; and their text with
the password replaced by ``***``, for every message that names one."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import parse_qsl, unquote, urlsplit

from kailash_cli.security.redact import MASK
from kailash_cli.security.redact import url_password as url_password  # where it was
from kailash_cli.security.redact import url_passwords as url_passwords

#: URL scheme (before any ``+driver``) -> the kind of database
SCHEMES = {
    "sqlite": "sqlite",
    "postgresql": "postgresql",
    "postgres": "postgresql",
    "mysql": "mysql",
    "mariadb": "mysql",
}
_FORMS = (
    "sqlite:///relative/path, sqlite:////absolute/path, postgresql://user@host/db or mysql://user@host/db"
)
_QUERY_PASSWORD = re.compile(r"(?i)\b(password=)[^&#\s]*")


class DatabaseError(Exception):
    """A database URL that cannot be used, or a connection or query that failed.

    ``str(error)`` is one line, never holding the URL's password.
    """


class DatabaseConnectionError(DatabaseError, ConnectionError):
    """The database cannot be reached: refused, unknown host, lost mid-query, or no
    connection free within the pool's ``timeout``. A ``ConnectionError``, so a node's
    ``retry_on: [ConnectionError]`` retries it."""


class SQLError(DatabaseError):
    """The database refused a statement (syntax, a missing table, a constraint): the
    driver's message, on one line. Retrying it would fail the same way."""


@dataclass(frozen=True)
class DatabaseURL:
    """A parsed database URL. ``path`` is the SQLite file (None: in memory); the other fields
    are those of a server URL. ``text`` is the URL as given: show ``redacted`` instead."""

    kind: str
    text: str = field(repr=False)
    path: Path | None = None
    host: str | None = None
    port: int | None = None
    user: str | None = None
    password: str | None = field(default=None, repr=False)
    database: str | None = None
    query: dict[str, str] = field(default_factory=dict)

    @property
    def redacted(self) -> str:
        return redact_url(self.text)

    def hide(self, message: str) -> str:
        """``message`` on one line, with this URL's password (as given or decoded) as ``***``."""
        text = " ".join(message.split())
        for secret in {self.password, url_password(self.text)} - {None, ""}:
            text = text.replace(str(secret), MASK)
        return redact_url(text)


def redact_url(text: str) -> str:
    """``text`` with the password of every URL in it (``user:PASSWORD@``) and any
    ``password=`` parameter replaced by ``***``."""
    out = []
    for chunk in re.split(r"(\s+)", text):
        out.append(_redact_one(chunk))
    return _QUERY_PASSWORD.sub(rf"\g<1>{MASK}", "".join(out))


def _redact_one(text: str) -> str:
    scheme, sep, rest = text.partition("://")
    if not sep:
        return text
    end = min((i for i in (rest.find(c) for c in "/?#") if i >= 0), default=len(rest))
    netloc, tail = rest[:end], rest[end:]
    userinfo, at, host = netloc.rpartition("@")
    if not at or ":" not in userinfo:
        return text
    user = userinfo.split(":", 1)[0]
    return f"{scheme}://{user}:{MASK}@{host}{tail}"


def parse_url(text: str, base_dir: Path | None = None) -> DatabaseURL:
    """A database URL; a relative SQLite path is taken from ``base_dir`` (default: cwd)."""
    scheme, sep, _ = text.partition("://")
    if not sep:
        raise DatabaseError(f"'{redact_url(text)}' is not a database URL; use {_FORMS}")
    kind = SCHEMES.get(scheme.split("+", 1)[0].lower())
    if kind is None:
        raise DatabaseError(f"unsupported database URL scheme '{scheme}' in {redact_url(text)}; use {_FORMS}")
    if kind == "sqlite":
        return _sqlite_url(text, base_dir or Path.cwd())
    return _server_url(kind, text)


def _sqlite_url(text: str, base_dir: Path) -> DatabaseURL:
    rest, _, query = text.partition("://")[2].partition("?")
    if rest and not rest.startswith("/"):
        raise DatabaseError(
            f"a SQLite URL names no host: {redact_url(text)}; "
            "use sqlite:///relative/path or sqlite:////absolute/path"
        )
    if query:  # sqlite3 is opened on the path: parameters would be accepted and ignored
        raise DatabaseError(
            f"a SQLite URL takes no parameters (?{query.split('=')[0]}=...): {redact_url(text)}; "
            "remove them (a read-only database: the file's permissions)"
        )
    name = unquote(rest[1:])
    path = None if name in ("", ":memory:") else base_dir / name  # an absolute name stays itself
    return DatabaseURL("sqlite", text, path=path, query=dict(parse_qsl(query)))


def _server_url(kind: str, text: str) -> DatabaseURL:
    parts = urlsplit(text)
    try:
        port = parts.port
    except ValueError:
        raise DatabaseError(f"the port of {redact_url(text)} is not a number from 1 to 65535") from None
    return DatabaseURL(
        kind,
        text,
        host=parts.hostname,
        port=port,
        user=unquote(parts.username) if parts.username else None,
        password=unquote(parts.password) if parts.password is not None else None,
        database=unquote(parts.path.lstrip("/")) or None,
        query=dict(parse_qsl(parts.query)),
    )

"""KD4xx: database connections use TLS, endpoints use https (localhost excepted)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from urllib.parse import parse_qs, urlsplit

from kailash_cli.checks.base import Check, CheckFamily
from kailash_cli.checks.env_vars import required
from kailash_cli.checks.literals import literals
from kailash_cli.checks.project import Project
from kailash_cli.model.result import Problem

DB_WITHOUT_TLS = Check(
    "KD401",
    "error",
    "database URL without TLS",
    "Without sslmode=require (or verify-ca / verify-full) the database password and every row "
    "cross the network in clear text.",
    "add ?sslmode=require (PostgreSQL), ssl-mode=REQUIRED (MySQL), tls=true (MongoDB) or use rediss://",
)
PLAIN_HTTP = Check(
    "KD402",
    "warning",
    "plain http:// endpoint",
    "Requests over http:// can be read and changed on the way; only localhost is safe without TLS.",
    "use https://",
)
CHECKS = (DB_WITHOUT_TLS, PLAIN_HTTP)

_DB_URL = re.compile(r"\b(postgres(?:ql)?|mysql|mariadb|mongodb|redis)(\+[a-z0-9]+)?://[^\s'\"<>]+", re.I)
_HTTP_URL = re.compile(
    r"\bhttp://(?:[^\s/@'\"]+@)?([A-Za-z0-9.-]+|\[[0-9A-Fa-f:]+\]|\$\{[^}\s]+\}|\$[A-Za-z_][A-Za-z0-9_]*)",
    re.I,
)
_LOCAL_HOSTS = frozenset({"localhost", "127.0.0.1", "0.0.0.0", "[::1]", "::1", "host.docker.internal"})
#: hosts whose http:// URLs are identifiers (XML namespaces, schema ids, licences), not endpoints
_IDENTIFIER_HOSTS = frozenset(
    {
        "www.w3.org",
        "w3.org",
        "json-schema.org",
        "schemas.xmlsoap.org",
        "purl.org",
        "www.apache.org",
        "schemas.microsoft.com",
        "xmlns.com",
        "example.com",
        "example.org",
        "www.example.com",
        "adaptivecards.io",
    }
)
#: host names that documentation writes where a real one goes (`postgresql://user@host/db`)
_PLACEHOLDER_HOSTS = frozenset({"host", "hostname", "...", "server"})
#: `user[:password]@host[:port]`: optional parts in brackets are usage text, not a URL
_OPTIONAL_PART = re.compile(r"\w\[")
_TLS_VALUES = {
    "sslmode": {"require", "verify-ca", "verify-full"},
    "ssl": {"true", "1", "require", "required", "verify-ca", "verify-full"},
    "ssl-mode": {"required", "verify_ca", "verify_identity"},
    "ssl_mode": {"required", "verify_ca", "verify_identity"},
    "tls": {"true", "1"},
}


def _is_local(host: str) -> bool:
    host = host.lower()
    return host in _LOCAL_HOSTS or host.endswith(".localhost") or host.startswith("127.")


def _placeholder(host: str) -> bool:
    return host in _PLACEHOLDER_HOSTS or bool(host) and not re.search(r"\w", host)


def _host(url: str) -> str | None:
    """The host of ``url``: "" for none (a Unix socket), None when the URL does not parse."""
    try:
        return urlsplit(url).hostname or ""
    except ValueError:
        return None


def insecure_db_url(url: str) -> str | None:
    """Why ``url`` connects without TLS (a short text, no credentials), or None."""
    scheme = url.split("://", 1)[0].split("+")[0].lower()
    parsed = _host(url)
    if parsed == "":  # scheme:///db or user@/db: the server's local socket
        return None
    host = parsed or ""
    if _is_local(host) or "${" in host or _placeholder(host) or _OPTIONAL_PART.search(url):
        return None
    if scheme == "redis":
        return f"redis:// to {host or 'a remote host'} is unencrypted (use rediss://)"
    query = parse_qs(url.split("?", 1)[1]) if "?" in url else {}
    if url.lower().startswith("mongodb+srv://"):  # TLS is on unless the URL turns it off
        off = [k for k, v in query.items() if k.lower() in ("tls", "ssl") and v[-1].lower() == "false"]
        return f"mongodb+srv URL to {host} with {off[0]}=false" if off else None
    for key, values in query.items():
        accepted = _TLS_VALUES.get(key.lower())
        if accepted and any(v.lower() in accepted for v in values):
            return None
    mode = query.get("sslmode", [None])[0]
    detail = f"sslmode={mode}" if mode else "no TLS parameter"
    return f"{scheme} URL to {host or 'a remote host'} with {detail}"


def run(project: Project) -> Iterator[Problem]:
    seen: set[tuple[str, str, int]] = set()
    for lit in literals(project, include_env_files=True):
        file = project.display(lit.file)
        for problem in _findings(lit.value, file, lit.line, lit.column):
            if (problem.id, file, lit.line) not in seen:
                seen.add((problem.id, file, lit.line))
                yield problem
    env_file_keys = {e.key for e in project.env_entries}
    for req in required(project):  # values that come from the process environment
        value = project.environ.get(req.name)
        if value and req.name not in env_file_keys:
            yield from _findings(value, req.file, req.line, req.column, prefix=f"{req.name} (environment): ")


def _findings(
    value: str, file: str, line: int | None, column: int | None, *, prefix: str = ""
) -> Iterator[Problem]:
    for match in _DB_URL.finditer(value):
        why = insecure_db_url(match.group(0))
        if why:
            yield DB_WITHOUT_TLS.at(prefix + why, file, line, column)
    for match in _HTTP_URL.finditer(value):
        host = match.group(1)  # a ${...} host is plain http all the same, whatever it expands to
        if not _is_local(host) and host.lower() not in _IDENTIFIER_HOSTS:
            yield PLAIN_HTTP.at(
                f"{prefix}http:// endpoint {host} is not encrypted",
                file,
                line,
                column,
                fix=f"use https://{host}",
            )


FAMILY = CheckFamily("KD4", "Transport", CHECKS, run)

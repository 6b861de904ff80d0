"""Semantic checks of ``health:`` and ``databases:``: the keys each check type takes and
needs, unique check names, ``database:`` names that exist, database URLs that parse."""

from __future__ import annotations

from typing import Any

from kailash_cli.db.urls import DatabaseError, parse_url
from kailash_cli.load.yaml_io import Document, JsonPath
from kailash_cli.model.result import Problem
from kailash_cli.schema.messages import did_you_mean, dotted

COMMON_KEYS = ("name", "type", "timeout", "retries")
#: type -> (keys it needs, keys it may have besides the common ones)
CHECK_KEYS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "http": (("url",), ("method", "expected_status", "headers")),
    "tcp": (("host", "port"), ()),
    "database": ((), ("url", "database")),
    "redis": ((), ("url", "host", "port", "password")),
    "disk": (("path",), ("min_free_percent",)),
    "memory": ((), ("max_used_percent",)),
    "process": ((), ("process_name", "pid_file", "min_count")),
}
#: type -> keys of which exactly one (or, for process, at least one) must be given
ALTERNATIVES = {
    "database": ("url", "database"),
    "redis": ("url", "host"),
    "process": ("process_name", "pid_file"),
}
_ALL_KEYS = {key for needed, optional in CHECK_KEYS.values() for key in (*needed, *optional)}
_WITH_HOST_ONLY = {"redis": ("port", "password")}  # a redis URL holds these itself


def check_health(doc: Document, data: dict[str, Any]) -> list[Problem]:
    problems: list[Problem] = []
    databases = data.get("databases") if isinstance(data.get("databases"), dict) else {}
    for name, entry in (databases or {}).items():
        if isinstance(entry, dict):
            problems.extend(_url_problem(doc, entry.get("url"), ("databases", name, "url")))
            pool = entry.get("pool")
            low, high = (pool.get("min_size"), pool.get("max_size")) if isinstance(pool, dict) else (0, 1)
            if isinstance(low, int) and isinstance(high, int) and low > high:
                problems.append(
                    doc.problem(
                        "KV104",
                        f"databases.{name}.pool: min_size {low} is more than max_size {high}",
                        ("databases", name, "pool", "min_size"),
                        fix="make min_size at most max_size",
                    )
                )
    health = data.get("health")
    checks = health.get("checks") if isinstance(health, dict) else None
    seen: dict[str, int] = {}
    for i, check in enumerate(checks if isinstance(checks, list) else []):
        if not isinstance(check, dict) or check.get("type") not in CHECK_KEYS:
            continue  # the schema reports it
        path: JsonPath = ("health", "checks", i)
        problems.extend(_check_keys(doc, check, path))
        problems.extend(_database_problems(doc, check, path, databases or {}))
        problems.extend(_scheme_problems(doc, check, path))
        name = check.get("name")
        if isinstance(name, str) and name in seen:
            problems.append(
                doc.problem(
                    "KV104",
                    f"{dotted((*path, 'name'))}: '{name}' is already the name of health.checks[{seen[name]}]",
                    (*path, "name"),
                    fix="give each check its own name",
                )
            )
        elif isinstance(name, str):
            seen[name] = i
    return problems


#: type -> the URL schemes its checks can use
SCHEMES = {"http": ("http://", "https://"), "redis": ("redis://",)}


def _scheme_problems(doc: Document, check: dict[str, Any], path: JsonPath) -> list[Problem]:
    """A literal url its check type cannot use (``ftp://``, ``rediss://``, no scheme): found
    here, not at the first probe; a url from ``${...}`` is checked when it is known."""
    url, schemes = check.get("url"), SCHEMES.get(check["type"])
    if schemes is None or not isinstance(url, str) or "${" in url or url.lower().startswith(schemes):
        return []
    wanted = " or ".join(schemes)
    return [
        doc.problem(
            "KV104",
            f"{dotted(path)} ({check['type']} check): url must start with {wanted}",
            (*path, "url"),
            fix=f"write the url as {schemes[0]}host[:port]...",
        )
    ]


def _check_keys(doc: Document, check: dict[str, Any], path: JsonPath) -> list[Problem]:
    type_ = check["type"]
    needed, optional = CHECK_KEYS[type_]
    where = f"{dotted(path)} ({type_} check)"
    allowed = (*COMMON_KEYS, *needed, *optional)
    problems = [
        doc.problem(
            "KV101", f"{where}: missing required field '{key}'", path, fix=f"add '{key}:' to {dotted(path)}"
        )
        for key in needed
        if key not in check
    ]
    for key in check:
        if key not in allowed and key in _ALL_KEYS:  # keys of no type at all: the schema reports them
            problems.append(
                doc.problem(
                    "KV102",
                    f"{where}: field '{key}' is not used by {type_} checks{did_you_mean(key, allowed)}",
                    (*path, key),
                    key=True,
                    fix=f"remove '{key}' or use one of: " + ", ".join(sorted(allowed)),
                )
            )
    problems.extend(_alternatives(doc, check, path, where))
    if type_ == "process" and "min_count" in check and ("pid_file" in check or "process_name" not in check):
        problems.append(
            doc.problem(
                "KV104",
                f"{where}: 'min_count' counts the processes named by 'process_name', without 'pid_file'",
                (*path, "min_count"),
                key=True,
                fix="remove 'min_count', or 'pid_file' to count processes by name",
            )
        )
    return problems


def _alternatives(doc: Document, check: dict[str, Any], path: JsonPath, where: str) -> list[Problem]:
    type_ = check["type"]
    keys = ALTERNATIVES.get(type_)
    if keys is None:
        return []
    given = [key for key in keys if key in check]
    choice = f"'{keys[0]}' or '{keys[1]}'"
    if not given:
        return [doc.problem("KV101", f"{where}: needs {choice}", path, fix=f"add {choice}")]
    if len(given) > 1 and type_ != "process":
        return [
            doc.problem(
                "KV104", f"{where}: give {choice}, not both", (*path, keys[1]), fix=f"remove one of {choice}"
            )
        ]
    problems = []
    if "url" in given:
        for key in _WITH_HOST_ONLY.get(type_, ()):
            if key in check:
                problems.append(
                    doc.problem(
                        "KV104",
                        f"{where}: '{key}' goes with 'host'; a url holds its own {key}",
                        (*path, key),
                        key=True,
                        fix=f"remove '{key}' or write it into the url",
                    )
                )
    return problems


def _database_problems(
    doc: Document, check: dict[str, Any], path: JsonPath, databases: dict[str, Any]
) -> list[Problem]:
    if check["type"] != "database":
        return []
    name = check.get("database")
    if isinstance(name, str) and name not in databases:
        where = "defined under databases:" if databases else "defined: the config has no databases: section"
        return [
            doc.problem(
                "KV104",
                f"{dotted((*path, 'database'))}: '{name}' is not {where}{did_you_mean(name, databases)}",
                (*path, "database"),
                fix="add it under databases: with its url, or fix the name",
            )
        ]
    return _url_problem(doc, check.get("url"), (*path, "url"))


def _url_problem(doc: Document, url: Any, path: JsonPath) -> list[Problem]:
    if not isinstance(url, str) or "${" in url:
        return []  # resolved at check time
    try:
        parse_url(url)
    except DatabaseError as e:
        return [
            doc.problem(
                "KV104", f"{dotted(path)}: {e}", path, fix="write a sqlite:///, postgresql:// or mysql:// URL"
            )
        ]
    return []

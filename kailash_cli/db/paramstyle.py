"""Placeholders of a SQL text, rewritten for the driver that runs it.

A workflow writes ``:name`` (params a mapping) or ``?`` / ``%s`` (params a list), whatever
the database. Each driver binds the values itself: this module only rewrites the
placeholders into the driver's own style (``:name`` / ``?`` for sqlite3, ``%(name)s`` /
``%s`` for psycopg and PyMySQL, with a literal ``%`` doubled), never a value into the text.
String literals, quoted names, comments, PostgreSQL dollar quotes and ``::`` casts are
skipped, so a ``?`` or ``:x`` inside them stays as written.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

_COMMON = [
    r"--[^\n]*",  # line comment
    r"/\*.*?\*/",  # block comment
    r"::",  # a PostgreSQL cast, not a placeholder
    r":(?P<name>[A-Za-z_][A-Za-z0-9_]*)",
    r"(?P<qmark>\?)",
    r"(?P<format>%s)",
    r"(?P<percent>%%|%)",
]
_LEXERS = {
    "sqlite": re.compile(
        "|".join([r"'(?:[^']|'')*'", r'"(?:[^"]|"")*"', r"`[^`]*`", r"\[[^\]]*\]", *_COMMON]), re.S
    ),
    "postgresql": re.compile(
        "|".join(
            [
                r"'(?:[^']|'')*'",
                r'"(?:[^"]|"")*"',
                r"\$\$.*?\$\$",
                r"\$(?P<tag>[A-Za-z_]\w*)\$.*?\$(?P=tag)\$",
                *_COMMON,
            ]
        ),
        re.S,
    ),
    "mysql": re.compile(
        "|".join([r"'(?:[^'\\]|\\.|'')*'", r'"(?:[^"\\]|\\.|"")*"', r"`(?:[^`]|``)*`", r"#[^\n]*", *_COMMON]),
        re.S,
    ),
}


class ParamStyleError(ValueError):
    """The params do not fit the placeholders of the query (the message says how)."""


@dataclass(frozen=True)
class Statement:
    """A query in the driver's style; ``names`` are its ``:name`` placeholders, in order."""

    sql: str
    style: str  # "named", "positional" or "none"
    names: tuple[str, ...] = ()
    count: int = 0  # positional placeholders


def prepare(query: str, kind: str, sample: Any) -> Statement:
    """``query`` rewritten for ``kind`` (sqlite, postgresql, mysql), given how its params look:
    ``sample`` is the params (or the first param set of ``many``), None when there are none."""
    if sample is None:
        return Statement(query, "none")
    named = isinstance(sample, Mapping)
    if not named and not isinstance(sample, list | tuple):
        raise ParamStyleError(
            f"params must be a mapping (for :name placeholders) or a list (for ? or %s), "
            f"got {type(sample).__name__}"
        )
    found: dict[str, list[str]] = {"name": [], "qmark": [], "format": []}
    server = kind != "sqlite"

    def rewrite(match: re.Match[str]) -> str:
        group, text = match.lastgroup, match.group(0)
        if group == "name":
            found["name"].append(match["name"])
            return f"%({match['name']})s" if named and server else text
        if group in ("qmark", "format"):
            if named:  # not a placeholder here (PostgreSQL's jsonb ? operator)
                return text.replace("%", "%%") if server else text
            found[group].append(text)
            return "%s" if server else "?"
        if group == "percent":
            return "%%" if server else "%"
        return text.replace("%", "%%") if server else text  # the drivers read % inside literals too

    sql = _LEXERS[kind].sub(rewrite, query)
    if named:
        return Statement(sql, "named", tuple(dict.fromkeys(found["name"])))
    return _positional(sql, found)


def _positional(sql: str, found: dict[str, list[str]]) -> Statement:
    if found["name"]:
        raise ParamStyleError(
            f"the query has :{found['name'][0]} placeholders but params is a list; "
            "give params as a mapping ({name: value}) or write ? placeholders"
        )
    if found["qmark"] and found["format"]:
        raise ParamStyleError("the query mixes ? and %s placeholders; use one style")
    return Statement(sql, "positional", count=len(found["qmark"]) + len(found["format"]))


def check(statement: Statement, values: Any, where: str = "params") -> None:
    """A readable error when ``values`` cannot fill ``statement`` (a missing name, a wrong count)."""
    if statement.style == "named":
        if not isinstance(values, Mapping):
            raise ParamStyleError(
                f"{where} is {type(values).__name__}; the query's :name placeholders need a mapping"
            )
        missing = [n for n in statement.names if n not in values]
        if missing:
            raise ParamStyleError(f"{where} has no value for :{missing[0]}")
    elif statement.style == "positional":
        if not isinstance(values, list | tuple):
            raise ParamStyleError(
                f"{where} is {type(values).__name__}; the query's ? placeholders need a list"
            )
        if len(values) != statement.count:
            raise ParamStyleError(
                f"{where} has {len(values)} value(s) for {statement.count} placeholder(s) in the query"
            )

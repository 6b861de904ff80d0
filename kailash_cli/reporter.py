"""Findings in the formats CI reads: text, json, github annotations, SARIF 2.1.0."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from pathlib import Path

from kailash_cli import __version__
from kailash_cli.result import Problem

FORMATS = ("text", "json", "github", "sarif")
_SARIF_LEVEL = {"error": "error", "warning": "warning", "info": "note"}


def location(p: Problem) -> str:
    parts = [p.file or "-"]
    if p.line is not None:
        parts.append(str(p.line))
        if p.column is not None:
            parts.append(str(p.column))
    return ":".join(parts)


def text_line(p: Problem) -> str:
    fix = f"; fix: {p.fix}" if p.fix else ""
    return f"{location(p)}: {p.severity} {p.id}: {p.message}{fix}"


def render_text(problems: Sequence[Problem]) -> str:
    return "".join(text_line(p) + "\n" for p in problems)


def render_json(problems: Sequence[Problem]) -> str:
    return json.dumps([p.to_dict() for p in problems], indent=2) + "\n"


def _escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_property(text: str) -> str:
    return _escape_data(text).replace(":", "%3A").replace(",", "%2C")


def render_github(problems: Sequence[Problem]) -> str:
    lines = []
    for p in problems:
        level = {"error": "error", "warning": "warning"}.get(p.severity, "notice")
        props = [f"file={_escape_property(p.file or '')}"]
        if p.line is not None:
            props.append(f"line={p.line}")
        if p.column is not None:
            props.append(f"col={p.column}")
        props.append(f"title={_escape_property(p.id)}")
        message = p.message + (f"; fix: {p.fix}" if p.fix else "")
        lines.append(f"::{level} {','.join(props)}::{_escape_data(message)}\n")
    return "".join(lines)


def _uri(file: str | None) -> str:
    if not file:
        return "unknown"
    path = Path(file)
    if path.is_absolute():
        try:
            path = path.relative_to(Path.cwd())
        except ValueError:
            return path.as_uri()
    return path.as_posix()


def sarif_document(problems: Sequence[Problem], rules: dict[str, str] | None = None,
                   tool: str = "kailash") -> dict[str, object]:
    """SARIF 2.1.0 with one rule per id and a location on every result (GitHub needs both)."""
    rules = rules or {}
    ids = sorted({p.id for p in problems})
    results = []
    for p in problems:
        region = {"startLine": p.line or 1}
        if p.column is not None:
            region["startColumn"] = p.column
        text = p.message + (f"; fix: {p.fix}" if p.fix else "")
        results.append({
            "ruleId": p.id,
            "ruleIndex": ids.index(p.id),
            "level": _SARIF_LEVEL.get(p.severity, "note"),
            "message": {"text": text},
            "locations": [{"physicalLocation": {"artifactLocation": {"uri": _uri(p.file)},
                                                "region": region}}],
        })
    driver = {
        "name": tool,
        "version": __version__,
        "informationUri": "https://github.com/kailash-cli/kailash",
        "rules": [{"id": i, "name": i, "shortDescription": {"text": rules.get(i, i)}} for i in ids],
    }
    return {
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{"tool": {"driver": driver}, "results": results}],
    }


def render_sarif(problems: Sequence[Problem], rules: dict[str, str] | None = None) -> str:
    return json.dumps(sarif_document(problems, rules), indent=2) + "\n"


REPORTER_BY_NAME: dict[str, Callable[[Sequence[Problem]], str]] = {
    "text": render_text,
    "json": render_json,
    "github": render_github,
    "sarif": render_sarif,
}


def summary(problems: Sequence[Problem], files: int) -> str:
    counts = {s: sum(1 for p in problems if p.severity == s) for s in ("error", "warning", "info")}
    if not problems:
        return f"{files} file(s) checked, no problems"
    parts = [f"{n} {s}{'s' if n != 1 else ''}" for s, n in counts.items() if n]
    return f"{', '.join(parts)} in {files} file(s) checked"

"""Findings in the formats CI reads: text, json, github annotations, SARIF 2.1.0, JUnit XML.

Every format is a ``Reporter``: ``render(problems, context) -> str``. ``REPORTER_BY_NAME`` is
the one list of formats; the ``--format`` choices of ``validate`` and ``check-deploy`` are
built from it. To add a format: a class with ``render`` and one line in ``REPORTER_BY_NAME``.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from kailash_cli.model.result import SEVERITIES, Problem, location, text_line
from kailash_cli.report.sarif import SarifReporter
from kailash_cli.report.sarif_rules import Rule
from kailash_cli.report.visible import visible_problem


@dataclass(frozen=True)
class ReportContext:
    """What a reporter may need besides the findings."""

    #: finding id -> its rule (SARIF ``rules``)
    rules: Mapping[str, Rule] = field(default_factory=dict)
    #: SARIF URIs are relative to ``root`` (base id ``%SRCROOT%``; the working directory when
    #: None), files outside it ``file://`` URIs
    root: Path | None = None
    tool: str = "kailash"
    #: the analysis (SARIF ``automationDetails.id``): uploads of one category replace each other
    category: str = "kailash"


class Reporter(Protocol):
    def render(self, problems: Sequence[Problem], context: ReportContext) -> str:
        """The findings as one string (empty or ending in a newline)."""
        ...


class TextReporter:
    """``PATH:LINE:COL: severity ID: message; fix: ...``, one finding a line (control
    characters escaped: ``report/visible.py``)."""

    def render(self, problems: Sequence[Problem], context: ReportContext) -> str:
        return "".join(text_line(visible_problem(p)) + "\n" for p in problems)


class JsonReporter:
    """A list of ``{"id", "severity", "message", "file", "line", "column", "fix"}``."""

    def render(self, problems: Sequence[Problem], context: ReportContext) -> str:
        return json.dumps([p.to_dict() for p in problems], indent=2) + "\n"


def _escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_property(text: str) -> str:
    return _escape_data(text).replace(":", "%3A").replace(",", "%2C")


class GithubReporter:
    """GitHub Actions workflow commands (``::error file=...,line=...::message``)."""

    def render(self, problems: Sequence[Problem], context: ReportContext) -> str:
        lines = []
        for p in (visible_problem(p, keep="\r\n") for p in problems):  # line breaks: %0D%0A below
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


class JunitReporter:
    """JUnit XML: one failed test case per finding (a passing case when there is none)."""

    def render(self, problems: Sequence[Problem], context: ReportContext) -> str:
        from xml.sax.saxutils import escape, quoteattr

        cases = []
        for p in map(visible_problem, problems):  # XML 1.0 cannot hold most control characters
            name = quoteattr(f"{p.id} {location(p)}")
            message = quoteattr(p.message)
            body = escape(text_line(p))
            file = quoteattr(p.file or "")
            cases.append(
                f"    <testcase classname={quoteattr(p.id)} name={name} file={file}>\n"
                f'      <failure type="{p.severity}" message={message}>{body}</failure>\n'
                f"    </testcase>\n"
            )
        tool = quoteattr(context.tool)
        if not cases:
            cases.append(f'    <testcase classname={tool} name="no findings"/>\n')
        count = max(len(problems), 1)
        return (
            '<?xml version="1.0" encoding="UTF-8"?>\n'
            f'<testsuites name={tool} tests="{count}" failures="{len(problems)}">\n'
            f'  <testsuite name={tool} tests="{count}" failures="{len(problems)}" errors="0">\n'
            + "".join(cases)
            + "  </testsuite>\n</testsuites>\n"
        )


REPORTER_BY_NAME: dict[str, Reporter] = {
    "text": TextReporter(),
    "json": JsonReporter(),
    "github": GithubReporter(),
    "sarif": SarifReporter(),
    "junit": JunitReporter(),
}


def render(problems: Sequence[Problem], output_format: str, context: ReportContext | None = None) -> str:
    """The findings in ``output_format`` (a key of ``REPORTER_BY_NAME``)."""
    return REPORTER_BY_NAME[output_format].render(problems, context or ReportContext())


def summary(problems: Sequence[Problem], files: int) -> str:
    """``kailash validate``'s last line: counts by severity and the number of files."""
    counts = {s: sum(1 for p in problems if p.severity == s) for s in SEVERITIES}
    if not problems:
        return f"{files} file(s) checked, no problems"
    parts = [f"{n} {s}{'s' if n != 1 else ''}" for s, n in counts.items() if n]
    return f"{', '.join(parts)} in {files} file(s) checked"


def summary_lines(problems: Sequence[Problem]) -> list[str]:
    """``kailash check-deploy``'s summary: one line per severity with the ids found."""
    lines = []
    for severity in SEVERITIES:
        ids = sorted({p.id for p in problems if p.severity == severity})
        count = sum(1 for p in problems if p.severity == severity)
        noun = severity if count == 1 or severity == "info" else severity + "s"
        lines.append(f"{count} {noun}" + (f": {', '.join(ids)}" if ids else ""))
    return lines

"""SARIF 2.1.0 as the OASIS schema and GitHub code scanning accept it.

What GitHub needs beyond the schema, and why each part is here:

- every rule has ``name``, ``shortDescription``, ``fullDescription``, ``help`` (text and
  markdown) and ``helpUri``: the alert page shows them;
- security rules carry the ``security`` tag and ``security-severity``, so alerts rank
  critical/high/medium/low like other security tools;
- every result has a location with ``region.startLine`` and ``partialFingerprints``, so an
  upload of the same findings updates the alerts instead of duplicating them;
- URIs are relative to the project root (``uriBaseId: %SRCROOT%``, ``originalUriBaseIds``)
  and percent-encoded, so a path with a space, ``%`` or non-ASCII letters is a valid URI;
- ``automationDetails.id`` names the analysis, so `validate` and `check-deploy` uploads of
  one commit do not replace each other's alerts.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import quote

from kailash_cli import __version__
from kailash_cli.model.result import Problem
from kailash_cli.report.sarif_rules import PROJECT_URL, Rule, fallback_rule

if TYPE_CHECKING:
    from kailash_cli.report.findings import ReportContext

SRCROOT = "%SRCROOT%"
SCHEMA_URI = "https://json.schemastore.org/sarif-2.1.0.json"
FINGERPRINT = "kailashFindingHash/v1"
_LEVEL = {"error": "error", "warning": "warning", "info": "note"}
_MARKDOWN_SPECIAL = str.maketrans({c: "\\" + c for c in "\\*_[]<>"})


def artifact_location(file: str | None, root: Path) -> dict[str, str]:
    """A finding's file as a percent-encoded URI: relative to ``root`` (with the base id) when
    inside it, else an absolute ``file://`` URI (GitHub does not annotate those)."""
    if not file:
        return {"uri": "unknown", "uriBaseId": SRCROOT}
    path = Path(file)
    absolute = (path if path.is_absolute() else Path.cwd() / path).resolve()
    try:
        relative = absolute.relative_to(root)
    except ValueError:
        return {"uri": absolute.as_uri()}
    return {"uri": quote(relative.as_posix(), safe="/"), "uriBaseId": SRCROOT}


def _markdown(text: str) -> str:
    """``text`` with markdown's specials escaped, except inside `code spans` (kept as code)."""
    parts = text.split("`")
    if len(parts) % 2 == 0:  # an unpaired backtick: no code spans at all
        return text.translate(_MARKDOWN_SPECIAL).replace("`", "\\`")
    return "`".join(p if n % 2 else p.translate(_MARKDOWN_SPECIAL) for n, p in enumerate(parts))


def rule_descriptor(rule: Rule, level: str) -> dict[str, object]:
    """``rule`` as a SARIF ``reportingDescriptor`` (``level``: its default severity)."""
    properties: dict[str, object] = {"tags": list(rule.tags)}
    if rule.security_severity is not None:
        properties["security-severity"] = f"{rule.security_severity:.1f}"
    help_text = f"{rule.title}. {rule.rationale}\n\nFix: {rule.fix}\n\nDocumentation: {rule.help_uri}"
    help_markdown = (
        f"**{_markdown(rule.title)}**\n\n{_markdown(rule.rationale)}\n\n"
        f"**Fix:** {_markdown(rule.fix)}\n\n[Documentation]({rule.help_uri})"
    )
    return {
        "id": rule.id,
        "name": rule.name,
        "shortDescription": {"text": rule.title},
        "fullDescription": {"text": rule.rationale},
        "help": {"text": help_text, "markdown": help_markdown},
        "helpUri": rule.help_uri,
        "defaultConfiguration": {"level": _LEVEL.get(rule.level or level, "note")},
        "properties": properties,
    }


def _fingerprint(problem: Problem, uri: str, seen: Counter[str]) -> str:
    """Stable while lines move: the id, the file and the message with its numbers left out (a
    count or a length in it may change; never the line's content, which may hold a secret),
    plus which occurrence of that triple this is."""
    wording = re.sub(r"[0-9]+", "#", problem.message)
    digest = hashlib.sha256(f"{problem.id}\0{uri}\0{wording}".encode()).hexdigest()[:16]
    seen[digest] += 1
    return f"{digest}:{seen[digest]}"


def _result(problem: Problem, index: int, root: Path, seen: Counter[str]) -> dict[str, object]:
    region = {"startLine": problem.line or 1}
    if problem.column is not None:
        region["startColumn"] = problem.column
    artifact = artifact_location(problem.file, root)
    text = problem.message + (f"; fix: {problem.fix}" if problem.fix else "")
    return {
        "ruleId": problem.id,
        "ruleIndex": index,
        "level": _LEVEL.get(problem.severity, "note"),
        "message": {"text": text},
        "locations": [{"physicalLocation": {"artifactLocation": artifact, "region": region}}],
        "partialFingerprints": {FINGERPRINT: _fingerprint(problem, artifact["uri"], seen)},
    }


class SarifReporter:
    """SARIF 2.1.0: one rule per finding id (described by ``context.rules``), one result per
    finding, URIs relative to ``context.root`` (the working directory when not given)."""

    def render(self, problems: Sequence[Problem], context: ReportContext) -> str:
        return json.dumps(self.document(problems, context), indent=2) + "\n"

    def document(self, problems: Sequence[Problem], context: ReportContext) -> dict[str, object]:
        root = (context.root or Path.cwd()).resolve()
        ids = sorted({p.id for p in problems})
        first = {p.id: p.severity for p in reversed(problems)}
        rules = [rule_descriptor(context.rules.get(i) or fallback_rule(i), first[i]) for i in ids]
        index = {id_: n for n, id_ in enumerate(ids)}
        seen: Counter[str] = Counter()
        results = [_result(p, index[p.id], root, seen) for p in problems]
        base = root.as_uri()
        driver = {
            "name": context.tool,
            "version": __version__,
            "semanticVersion": __version__,
            "informationUri": PROJECT_URL,
            "rules": rules,
        }
        run = {
            "tool": {"driver": driver},
            "automationDetails": {"id": f"{context.category}/"},
            "originalUriBaseIds": {SRCROOT: {"uri": base if base.endswith("/") else base + "/"}},
            "results": results,
        }
        return {"$schema": SCHEMA_URI, "version": "2.1.0", "runs": [run]}

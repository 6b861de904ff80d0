"""Running the check families over a project: selection, ignores, severity overrides and
precedence; and the scrubbing of secret values from whatever is printed."""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator
from dataclasses import replace

from kailash_cli.checks import deploy_settings
from kailash_cli.checks.base import CheckFamily
from kailash_cli.checks.kailash_config import UNKNOWN_ID
from kailash_cli.checks.precedence import drop_superseded
from kailash_cli.checks.project import Project
from kailash_cli.checks.registry import CHECKS, FAMILIES
from kailash_cli.errors import UsageError
from kailash_cli.load.gcpause import gc_paused
from kailash_cli.model.result import Problem

MIN_SCRUBBED = 6
_INLINE_IGNORE = re.compile(r"kailash:\s*ignore\[([A-Za-z0-9_,\s]*)\]")


def select_ids(values: Iterable[str], option: str) -> set[str]:
    """The check ids that comma-separated ids or prefixes (``KD3,KD601``) name; an unknown one is a
    usage error of ``option``."""
    chosen: set[str] = set()
    for value in values:
        for word in filter(None, (w.strip().upper() for w in value.split(","))):
            matched = {i for i in CHECKS if i.startswith(word)}
            if not matched:
                raise UsageError(
                    f"{option}: unknown check id or prefix '{word}'; "
                    "`kailash check-deploy --list` shows the ids"
                )
            chosen |= matched
    return chosen


def run_checks(project: Project, selected: set[str]) -> list[Problem]:
    """Findings of the selected checks, after ignores, severity overrides and precedence, sorted."""
    ignored, table = deploy_settings.ignored(project), deploy_settings.overrides(project)
    found: list[Problem] = []
    with gc_paused():  # thousands of syntax trees that all stay alive: nothing to collect (3x faster)
        for family in FAMILIES.values():
            found.extend(_family_findings(project, family, selected, ignored, table))
    return sorted(drop_superseded(set(found)), key=lambda p: (*p.sort_key(), p.message))


def _family_findings(
    project: Project, family: CheckFamily, selected: set[str], ignored: set[str], table: dict[str, str]
) -> Iterator[Problem]:
    ids = {check.id for check in family.checks} & selected
    if not ids:
        return
    for p in [*family.run(project), *(_unknown_ids(project) if UNKNOWN_ID.id in ids else ())]:
        if p.id in ids and not any(p.id.startswith(w) for w in ignored) and not _ignored_inline(project, p):
            severity = deploy_settings.override_for(p.id, table)
            yield replace(p, severity=severity) if severity else p


def _unknown_ids(project: Project) -> Iterator[Problem]:
    doc = project.config_doc
    for value, path, key in deploy_settings.unknown_ids(project, CHECKS) if doc else ():
        assert doc is not None
        line, column = doc.position(path, key=key) or (None, None)
        yield UNKNOWN_ID.at(f"'{value}' in deploy.{path[1]} names no check", doc.file, line, column)


def _ignored_inline(project: Project, p: Problem) -> bool:
    """``# kailash: ignore[ID]`` on the finding's line, or on a comment line right above it."""
    above = project.finding_line(p, -1).strip()
    texts = [project.finding_line(p)] + ([above] if above.startswith(("#", "//")) else [])
    for text in texts:
        for match in _INLINE_IGNORE.finditer(text):
            words = {w.strip().upper() for w in match.group(1).split(",") if w.strip()}
            if any(p.id.startswith(w) for w in words):
                return True
    return False


def scrub(text: str, project: Project) -> str:
    """Last line of defence: no value a check saw as secret leaves the process. Values shorter
    than ``MIN_SCRUBBED`` are left alone: they turn ordinary words into ``***`` and no message
    holds a value anyway."""
    for value in sorted(project.sensitive_values, key=len, reverse=True):
        if len(value) >= MIN_SCRUBBED:
            text = text.replace(value, "***")
            text = text.replace(json.dumps(value)[1:-1], "***")
    return text

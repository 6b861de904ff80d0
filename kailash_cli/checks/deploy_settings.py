"""The config's ``deploy`` section as the runner uses it, read defensively.

``kailash validate`` (KD705) reports an entry of the wrong shape; the checks then use the
entries that make sense and never fail on the rest (``ignore: 603`` is a finding, not a crash).
``ignore`` and ``severity`` take ids or prefixes, as ``--ignore`` does (``KD7``: every KD7xx).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

from kailash_cli.checks.project import Project
from kailash_cli.model.result import SEVERITIES


def ignored(project: Project) -> set[str]:
    """The ids and prefixes in ``deploy.ignore`` (upper case)."""
    return {value.upper() for value, _ in _ignore_entries(project)}


def overrides(project: Project) -> dict[str, str]:
    """``deploy.severity``: id or prefix -> severity, for the entries with a known severity."""
    severity = project.section("deploy").get("severity")
    if not isinstance(severity, dict):
        return {}
    return {str(k).upper(): v for k, v in severity.items() if isinstance(v, str) and v in SEVERITIES}


def override_for(check_id: str, table: dict[str, str]) -> str | None:
    """The severity the longest matching id or prefix gives ``check_id``."""
    matches = [prefix for prefix in table if check_id.startswith(prefix)]
    return table[max(matches, key=len)] if matches else None


def _ignore_entries(project: Project) -> Iterator[tuple[str, tuple[str | int, ...]]]:
    values: Any = project.section("deploy").get("ignore")
    for i, value in enumerate(values if isinstance(values, list) else []):
        if isinstance(value, str):
            yield value.strip(), ("deploy", "ignore", i)


def unknown_ids(project: Project, known: Iterable[str]) -> Iterator[tuple[str, tuple[str | int, ...], bool]]:
    """Entries of ``deploy.ignore`` and keys of ``deploy.severity`` that name no check:
    (the entry, its path in the config, whether the path is a key)."""
    ids = list(known)

    def names_one(word: str) -> bool:
        return any(i.startswith(word.upper()) for i in ids) if word else False

    for value, path in _ignore_entries(project):
        if not names_one(value):
            yield value, path, False
    severity = project.section("deploy").get("severity")
    for key in severity if isinstance(severity, dict) else {}:
        if not names_one(str(key)):
            yield str(key), ("deploy", "severity", key), True

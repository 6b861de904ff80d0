"""The catalogue of checks: ``check-deploy --list`` (text or JSON) and the SARIF rules."""

from __future__ import annotations

import json

from kailash_cli.checks.registry import CHECKS, FAMILIES, family_of
from kailash_cli.report.sarif_rules import Rule, security_severity, slug


def catalogue_text() -> str:
    lines: list[str] = []
    for family in FAMILIES.values():
        lines.append(("\n" if lines else "") + f"{family.prefix}xx  {family.title}")
        for check in family.checks:
            lines.append(f"  {check.id}  {check.severity:<7}  {check.title}")
            lines.append(f"         why: {check.rationale}")
            lines.append(f"         fix: {check.fix}")
    lines.append(
        "\nSilence a check in kailash.yaml (deploy.ignore: [KD203]) or on the offending line "
        "(# kailash: ignore[KD203]); change its severity with deploy.severity: {KD203: info}."
    )
    return "\n".join(lines)


def catalogue_json() -> str:
    return json.dumps(
        [
            {"id": c.id, "severity": c.severity, "title": c.title, "rationale": c.rationale, "fix": c.fix}
            for c in CHECKS.values()
        ],
        indent=2,
    )


#: checks that guard against an attack, not a mistake: GitHub shows them as security alerts
#: (whole families, and single checks of the others; a check that may sit on a secret is one)
_SECURITY_FAMILIES = {"KD3", "KD4", "KD6"}
_SECURITY_CHECKS = {"KD202", "KD203", "KD204", "KD701", "KD702", "KD703", "KD704"}


def sarif_rules() -> dict[str, Rule]:
    """Every check as a SARIF rule: title, rationale, fix, its family (a tag and the README
    section), and for security checks the ``security`` tag and a score."""
    rules = {}
    for id_, check in CHECKS.items():
        family = family_of(id_)
        security = check.sensitive or family.prefix in _SECURITY_FAMILIES or id_ in _SECURITY_CHECKS
        heading = f"{family.prefix}xx {family.title}"
        rules[id_] = Rule(
            id_,
            check.title,
            check.rationale,
            check.fix,
            anchor=slug(heading),
            level=check.severity,
            tags=(f"{family.prefix}xx", family.title) + (("security",) if security else ()),
            security_severity=security_severity(check.severity, critical=family.prefix == "KD3")
            if security
            else None,
        )
    return rules

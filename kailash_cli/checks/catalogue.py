"""The catalogue of checks: ``check-deploy --list`` (text or JSON) and the SARIF rules."""

from __future__ import annotations

import json

from kailash_cli.checks.registry import CHECKS, FAMILIES, family_of


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


def sarif_rules() -> dict[str, dict[str, object]]:
    """Every check as a SARIF rule: title, rationale, fix and its family as a tag."""
    return {
        i: {
            "title": c.title,
            "rationale": c.rationale,
            "fix": c.fix,
            "tags": [f"{family_of(i).prefix}xx", family_of(i).title],
        }
        for i, c in CHECKS.items()
    }

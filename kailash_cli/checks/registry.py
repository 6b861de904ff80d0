"""Every check by id, and the families that run them (each module: ``CHECKS`` and ``run(project)``)."""

from __future__ import annotations

from kailash_cli.checks import (
    containers,
    conventions,
    dependencies,
    env_vars,
    imports,
    kailash_config,
    secrets,
    transport,
)
from kailash_cli.checks.base import Check

FAMILIES = (imports, env_vars, secrets, transport, dependencies, containers, kailash_config, conventions)
FAMILY_TITLES = {
    "KD1": "Imports",
    "KD2": "Environment",
    "KD3": "Secrets",
    "KD4": "Transport",
    "KD5": "Dependencies",
    "KD6": "Containers",
    "KD7": "Kailash config and workflows",
    "KD8": "Conventions",
}
CHECKS: dict[str, Check] = {check.id: check for family in FAMILIES for check in family.CHECKS}

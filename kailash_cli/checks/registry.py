"""Every check family, in catalogue order, and every check by id."""

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
from kailash_cli.checks.base import Check, CheckFamily

FAMILIES: dict[str, CheckFamily] = {
    family.prefix: family
    for family in (
        imports.FAMILY,
        env_vars.FAMILY,
        secrets.FAMILY,
        transport.FAMILY,
        dependencies.FAMILY,
        containers.FAMILY,
        kailash_config.FAMILY,
        conventions.FAMILY,
    )
}
CHECKS: dict[str, Check] = {check.id: check for family in FAMILIES.values() for check in family.checks}


def family_of(check_id: str) -> CheckFamily:
    return FAMILIES[check_id[:3]]

"""Resolve a workflow's ``secrets:`` from their sources, in the order written."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from kailash_cli.errors import UsageError

KEYRING_SERVICE = "kailash"


def _from_keyring(name: str) -> str | None:
    import keyring
    from keyring.errors import KeyringError

    try:
        return keyring.get_password(KEYRING_SERVICE, name)
    except (KeyringError, RuntimeError):  # no usable backend: try the next source
        return None


def resolve(declared: Mapping[str, Mapping[str, str]], environ: Mapping[str, str]) -> dict[str, Any]:
    """Every secret's value; UsageError names each one that no source has."""
    values: dict[str, Any] = {}
    missing = []
    for name, sources in declared.items():
        for kind, ref in sources.items():
            value = _from_keyring(ref) if kind == "keyring" else environ.get(ref)
            if value:
                values[name] = value
                break
        else:
            tried = ", ".join(f"{k} '{v}'" for k, v in sources.items())
            missing.append(
                f"secret '{name}' not found (tried {tried}); set it with "
                f"`kailash secrets set` or export the variable"
            )
    if missing:
        raise UsageError("\n".join(missing))
    return values

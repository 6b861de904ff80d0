"""Resolve a workflow's ``secrets:`` from their sources, in the order written."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from typing import Any, TypeVar

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


# -- the keyring index (`kailash secrets`) -------------------------------------------------
# A keyring cannot list its entries, so the names are kept in the keyring itself, as a JSON
# list under the user name ``__index__``. A secret stored by other tools under the service
# is usable by workflows but not listed.

INDEX = "__index__"
_NAME = re.compile(r"^[A-Za-z0-9_.-]+$")
T = TypeVar("T")


def _keyring(call: Callable[[Any], T]) -> T:
    """Run ``call(keyring)``; a missing or broken backend becomes one clear line (exit 2)."""
    try:
        import keyring
        from keyring.errors import KeyringError

        try:
            return call(keyring)
        except (KeyringError, RuntimeError, OSError) as e:
            raise UsageError(_no_backend(e)) from e
    except ImportError as e:  # keyring itself, or the backend PYTHON_KEYRING_BACKEND names
        raise UsageError(_no_backend(e)) from e


def _no_backend(e: BaseException) -> str:
    detail = str(e).splitlines()[0] if str(e) else type(e).__name__
    return (
        f"the keyring is not usable ({type(e).__name__}: {detail}); install a keyring backend, "
        "or give the secret through `env:` in the workflow"
    )


def check_name(name: str) -> None:
    if not _NAME.match(name) or name == INDEX:
        raise UsageError(
            f"secret name '{name}' is not allowed; use letters, digits, '_', '.' and '-'"
            + (f" ('{INDEX}' is reserved)" if name == INDEX else "")
        )


def _names(kr: Any) -> list[str]:
    raw = kr.get_password(KEYRING_SERVICE, INDEX)
    try:
        names = json.loads(raw) if raw else []
    except ValueError:
        names = []
    return sorted({n for n in names if isinstance(n, str)}) if isinstance(names, list) else []


def _save_names(kr: Any, names: list[str]) -> None:
    kr.set_password(KEYRING_SERVICE, INDEX, json.dumps(sorted(set(names))))


def store_secret(name: str, value: str) -> None:
    """Keep ``value`` under ``name`` (service ``kailash``) and list the name."""
    check_name(name)

    def store(kr: Any) -> None:
        kr.set_password(KEYRING_SERVICE, name, value)
        _save_names(kr, [*_names(kr), name])

    _keyring(store)


def delete_secret(name: str) -> bool:
    """Remove ``name``; False when there was none (a stale index entry is tidied)."""
    check_name(name)

    def delete(kr: Any) -> bool:
        names = _names(kr)
        if kr.get_password(KEYRING_SERVICE, name) is None:
            if name in names:
                _save_names(kr, [n for n in names if n != name])
            return False
        kr.delete_password(KEYRING_SERVICE, name)
        _save_names(kr, [n for n in names if n != name])
        return True

    return _keyring(delete)


def secret_names() -> list[str]:
    """The names of the secrets stored with ``kailash secrets set``."""
    return _keyring(_names)

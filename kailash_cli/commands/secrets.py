"""``kailash secrets set|delete|list``: credentials in the OS keyring, service ``kailash``.

A keyring cannot list its entries, so the names are kept in the keyring itself, as a
JSON list under the user name ``__index__``. A secret stored by other tools under the
service is usable by workflows but not listed. Values are never printed.
"""

from __future__ import annotations

import getpass
import json
import re
import sys
from collections.abc import Callable
from typing import IO, Any, TypeVar

from kailash_cli.constants import EXIT_OK
from kailash_cli.errors import UsageError
from kailash_cli.pipeline.secrets import KEYRING_SERVICE
from kailash_cli.report.output import Output

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


def _check_name(name: str) -> None:
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


def _read_value(name: str, stdin: IO[str]) -> str:
    if stdin.isatty():
        return getpass.getpass(f"value for secret {name} (not echoed): ")
    value = stdin.read()
    return value[:-1] if value.endswith("\n") else value  # `echo x |` adds one newline


def secrets_set(name: str, stdin: IO[str] | None = None, *, output: Output | None = None) -> int:
    output = output or Output()
    """Store ``name``'s value, read from stdin (without echo on a terminal)."""
    _check_name(name)
    value = _read_value(name, stdin or sys.stdin).removesuffix("\r")
    if not value:
        raise UsageError(f"empty value for secret '{name}'; nothing stored (pipe the value on stdin)")

    def store(kr: Any) -> None:
        kr.set_password(KEYRING_SERVICE, name, value)
        _save_names(kr, [*_names(kr), name])

    _keyring(store)
    output.out(f"stored secret '{name}' in the keyring (service {KEYRING_SERVICE})")
    return EXIT_OK


def secrets_delete(name: str, *, output: Output | None = None) -> int:
    output = output or Output()
    """Remove ``name``; an unknown name is a usage error (exit 2)."""
    _check_name(name)

    def delete(kr: Any) -> bool:
        names = _names(kr)
        if kr.get_password(KEYRING_SERVICE, name) is None:
            if name in names:  # stale index entry: tidy it
                _save_names(kr, [n for n in names if n != name])
            return False
        kr.delete_password(KEYRING_SERVICE, name)
        _save_names(kr, [n for n in names if n != name])
        return True

    if not _keyring(delete):
        raise UsageError(
            f"no secret named '{name}' in the keyring (service {KEYRING_SERVICE}); see `kailash secrets list`"
        )
    output.out(f"deleted secret '{name}'")
    return EXIT_OK


def secrets_list(*, output: Output | None = None) -> int:
    output = output or Output()
    """Print the names of the stored secrets, one a line; never their values."""
    names = _keyring(_names)
    for name in names:
        output.out(name)
    if not names:
        output.err("no secrets stored (add one with `kailash secrets set NAME`)")
    return EXIT_OK

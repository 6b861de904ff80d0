"""``kailash secrets set|delete|list``: credentials in the OS keyring (``pipeline/secrets.py``).

Values are never printed.
"""

from __future__ import annotations

import getpass
import sys
from typing import IO

from kailash_cli.constants import EXIT_OK
from kailash_cli.errors import UsageError
from kailash_cli.pipeline.secrets import (
    KEYRING_SERVICE,
    check_name,
    delete_secret,
    secret_names,
    store_secret,
)
from kailash_cli.report.output import Output


def _read_value(name: str, stdin: IO[str]) -> str:
    if stdin.isatty():
        return getpass.getpass(f"value for secret {name} (not echoed): ")
    value = stdin.read()
    return value[:-1] if value.endswith("\n") else value  # `echo x |` adds one newline


def secrets_set(name: str, stdin: IO[str] | None = None, *, output: Output | None = None) -> int:
    """Store ``name``'s value, read from stdin (without echo on a terminal)."""
    output = output or Output()
    check_name(name)
    value = _read_value(name, stdin or sys.stdin).removesuffix("\r")
    if not value:
        raise UsageError(f"empty value for secret '{name}'; nothing stored (pipe the value on stdin)")

    store_secret(name, value)
    output.out(f"stored secret '{name}' in the keyring (service {KEYRING_SERVICE})")
    return EXIT_OK


def secrets_delete(name: str, *, output: Output | None = None) -> int:
    """Remove ``name``; an unknown name is a usage error (exit 2)."""
    output = output or Output()
    if not delete_secret(name):
        raise UsageError(
            f"no secret named '{name}' in the keyring (service {KEYRING_SERVICE}); see `kailash secrets list`"
        )
    output.out(f"deleted secret '{name}'")
    return EXIT_OK


def secrets_list(*, output: Output | None = None) -> int:
    """Print the names of the stored secrets, one a line; never their values."""
    output = output or Output()
    names = secret_names()
    for name in names:
        output.out(name)
    if not names:
        output.err("no secrets stored (add one with `kailash secrets set NAME`)")
    return EXIT_OK

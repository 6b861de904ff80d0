"""Secrets in shapes a name = value scan misses: key-value connection strings and fallbacks.

- libpq / ODBC connection strings carry the password as a key: ``host=db user=app
  password=...``, ``Server=db;Database=app;User Id=app;Password=...;``.
- A fallback is the value a program uses when the variable is unset:
  ``os.environ.get("JWT_SECRET_KEY", "change-in-production")`` in code, ``${JWT_SECRET:-dev}``
  in compose files, env templates and shell. A placeholder there means production starts with
  a secret everybody knows as soon as the variable is forgotten (KD305).
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from kailash_cli.checks.secret_names import is_placeholder, is_reference, is_secret_name

_PASSWORD_KEY = re.compile(r"""(?i)(?:^|[\s;])(?:password|pwd)\s*=\s*('[^']*'|"[^"]*"|[^\s;'"]+)""")
_OTHER_KEYS = re.compile(
    r"(?i)(?:^|[\s;])(?:host|hostaddr|dbname|user|server|data source|database|uid|user id)\s*="
)
_SHELL_DEFAULT = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*):?-([^}]*)\}")


def connection_string_password(value: str) -> str | None:
    """The password of a key-value connection string, unless it is a reference or placeholder."""
    if "=" not in value:
        return None  # fast path: most strings assign nothing
    match = _PASSWORD_KEY.search(value)
    if not match or not _OTHER_KEYS.search(value):
        return None
    password = match.group(1).strip("'\"")
    if not password or is_reference(password) or is_placeholder(password) or re.search(r"[${}%<>]", password):
        return None
    return password


def shell_defaults(value: str) -> Iterator[tuple[str, str]]:
    """``${NAME:-default}`` / ``${NAME-default}`` of secret-like names: (name, default)."""
    for match in _SHELL_DEFAULT.finditer(value) if "${" in value else ():
        if match.group(2).strip() and is_secret_name(match.group(1)):
            yield match.group(1), match.group(2).strip()

"""Which names hold secrets, and which values only stand in for one."""

from __future__ import annotations

import re
from functools import lru_cache

_NOT_SECRET_SUFFIXES = (
    "_FILE",
    "_PATH",
    "_DIR",
    "_URL",
    "_URI",
    "_ENDPOINT",
    "_HEADER",
    "_TTL",
    "_EXPIRY",
    "_EXPIRES",
    "_LENGTH",
    "_TIMEOUT",
    "_NAME",
    "_ID",
    "_TYPE",
    "_ALGORITHM",
    "_REF",
    "_BACKEND",
    "_PROVIDER",
    "_ENV",
    "_VAR",
    "_PREFIX",
    "_FIELD",
    "_MOUNT",
    "_SOURCE",
    "_KEYRING",
    "_TEMPLATE",
    "_PROMPT",
    "_REGEX",
    "_PATTERN",
    "_LABEL",
    "_MESSAGE",
    "_HELP",
)
_PLACEHOLDERS = frozenset(
    {
        "changeme",
        "change-me",
        "change_me",
        "change-in-production",
        "change_in_production",
        "changeinproduction",
        "change-this",
        "changethis",
        "secret",
        "password",
        "passwd",
        "token",
        "todo",
        "tbd",
        "fixme",
        "replace-me",
        "replaceme",
        "replace_me",
        "your-secret-here",
        "your_secret_here",
        "example",
        "dummy",
        "placeholder",
        "default",
        "test",
        "none",
        "null",
        "xxx",
        "secret-key",
        "secret_key",
        "mysecret",
        "supersecret",
        "admin",
        "password123",
    }
)


@lru_cache(maxsize=8192)
def snake_upper(name: str) -> str:
    """``secretName`` / ``secret-name`` -> ``SECRET_NAME``."""
    name = re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", name)
    return re.sub(r"[^A-Za-z0-9]+", "_", name).upper()


@lru_cache(maxsize=4096)
def is_secret_name(name: str) -> bool:
    """``*SECRET*``, ``*_KEY``, ``*TOKEN*``, ``*PASSWORD*`` (and ``PASSWD``), or plain ``token``."""
    upper = snake_upper(name)
    if not upper or upper.endswith(_NOT_SECRET_SUFFIXES) or "PUBLIC_KEY" in upper:
        return False
    return any(word in upper for word in ("SECRET", "TOKEN", "PASSWORD", "PASSWD")) or upper.endswith("_KEY")


def is_placeholder(value: str) -> bool:
    lowered = value.strip().lower()
    return (
        lowered in _PLACEHOLDERS
        or bool(re.fullmatch(r"x{3,}|\*+|\.{3}|<[^>]*>|\[[^\]]*\]", lowered))
        or lowered.startswith(("your-", "your_", "change-me", "changeme", "change_me", "replace"))
        or "change-in-production" in lowered
        or "changeme" in lowered
    )


def is_reference(value: str) -> bool:
    """A value that names where the secret comes from instead of holding it."""
    text = value.strip()
    return bool(
        re.fullmatch(
            r"\$\{[^}]*\}|\$[A-Za-z_][A-Za-z0-9_]*|\{\{.*\}\}|%\([a-z_]+\)s|"
            r"[A-Z][A-Z0-9_]*|(?:env|keyring|vault|secret|file):.*",
            text,
        )
    )

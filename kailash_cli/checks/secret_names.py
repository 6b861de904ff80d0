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
    "_HINT",
    "_TEXT",
    "_PLACEHOLDER",
    "_DESCRIPTION",
    "_TITLE",
    "_ERROR",
    "_CAPTION",
    "_TOOLTIP",
    "_POLICY",
)
#: the last word of a name that holds the secret itself (``db_password``), not something about
#: secrets (``secret_store``, ``token_audience``)
_SECRET_HEADS = frozenset(
    {"SECRET", "SECRETS", "TOKEN", "TOKENS", "PASSWORD", "PASSWD", "PWD", "PASS", "PASSPHRASE", "KEY", "KEYS"}
)
_WORD = re.compile(r"[A-Za-z]+(?:[_-][A-Za-z]+)*")
_PROSE = re.compile(r"[A-Za-z][A-Za-z',.!?:()-]*(?:\s+[A-Za-z0-9][A-Za-z0-9',.!?:()/-]*)+")
_TEMPLATE = re.compile(r"\{[A-Za-z_][A-Za-z0-9_.]*(?:![rsa])?(?::[^{}]*)?\}|\{\d*\}|%\(?[A-Za-z_]*\)?[sdr]")
_FILLER = re.compile(r"(?i)x{4,}|\*{3,}|\.{3}|<[^>]*>")
#: a regular expression (lexers call their patterns tokens): \w \d \s, (?=...), [^...]
_REGEX = re.compile(r"\\[wdsbWDSB]|\(\?[:=!<P]|\[\^|\][*+?{]")
#: a module path or entry point (``keyring.backends.SecretService``, ``pkg.mod:func``)
_DOTTED = re.compile(r"[A-Za-z_]\w*(?:\.[A-Za-z_]\w*)+(?::[A-Za-z_]\w*)?")
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
        or _FILLER.search(lowered) is not None
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


def is_not_a_secret_value(name: str, value: str) -> bool:
    """Text that a secret-like name holds without holding a secret: prose and UI text
    (``password_hint = "Enter your password"``), a format template (``"orders:{order_id}"``), a
    regular expression (``word_token = r"[^\\W\\d]\\w*"``), a module path, the name itself
    (``apiKey = "apiKey"``), or one word under a name about secrets rather than one
    (``secret_store: vault``)."""
    text = value.strip()
    if _PROSE.fullmatch(text) or _TEMPLATE.search(text) or _REGEX.search(text) or _DOTTED.fullmatch(text):
        return True
    if snake_upper(text) == snake_upper(name):
        return True  # apiKey = "apiKey": a constant naming itself
    head = snake_upper(name).rsplit("_", 1)[-1]
    return head not in _SECRET_HEADS and _WORD.fullmatch(text) is not None


_NAMESPACE_PART = re.compile(r"[A-Za-z]+[0-9]{0,3}|[0-9]+")


def looks_like_identifier(value: str) -> bool:
    """Words without digits (``session``, ``user.profile``), or a ``:``-separated namespace of
    words, short versions and numeric ids (``orders:v1:list``, ``user:1234567:cart``). Not
    ``k3y-value-9`` or ``user:9f8a7b6c5d4e``: digits inside or between letters look made up."""
    if re.fullmatch(r"[A-Za-z_][A-Za-z_.:-]*", value):
        return True
    if ":" not in value or not re.fullmatch(r"[A-Za-z0-9_.:-]+", value):
        return False
    parts = [part for part in re.split(r"[:._-]+", value) if part]
    return bool(parts) and all(_NAMESPACE_PART.fullmatch(part) for part in parts)

"""Bearer tokens: ``KAILASH_API_TOKEN`` (the anonymous caller) and ``serve.tokens`` (a token
per ``access_control`` user). No header but ``Authorization`` is ever read for identity."""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from kailash_cli.errors import UsageError

API_TOKEN_ENV = "KAILASH_API_TOKEN"


@dataclass(frozen=True)
class Caller:
    """Who sent a request: ``user`` is the access_control user the runs go as (None: no user)."""

    user: str | None = None


def _digest(token: str) -> bytes:
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).digest()


class TokenBook:
    """The accepted tokens, kept as digests; a lookup compares against every one in constant time."""

    def __init__(self, entries: list[tuple[str, str | None]]) -> None:
        self._entries = [(_digest(token), user) for token, user in entries]
        self.values = tuple(token for token, _ in entries)  # for redaction, never shown
        self.users = tuple(user for _, user in entries)

    @property
    def required(self) -> bool:
        return bool(self._entries)

    def caller(self, authorization: str | None) -> Caller | None:
        """The caller a request's ``Authorization`` header names; None when it names none."""
        if not self._entries:
            return Caller()
        scheme, _, token = (authorization or "").strip().partition(" ")
        token = token.strip()
        if scheme.lower() != "bearer" or not token:
            return None
        given = _digest(token)
        found: Caller | None = None
        for digest, user in self._entries:  # no early exit: the time does not say which matched
            if hmac.compare_digest(digest, given) and found is None:
                found = Caller(user)
        return found


def token_book(serve: Mapping[str, Any], environ: Mapping[str, str], users: Mapping[str, Any]) -> TokenBook:
    """The tokens of the environment and of ``serve.tokens``; UsageError for one that cannot work."""
    entries: list[tuple[str, str | None]] = []
    errors: list[str] = []
    if _token(environ, API_TOKEN_ENV):
        entries.append((_token(environ, API_TOKEN_ENV), None))
    elif API_TOKEN_ENV in environ:  # an empty Secret must not make an open server
        errors.append(
            f"{API_TOKEN_ENV} is set but empty; export the token in it, or unset it to serve without one"
        )
    for i, entry in enumerate(serve.get("tokens") or []):
        name, user = entry["env"], entry["user"]
        where = f"serve.tokens[{i}]"
        if not _token(environ, name):
            state = "set but empty" if name in environ else "not set"
            errors.append(f"{where}: environment variable {name} is {state}; export the token in it")
        elif user not in users:
            errors.append(
                f"{where}: user '{user}' is not in access_control.users; add the user or fix the name"
            )
        else:
            entries.append((_token(environ, name), user))
    by_token: dict[str, str | None] = {}
    for token, user in entries:
        if token in by_token and by_token[token] != user:
            errors.append("two token variables hold the same token for different users; give each its own")
        by_token[token] = user
    if errors:
        raise UsageError("\n".join(dict.fromkeys(errors)))
    return TokenBook(entries)


def _token(environ: Mapping[str, str], name: str) -> str:
    """A token variable's value without surrounding whitespace: a token read from a file
    (a Kubernetes secret, ``$(cat token)``) often ends in a newline no header can carry."""
    return environ.get(name, "").strip()


def token_variables(serve: Mapping[str, Any]) -> set[str]:
    """The environment variables that hold tokens: runs do not see them."""
    return {API_TOKEN_ENV, *(entry["env"] for entry in serve.get("tokens") or [])}

"""Secret values out of everything shown, logged or stored: each occurrence becomes ``***``."""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from typing import Any
from urllib.parse import quote, quote_plus, unquote

MASK = "***"
#: ``scheme://user:password@``: the password (up to the host's ``@``, so an unencoded ``@``
#: in it is hidden too), in any URL of any message
_USERINFO = re.compile(r"(?P<user>[a-zA-Z][a-zA-Z0-9+.-]*://[\w.~%!$&'()*+,;=-]*):[^\s/?#]*@")


def hide_url_passwords(s: str) -> str:
    """``s`` with the password of every URL in it as ``***`` (declared secret or not)."""
    return _USERINFO.sub(rf"\g<user>:{MASK}@", s) if "://" in s else s


def encoded_forms(value: str) -> set[str]:
    """``value`` as kailash itself may write it: plain, inside JSON text (escaped, ASCII or
    not), URL-encoded (path or query, ``%2B`` or ``%2b``) and form-encoded (``+`` for space).
    A form the node code makes itself (base64, hashes) cannot be known here."""
    forms = set()
    for text in (value, repr(value.encode("utf-8", "surrogatepass"))[2:-1]):  # as bytes: b'p\xc3\xa4ss'
        forms |= {text, json.dumps(text)[1:-1], json.dumps(text, ensure_ascii=False)[1:-1]}
    # URL-encoded as HTTP clients write a path or query: sub-delimiters (``+ = & /``) kept
    wide = "!$&'()*+,;=:@/"
    quotes = (quote(value, safe=""), quote(value, safe="/:@"), quote(value, safe=wide), quote_plus(value))
    for quoted in quotes:
        forms |= {quoted, re.sub(r"%[0-9A-F]{2}", lambda m: m.group().lower(), quoted)}
    return {f for f in forms if f}


class Redactor:
    """Replaces every occurrence of every secret value with ``***``.

    Longer values are matched first, so a secret that contains another is hidden
    whole. A value is also matched in its encoded forms (:func:`encoded_forms`: JSON text,
    URL- and form-encoded), and a URL's password is hidden in any text. Empty values are
    ignored. Values shorter than 4 characters are still redacted: hiding the secret wins
    over readable output, at the price that a 1-3 character secret also replaces unrelated
    matches (``"ab"`` in ``"table"``) and shows by its ``***`` where it occurs.
    Only text is searched: an int equal to a secret's digits is left as it is. Other values
    (bytes, sets, objects) are searched as their ``str()``, the form in which kailash shows
    and stores them; one that holds a secret is replaced by that text, redacted.
    """

    def __init__(self, values: Iterable[str]) -> None:
        self.secrets = frozenset(v for v in values if isinstance(v, str) and v)
        found = {form for v in self.secrets for form in encoded_forms(v)}
        self.values = tuple(sorted(found, key=lambda v: (-len(v), v)))
        self._pattern = re.compile("|".join(map(re.escape, self.values))) if self.values else None

    def __bool__(self) -> bool:
        return self._pattern is not None

    def text(self, s: str) -> str:
        """``s`` with every secret, in every form below, and every URL password as ``***``."""
        s = hide_url_passwords(s)
        if self._pattern is None:
            return s
        return self._pattern.sub(MASK, s)

    def value(self, obj: Any) -> Any:
        """``obj`` with secrets redacted in every string, dict key included; ``obj`` itself if none.
        Text (an error message) loses its URL passwords too, secrets or not."""
        if isinstance(obj, str):
            return self.text(obj)
        if self._pattern is None:
            return obj
        return self._walk(obj, self._pattern.sub)

    def _walk(self, obj: Any, sub: Any) -> Any:
        if isinstance(obj, str):
            return sub(MASK, obj)
        if isinstance(obj, dict):
            return {(sub(MASK, k) if isinstance(k, str) else k): self._walk(v, sub) for k, v in obj.items()}
        if isinstance(obj, list):
            return [self._walk(v, sub) for v in obj]
        if isinstance(obj, tuple):
            return tuple(self._walk(v, sub) for v in obj)
        if obj is None or isinstance(obj, bool | int | float):
            return obj
        # bytes, sets, exceptions, objects: shown and stored as str() (json's default=str);
        # one that holds a secret becomes that text, redacted, before anyone turns it into text
        try:
            text = str(obj)
        except Exception:  # an object whose __str__ fails is written as such nowhere
            return obj
        redacted = sub(MASK, text)
        return redacted if redacted != text else obj


def url_password(text: str) -> str | None:
    """The password of a URL as written (still percent-encoded), or None."""
    rest = text.partition("://")[2]
    end = min((i for i in (rest.find(c) for c in "/?#") if i >= 0), default=len(rest))
    userinfo, at, _ = rest[:end].rpartition("@")
    return userinfo.split(":", 1)[1] if at and ":" in userinfo else None


def url_passwords(texts: Iterable[Any]) -> set[str]:
    """The passwords of the URLs in ``texts`` (as written and decoded): values a run hides
    wherever they would show (an environment's ``DATABASE_URL``, the config's databases)."""
    found = set()
    for text in texts:
        for chunk in str(text).split() if isinstance(text, str) and "://" in text else ():
            password = url_password(chunk)
            if password:
                found |= {password, unquote(password)}
    return found

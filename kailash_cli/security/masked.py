"""Masked values out of text: what node code prints and what error messages quote.

Masking rules apply by key to the outputs a user sees and the store keeps
(``AccessControl.mask``). A value is also in text that has no keys: a node prints a row,
an exception quotes it. ``MaskedValues`` learns, as the run sees them, the values its
masking rules mask for the run's user (node inputs before a node is called, node outputs
when they are returned, at any depth, by key as the rules match) and replaces each one
in text by its masked form, as the run's secrets are replaced by ``***``.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Mapping
from typing import Any

from kailash_cli.security.redact import encoded_forms

#: a value whose text is shorter than this is not replaced in text: ``7`` or ``ab`` would
#: turn up inside every other line (it is still masked by key in outputs and the store)
MIN_LENGTH = 4
_SCALARS = (str, int, float, type(None))  # bool is an int
_PLAIN = re.compile(r"[A-Za-z0-9_.~-]+")  # text every encoded form writes as it is


def _text_of(value: Any) -> str | None:
    """How a scalar reads in text (an int ssn printed), or None for what is never replaced."""
    if isinstance(value, str):
        return value
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return str(value)


class MaskedValues:
    """The run's masked values (original text -> masked text), learned as the run goes on.

    ``rules`` are the masking rules that apply to the run's user (lower-case key -> rule);
    ``mask`` masks one value by one rule (``access.mask_value``). A value is replaced in
    text in every form kailash itself writes it (plain, inside JSON text, URL- and
    form-encoded), only where it stands whole: not when a letter or digit continues it on
    either side (``5000`` stays inside ``150000``), and only from ``MIN_LENGTH`` characters
    on. Longer values win where two overlap. Learning happens on the engine's thread; text
    is replaced on any thread (node prints).
    """

    def __init__(self, rules: Mapping[str, Mapping[str, Any]], mask: Any) -> None:
        self.rules = dict(rules)
        self._mask = mask
        self._found: dict[str, str] = {}  # a form of an original value -> its masked text
        self._lengths: dict[str, tuple[int, ...]] = {}  # first MIN_LENGTH chars -> lengths, longest first
        self._walked: dict[int, Any] = {}  # containers already searched (a node's outputs, another's inputs)
        self._lock = threading.Lock()

    def learn(self, value: Any) -> None:
        """Remember the masked values in ``value`` (a node's inputs or outputs: dicts, lists
        and tuples at any depth). A container given before (a node's outputs, then another
        node's inputs) is not searched again."""
        with self._lock:
            top = value.items() if isinstance(value, Mapping) else [(None, value)]
            for key, item in top:
                rule = self.rules.get(key.lower()) if isinstance(key, str) else None
                if rule is not None:
                    self._remember(item, rule)
                elif isinstance(item, Mapping | list | tuple) and not self._seen(item):
                    self._search(item)

    def _search(self, value: Any) -> None:
        rules, todo, visited = self.rules, [value], set()
        while todo:
            item = todo.pop()
            if id(item) in visited:  # a list that holds itself
                continue
            visited.add(id(item))
            if isinstance(item, dict) or (not isinstance(item, list | tuple) and isinstance(item, Mapping)):
                for key, inner in item.items():
                    rule = rules.get(key.lower()) if isinstance(key, str) else None
                    if rule is not None:
                        self._remember(inner, rule)
                    elif not isinstance(inner, _SCALARS):  # cheap first: most values are scalars
                        todo.append(inner)
            elif isinstance(item, list | tuple):
                todo.extend(v for v in item if not isinstance(v, _SCALARS))

    def _seen(self, container: Any) -> bool:
        """True when this very container was searched before (kept alive: its id stays its own)."""
        if self._walked.get(id(container)) is container:
            return True
        self._walked[id(container)] = container
        return False

    def _remember(self, value: Any, rule: Mapping[str, Any]) -> None:
        found = self._found
        texts = [t for t in _leaves(value) if len(t) >= MIN_LENGTH and t not in found]
        masked = self._mask(value, rule) if texts else None  # (a value seen before: no hash again)
        if not isinstance(masked, str):
            return
        for text in texts:
            if text == masked:
                continue
            for form in (text,) if _PLAIN.fullmatch(text) else encoded_forms(text):
                if form not in found:
                    found[form] = masked
                    prefix = form[:MIN_LENGTH]
                    sizes = self._lengths.get(prefix, ())
                    if len(form) not in sizes:
                        self._lengths[prefix] = tuple(sorted((*sizes, len(form)), reverse=True))

    def text(self, s: str) -> str:
        """``s`` with every learned value, where it stands whole, as its masked text."""
        if not self._found or len(s) < MIN_LENGTH:
            return s
        found, lengths = self._found, self._lengths
        parts: list[str] = []
        start = i = 0
        end = len(s) - MIN_LENGTH
        while i <= end:
            sizes = lengths.get(s[i : i + MIN_LENGTH])
            hit = _match(s, i, sizes, found) if sizes else None
            if hit is None:
                i += 1
                continue
            parts += (s[start:i], found[hit])
            i = start = i + len(hit)
        return "".join(parts) + s[start:] if parts else s

    def value(self, obj: Any) -> Any:
        """``obj`` with :meth:`text` applied to every string in it (dicts and lists walked)."""
        if isinstance(obj, str):
            return self.text(obj)
        if isinstance(obj, dict):
            return {k: self.value(v) for k, v in obj.items()}
        if isinstance(obj, list | tuple):
            return type(obj)(self.value(v) for v in obj)
        if isinstance(obj, int | float) and not isinstance(obj, bool):  # an int ssn passed on
            digits = str(obj)
            masked = self.text(digits)
            return masked if masked != digits else obj
        return obj


def _leaves(value: Any) -> list[str]:
    """The text of every scalar in ``value`` (a masked key's whole value, however nested)."""
    if isinstance(value, _SCALARS):  # the usual case, made cheap
        text = _text_of(value)
        return [] if text is None else [text]
    found, todo, visited = [], [value], set()
    while todo:
        item = todo.pop()
        if not isinstance(item, str | int | float):
            if id(item) in visited:
                continue
            visited.add(id(item))
        if isinstance(item, Mapping):
            todo.extend(item.values())
        elif isinstance(item, list | tuple | set | frozenset):
            todo.extend(item)
        elif (text := _text_of(item)) is not None:
            found.append(text)
    return found


def _match(s: str, i: int, sizes: tuple[int, ...], found: Mapping[str, str]) -> str | None:
    """The longest learned form at ``s[i:]`` that stands whole there, or None."""
    for size in sizes:
        form = s[i : i + size]
        if len(form) == size and form in found and _whole(s, i, i + size):
            return form
    return None


def _whole(s: str, start: int, stop: int) -> bool:
    """No letter or digit continues ``s[start:stop]`` on a side where it ends with one."""
    if start > 0 and s[start].isalnum() and s[start - 1].isalnum():
        return False
    return not (stop < len(s) and s[stop - 1].isalnum() and s[stop].isalnum())

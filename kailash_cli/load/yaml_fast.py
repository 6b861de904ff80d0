"""The data of a plain block-style YAML file, read line by line without ruamel.yaml.

Most workflow files are block mappings and sequences of simple keys, plain words and
quoted strings. ruamel.yaml composes a node tree for them (a Python object, a resolver
call and two marks per scalar) before anything can be built: on a 10,000-node workflow
that was a fifth of a whole run. :func:`read_plain` reads such a file in one pass over its
lines; plain scalars are typed by the same resolver and constructor ruamel.yaml uses.

It only answers when it is sure: any line outside that small grammar (flow collections
other than ``{}`` and ``[]``, block scalars, anchors, tags, escapes, multi-line scalars,
tabs, two spaces inside a plain word, a duplicate key, ...) makes it return None, and
ruamel.yaml reads the file as before, with its errors and positions. Positions of a file
read here are found in ruamel.yaml's tree, composed only when a finding asks for one.
"""

from __future__ import annotations

import re
from typing import Any

from ruamel.yaml.nodes import ScalarNode

from kailash_cli.load.yaml_limits import MAX_DEPTH
from kailash_cli.load.yaml_tree import PLAIN_STR, STRING_TAGS

#: what a file may hold to be read here: no tab, carriage return, control character, BOM,
#: YAML 1.1 line break (NEL, LS, PS), surrogate or character outside the BMP
_UNSAFE = re.compile("[^\n\x20-\x7e\xa0-\u2027\u202a-\ud7ff\ue000-\ufefe\uff00-\ufffd]")
_KEY = "[A-Za-z_][A-Za-z0-9_-]{0,127}"
#: a plain scalar of words: no indicator first, no ``: `` or `` #`` inside, none at the end
_PLAIN = r"[A-Za-z0-9_.~/(](?:[A-Za-z0-9_.~/()+=-]|:(?=[A-Za-z0-9_./])| (?=[A-Za-z0-9_.~/()+=-]))*"
_VALUE = rf"""(?:"(?P<dq>[^"\\]*)"|'(?P<sq>[^']*)'|(?P<plain>{_PLAIN})|(?P<flow>\{{\}}|\[\]))"""
#: ``key:``, ``key: value``, ``- value`` or a comment, after the indentation; a comment may end it
#: every run of spaces possessive (``*+``): a line that does not match fails in linear time
#: (with backtracking, 100,000 spaces before a stray character took 20 s)
_LINE = re.compile(
    rf"(?P<indent> *+)(?:(?:(?P<key>{_KEY}):|(?P<dash>-)(?= ))(?: ++{_VALUE})?|#.*)?(?: ++#.*)? *+"
)


_UNSEEN = ()


class _NotPlain(Exception):
    """The file is outside what this module reads."""


def read_plain(text: str, constructor: Any, resolve: Any) -> dict[str, Any] | None:
    """The data of ``text`` when it is a block mapping this module reads, else None.
    ``resolve`` types a plain scalar (ruamel's resolver), ``constructor`` builds the
    values that are not text (numbers, booleans, nulls)."""
    if not text or _UNSAFE.search(text) is not None:
        return None
    try:
        return _Reader(constructor, resolve).read(text)
    except _NotPlain:
        return None


class _Reader:
    def __init__(self, constructor: Any, resolve: Any) -> None:
        self.constructor = constructor
        self.resolve = resolve
        self.tags: dict[str, Any] = {}  # the tag of each plain scalar, resolved once
        # open collections, innermost last: (indent, the collection)
        self.stack: list[tuple[int, Any]] = []
        self.pending: tuple[dict[str, Any], str, int] | None = None  # ``key:`` waiting for its value

    def read(self, text: str) -> dict[str, Any]:
        root: dict[str, Any] = {}
        match, tags = _LINE.fullmatch, self.tags
        seen: dict[str, tuple[Any, ...] | None] = {}  # each distinct line's parts (a large file repeats many)
        top: Any = None  # the innermost collection, and its indentation
        at = -1
        for line in text.split("\n"):
            parts = seen.get(line, _UNSEEN)
            if parts is _UNSEEN:
                found = match(line)
                if found is None:
                    raise _NotPlain
                spaces, *rest = found.groups()
                blank = rest[0] is None and rest[1] is None  # blank, or a comment
                parts = seen[line] = None if blank else (len(spaces), *rest)
            if parts is None:
                continue
            indent, key, dash, dq, sq, plain, flow = parts
            if top is None:
                if key is None or indent:
                    raise _NotPlain  # the top level must be a mapping
                self.stack.append((0, root))
                top, at = root, 0
            elif self.pending is not None or indent != at or (key is None) is (top.__class__ is dict):
                top = self._container(indent, key is not None)
                at = self.stack[-1][0]
            if dq is not None or sq is not None:
                value: Any = dq if sq is None else sq
            elif plain is not None:
                tag = tags.get(plain)
                if tag is None:
                    tag = tags[plain] = self.resolve(plain)
                value = plain if tag is PLAIN_STR else self._typed(plain, tag)
            elif flow is not None:
                if len(self.stack) >= MAX_DEPTH:
                    raise _NotPlain  # one level more than the limit: ruamel.yaml's check says so
                value = {} if flow == "{}" else []
            elif key is None:
                raise _NotPlain  # ``-`` alone: a nested collection in a sequence
            else:
                value = None
                self.pending = (top, key, indent)
            if key is None:
                top.append(value)
            else:
                tag = tags.get(key)
                if tag is None:
                    tag = tags[key] = self.resolve(key)
                if tag is not PLAIN_STR or key in top:
                    raise _NotPlain  # a key not text is turned into text there, a duplicate reported
                top[key] = value
        if top is None:
            raise _NotPlain  # nothing but comments: ruamel.yaml says what that is
        return root

    def _container(self, indent: int, mapping: bool) -> Any:
        """The collection a line at ``indent`` belongs to (``mapping``: a ``key:`` line)."""
        stack, pending = self.stack, self.pending
        self.pending = None
        if pending is not None:
            parent, key, at = pending
            if indent > at or (indent == at and not mapping):  # the pending key's value
                if len(stack) >= MAX_DEPTH:
                    raise _NotPlain
                child: Any = {} if mapping else []
                parent[key] = child
                stack.append((indent, child))
                return child
        while stack and stack[-1][0] > indent:
            stack.pop()
        if stack and stack[-1][0] == indent and mapping and isinstance(stack[-1][1], list):
            stack.pop()  # a sequence written at its key's indentation ends at the next key
        if not stack or stack[-1][0] != indent or isinstance(stack[-1][1], dict) != mapping:
            raise _NotPlain  # e.g. ``- item`` where a key is expected
        return stack[-1][1]

    def _typed(self, plain: str, tag: Any) -> Any:
        """A plain scalar that is not text: what ruamel.yaml's constructor makes of it."""
        if str(tag) in STRING_TAGS:
            return plain  # timestamps stay text
        try:
            return self.constructor.construct_object(ScalarNode(tag, plain), deep=True)
        except Exception as e:  # ruamel.yaml reports it, with its position
            raise _NotPlain from e

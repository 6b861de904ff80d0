"""How deep a YAML text nests, read from the parser's events before anything composes it.

Composing a document nested thousands deep, and every recursive walk of it afterwards,
exhausts the stack (ruamel's C composer takes the process down at about 100,000 levels), so
the checks refuse such a file as KD707 instead of reading it.
"""

from __future__ import annotations

from ruamel.yaml import YAML
from ruamel.yaml.error import YAMLError
from ruamel.yaml.events import CollectionEndEvent, CollectionStartEvent

#: far deeper than any manifest, compose file or workflow written by hand (they stay under 30)
MAX_DEPTH = 100
#: every level opens with one of these: a flow bracket, a block entry or a key
_OPENERS = "[{-:?"


def too_deep(text: str) -> tuple[int, int] | None:
    """Where ``text`` first nests deeper than ``MAX_DEPTH`` (line, column), or None."""
    if sum(text.count(c) for c in _OPENERS) <= MAX_DEPTH:
        return None  # fast path: too few openers to nest that deep
    depth = 0
    try:
        for event in YAML(typ="safe").parse(text):
            if isinstance(event, CollectionStartEvent):
                depth += 1
                if depth > MAX_DEPTH:
                    return event.start_mark.line + 1, event.start_mark.column + 1
            elif isinstance(event, CollectionEndEvent):
                depth -= 1
    except YAMLError:
        return None  # not YAML at all: whoever composes it reports why
    return None

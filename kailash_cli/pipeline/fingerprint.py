"""Node fingerprints: what a node is (type, config, condition, where its inputs come from),
as a short hash a resumed run compares with the one its first run recorded.

The text hashed must stay byte for byte what ``json.dumps(shape, sort_keys=True,
default=str)`` makes, or every older run would look changed. Most nodes of a large
workflow have no condition, ``depends_on`` or fallback and a flat config that many of them
share: their text is assembled from pieces (the config's text made once), which is what
the encoder writes for them.
"""

from __future__ import annotations

import hashlib
import json
from json.encoder import encode_basestring_ascii
from typing import Any

from kailash_cli.compile.compiler import CompiledGraph, CompiledNode

#: json.dumps(shape, sort_keys=True, default=str), one encoder for every node
_SHAPE_JSON = json.JSONEncoder(sort_keys=True, default=str)
#: the text of flat configs, by content (text, whole numbers, booleans and nulls told apart)
_CONFIG_TEXT: dict[tuple[Any, ...], str] = {}
_CONFIG_TEXT_MAX = 4096
_FLAT = frozenset({str, int, bool, type(None)})
_TEXT = frozenset({str})


def node_hashes(compiled: CompiledGraph) -> dict[str, str]:
    """A fingerprint of what each node is: type, config, condition and where its inputs come from."""
    return {node_id: _hash(node) for node_id, node in compiled.nodes.items()}


def _hash(node: CompiledNode) -> str:
    spec = node.spec
    labels = [edge.label for edge in node.inputs]
    if len(labels) > 1:
        labels.sort()
    text = None
    if spec.when is None and not spec.depends_on and spec.fallback is None and type(spec.type) is str:
        text = _plain_text(spec.type, spec.config, labels)
    if text is None:
        shape = {
            "type": spec.type,
            "config": spec.config,
            "when": spec.when,
            "inputs": labels,
            "depends_on": sorted(spec.depends_on) if spec.depends_on else [],
            "fallback": spec.fallback,
        }
        text = _SHAPE_JSON.encode(shape)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def _plain_text(type_name: str, config: Any, labels: list[str]) -> str | None:
    """The encoder's text of a node without condition, ``depends_on`` or fallback whose
    config is flat; else None."""
    if type(config) is not dict:
        return None
    kinds = tuple(map(type, config.values()))
    if not _FLAT.issuperset(kinds) or not _TEXT.issuperset(map(type, config)):
        return None
    key = (tuple(config.items()), kinds)
    found = _CONFIG_TEXT.get(key)
    if found is None:
        found = _SHAPE_JSON.encode(config)
        if len(_CONFIG_TEXT) >= _CONFIG_TEXT_MAX:
            _CONFIG_TEXT.clear()
        _CONFIG_TEXT[key] = found
    inputs = ", ".join([encode_basestring_ascii(label) for label in labels])
    return (
        f'{{"config": {found}, "depends_on": [], "fallback": null, "inputs": [{inputs}], '
        f'"type": {encode_basestring_ascii(type_name)}, "when": null}}'
    )

"""Node fingerprints stay the bytes older runs recorded: a resume compares them."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from helpers import write

from kailash_cli.compile.compiler import CompiledGraph, compile
from kailash_cli.compile.validation import load_workflow
from kailash_cli.pipeline.fingerprint import node_hashes

WORKFLOW = """\
name: shapes
nodes:
  plain: {type: PythonCodeNode, config: {code: "result = 1"}}
  twin: {type: PythonCodeNode, config: {code: "result = 1"}}
  numbers: {type: PythonCodeNode, config: {code: "result = a", timeout: 5}}
  flags: {type: PythonCodeNode, config: {code: "result = 'é\\\\\\"\\t'", timeout: 5.5}}
  nested: {type: PythonCodeNode, config: {code: "result = b", params: {b: [1, true, null]}}}
  when: {type: PythonCodeNode, config: {code: "result = 2"}, when: "${params.go}"}
  after: {type: PythonCodeNode, config: {code: "result = 3"}, depends_on: [when, plain]}
  caught: {type: PythonCodeNode, config: {code: "result = 4"}, fallback: spare}
  spare: {type: PythonCodeNode, config: {code: "result = 6"}}
  many: {type: PythonCodeNode, config: {code: "result = a + b + c"}}
  empty: {type: PythonCodeNode, config: {code: "result = 5", tag: ""}}
params:
  go: {type: boolean, default: true}
connections:
  - "plain.result -> many.c"
  - "twin.result -> many.a"
  - "numbers.result -> many.b"
  - "plain.result -> numbers.a"
  - "numbers.result -> nested.b"
"""


def _reference(compiled: CompiledGraph) -> dict[str, str]:
    """The fingerprint as the first runs that recorded one made it."""
    hashes = {}
    for node_id, node in compiled.nodes.items():
        spec = node.spec
        shape = {
            "type": spec.type,
            "config": spec.config,
            "when": spec.when,
            "inputs": sorted(edge.label for edge in node.inputs),
            "depends_on": sorted(spec.depends_on),
            "fallback": spec.fallback,
        }
        text = json.dumps(shape, sort_keys=True, default=str)
        hashes[node_id] = hashlib.sha256(text.encode()).hexdigest()[:16]
    return hashes


def test_fingerprints_are_the_bytes_older_runs_recorded(tmp_path: Path) -> None:
    workflow, _ = load_workflow(write(tmp_path / "wf.yaml", WORKFLOW))
    compiled = compile(workflow)

    first, again = node_hashes(compiled), node_hashes(compiled)  # the second from the config texts kept

    assert first == again == _reference(compiled)
    assert first["plain"] == first["twin"]
    assert len(set(first.values())) == len(first) - 1

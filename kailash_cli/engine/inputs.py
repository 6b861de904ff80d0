"""What a node is called with: its config, resolved expressions and the inputs that arrived.

Decides skips too: an input from a node that produced nothing skips the node (MergeNode
runs with whichever inputs arrived), and so does ``when`` being false.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import cache
from typing import Any

from kailash_cli.compile.compiler import CompiledGraph, CompiledNode
from kailash_cli.errors import ExpressionError
from kailash_cli.model.evaluation import Scope, render
from kailash_cli.model.expressions import Template
from kailash_cli.model.result import FAILED, NodeResult
from kailash_cli.model.stream import Stream
from kailash_cli.model.workflow import Edge
from kailash_cli.nodes.base import Outputs
from kailash_cli.nodes.registry import NODE_TYPES
from kailash_cli.schema.fastcheck import compile_schema
from kailash_cli.schema.messages import describe_type


class Skip(Exception):
    """The node does not run; the message says why."""


class Fail(Exception):
    """The node fails before it is called (bad input); the message says why."""


@cache
def _params_check(type_name: str) -> Any:
    """The compiled yes/no check of a node type's params (None: jsonschema decides)."""
    return compile_schema(NODE_TYPES[type_name].schema)


class InputResolver:
    def __init__(
        self,
        compiled: CompiledGraph,
        results: dict[str, NodeResult],
        outputs: dict[str, Outputs],
        scope: Scope,
    ) -> None:
        self.compiled = compiled
        self.results = results
        self.outputs = outputs
        self.scope = scope

    def resolve(self, node: CompiledNode) -> dict[str, Any]:
        """The params of ``node``; raises Skip or Fail (or ExpressionError)."""
        self._check_dependencies(node)
        if node.when is not None and not self._when(node.when):
            raise Skip("when is false")
        params = self._own_params(node) if node.foreach is None else {}  # items: engine/foreach.py
        arrived = 0
        for edge in node.inputs:
            if self._arrive(node, edge, params):
                arrived += 1
        if node.node_type.partial_inputs and node.inputs and not arrived:
            raise Skip("no input arrived")
        if node.foreach is None:
            check_params(node, params)
        return params

    def fallback(
        self, fallback: CompiledNode, primary: CompiledNode, primary_params: Mapping[str, Any]
    ) -> dict[str, Any]:
        """A fallback's params: its own config, plus the inputs that reached the primary."""
        params = self._own_params(fallback)
        for edge in primary.inputs:
            if edge.param in primary_params:
                params[edge.param] = primary_params[edge.param]
        check_params(fallback, params)
        return params

    def _check_dependencies(self, node: CompiledNode) -> None:
        for dep in node.order_deps:
            failed = self.results[dep].status == FAILED and dep not in self.outputs
            if node.on_failure and not self.compiled.nodes[dep].on_failure:
                continue  # a handler runs because nodes failed: depends_on only orders it
            if failed and not self.compiled.nodes[dep].spec.continue_on_error:
                raise Skip(f"depends on '{dep}', which failed")
        missing = [d for d in node.data_deps if d not in self.outputs]
        if missing and (not node.node_type.partial_inputs or len(missing) == len(node.data_deps)):
            dep = sorted(missing)[0]
            raise Skip(f"input from '{dep}' did not arrive ({self.results[dep].status})")

    def _when(self, when: Template | str | bool) -> bool:
        if isinstance(when, Template):
            value = render(when, self.scope)
            if not isinstance(value, bool):  # the text "false" is not false: say so, never guess
                raise ExpressionError(
                    f"when gave {value!r:.60}, not true or false; compare it: ${{x == 'yes'}}"
                )
            return value
        return bool(when) and when not in ("false", "False", "0", "")

    def _own_params(self, node: CompiledNode) -> dict[str, Any]:
        params = dict(node.defaults)
        params.update(node.config)
        if node.resolve:
            params.update(node.resolve(self.scope))
        return params

    def _arrive(self, node: CompiledNode, edge: Edge, params: dict[str, Any]) -> bool:
        source = self.outputs.get(edge.source)
        if source is None:
            return False
        key = edge.output[0]
        if key not in source:
            source_node = self.compiled.nodes[edge.source]
            declared = source_node.node_type.outputs(source_node.spec.config)
            if declared is not None and key in declared:
                if node.node_type.partial_inputs:
                    return False
                raise Skip(f"'{edge.source}.{key}' was not produced")
            raise Fail(
                f"input '{edge.param}': node '{edge.source}' produced no output "
                f"'{key}' (it produced: {', '.join(sorted(source)) or 'nothing'})"
            )
        params[edge.param] = _dig(source[key], edge)
        return True


def _dig(value: Any, edge: Edge) -> Any:
    for i, key in enumerate(edge.output[1:], start=1):
        if isinstance(value, Mapping) and key in value:
            value = value[key]
        elif isinstance(value, list) and key.lstrip("-").isdigit() and -len(value) <= int(key) < len(value):
            value = value[int(key)]
        else:
            path = ".".join(edge.output[: i + 1])
            raise Fail(
                f"input '{edge.param}': '{edge.source}.{path}' does not exist (got {describe_type(value)})"
            )
    return value


def check_params(node: CompiledNode, params: dict[str, Any]) -> None:
    """Resolved params against the node type's schema (types the YAML could not fix).

    A compiled yes/no check answers first; jsonschema is loaded only to word a refusal.
    A stream is taken only by a parameter that reads one (``stream_params``).
    """
    streams = [k for k, v in params.items() if isinstance(v, Stream)]
    if streams:
        params = _without_streams(node, params, streams)
    if not node.node_type.checks_params:
        return
    fast = _params_check(node.spec.type)
    if fast is not None and fast(params):
        return
    from jsonschema import Draft202012Validator

    for error in Draft202012Validator(node.node_type.schema).iter_errors(params):
        where = ".".join(str(p) for p in error.absolute_path) or "parameters"
        if error.validator == "type":
            raise Fail(
                f"parameter '{where}' must be {error.validator_value}, got {describe_type(error.instance)}"
            )
        raise Fail(f"{where}: {error.message}")


def _without_streams(node: CompiledNode, params: dict[str, Any], streams: list[str]) -> dict[str, Any]:
    """``params`` with each stream as an empty list (for the schema check); Fail where a
    parameter would need the whole value."""
    for key in streams:
        if key not in node.node_type.stream_params:
            raise Fail(stream_misuse(f"input '{key}'", params[key].source))
    return {k: [] if k in streams else v for k, v in params.items()}


def stream_misuse(what: str, source: str) -> str:
    return (
        f"{what} is the stream {source}, read chunk by chunk, but needs the whole value: "
        "go through it with foreach, write it with a writer, or drop chunk_size to read a list"
    )

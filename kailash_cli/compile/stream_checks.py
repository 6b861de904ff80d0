"""Findings about streams (KV250, KV251): a stream used where the whole value is needed.

A reader given ``chunk_size`` outputs a stream, and so does a ``foreach`` node whose
``foreach`` is exactly a stream (``${nodes.read.data}``): its ``result``. A stream is read
once, chunk by chunk, so it may only go to what consumes it that way: the ``foreach`` of
a node, a writer's ``data`` (``JSONWriterNode`` with ``format: jsonl``) and
``SQLDatabaseNode``'s ``many``. Anything else that would need the whole value (an
expression that computes with it, ``outputs:``, a ``PythonCodeNode`` input, a connection
reaching inside it) is KV250, with the ways out. ``chunk_size`` on a JSON reader reading
one JSON document (not JSON Lines) is KV251.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from kailash_cli.compile.reference_checks import expression_strings
from kailash_cli.load.yaml_io import Document, JsonPath
from kailash_cli.model.expressions import Expr, ExpressionError, Template, parse_template
from kailash_cli.model.result import Problem
from kailash_cli.model.workflow import Edge
from kailash_cli.nodes.registry import NODE_TYPES

_READERS = ("CSVReaderNode", "JSONReaderNode")
_FIX = "go through it with foreach, connect it to a writer or SQLDatabaseNode many:, or drop chunk_size"


def stream_problems(doc: Document, nodes: dict[str, Any], edges: list[Edge], outputs: Any) -> list[Problem]:
    streams = stream_outputs(nodes)
    problems = [
        p
        for node_id, node in nodes.items()
        if isinstance(node, dict) and node.get("type") == "JSONReaderNode"
        for p in _json_lines(doc, node_id, node)
    ]
    if not streams:
        return problems
    readers: dict[tuple[str, str], list[tuple[str, JsonPath]]] = {}
    for edge in edges:
        if (edge.source, edge.output[0]) in streams:
            readers.setdefault((edge.source, edge.output[0]), []).append(
                (edge.target, ("connections", edge.index))
            )
        if (edge.source, edge.output[0]) in streams and not _takes_stream(nodes, edge):
            what = _why_not(nodes, edge)
            problems.append(
                doc.problem(
                    "KV250",
                    f"connection '{edge.label}': '{edge.source}.{edge.output[0]}' is a stream, {what}",
                    ("connections", edge.index),
                    fix="add format: jsonl to the writer" if "format: jsonl" in what else _FIX,
                )
            )
    for path, expr, whole in _expressions(nodes, outputs):
        for ref in _stream_refs(expr, streams):
            if whole and _only_ref(expr) is not None and _may_take(nodes, path):
                source, output = ref.split(".", 1)
                readers.setdefault((source, output), []).append((str(path[1]), path))
                continue
            problems.append(
                doc.problem(
                    "KV250",
                    f"${{{expr.text}}} uses the stream '{ref}', which is read once, chunk by chunk, "
                    "and cannot be used as a whole value here",
                    path,
                    fix=_FIX,
                )
            )
    for (source, output), taken in readers.items():
        names = sorted({node for node, _ in taken})
        if len(names) > 1:
            problems.append(
                doc.problem(
                    "KV252",
                    f"the stream '{source}.{output}' is read by {len(names)} nodes ({', '.join(names)}); "
                    "a stream is read once",
                    taken[-1][1],
                    fix="let one node read it (a writer), or drop chunk_size to share a list",
                )
            )
    problems.extend(_other_outputs(doc, nodes, edges, streams))
    return problems


def _other_outputs(
    doc: Document, nodes: dict[str, Any], edges: list[Edge], streams: set[tuple[str, str]]
) -> list[Problem]:
    """A foreach over a stream has one output, ``result`` (a stream): not the per-item keys."""
    making = {node for node, output in streams if output == "result" and "foreach" in nodes.get(node, {})}
    found = []
    for edge in edges:
        if edge.source in making and edge.output[0] != "result":
            found.append(
                doc.problem(
                    "KV250",
                    f"connection '{edge.label}': '{edge.source}' goes through a stream, so its only "
                    f"output is result (a stream of the per-item results), not '{edge.output[0]}'",
                    ("connections", edge.index),
                    fix=f"connect {edge.source}.result, or drop chunk_size upstream to get lists",
                )
            )
    return found


def stream_outputs(nodes: dict[str, Any]) -> set[tuple[str, str]]:
    """The (node, output) pairs that are streams."""
    streams = {
        (node_id, "data")
        for node_id, node in nodes.items()
        if isinstance(node, dict)
        and node.get("type") in _READERS
        and isinstance(node.get("config"), dict)
        and "chunk_size" in node["config"]
    }
    changed = True
    while changed:  # foreach over a stream yields a stream, and so on down a chain
        changed = False
        for node_id, node in nodes.items():
            ref = _whole_ref(node["foreach"]) if isinstance(node, dict) and "foreach" in node else None
            if ref in streams and (node_id, "result") not in streams:
                streams.add((node_id, "result"))
                changed = True
    return streams


def _json_lines(doc: Document, node_id: str, node: dict[str, Any]) -> list[Problem]:
    config = node.get("config")
    if node.get("type") != "JSONReaderNode" or not isinstance(config, dict) or "chunk_size" not in config:
        return []
    path = config.get("file_path")
    if not isinstance(path, str) or "${" in path or "${" in str(config.get("format", "")):
        return []  # known at run time only: the reader says so then
    from kailash_cli.nodes.json_io import file_format  # a JSON node's module, loaded when one is checked

    if file_format(config) == "jsonl":
        return []
    return [
        doc.problem(
            "KV251",
            f"node '{node_id}': chunk_size streams JSON Lines only; this reads one JSON document, read whole",
            ("nodes", node_id, "config", "chunk_size"),
            key=True,
            fix="add format: jsonl (one JSON value a line), or remove chunk_size",
        )
    ]


def _takes_stream(nodes: dict[str, Any], edge: Edge) -> bool:
    target = nodes.get(edge.target)
    if not isinstance(target, dict):
        return False
    node_type = NODE_TYPES.get(target.get("type", ""))
    if node_type is None or len(edge.output) > 1 or edge.param not in node_type.stream_params:
        return False
    return node_type.name != "JSONWriterNode" or _writes_lines(target)


def _why_not(nodes: dict[str, Any], edge: Edge) -> str:
    if len(edge.output) > 1:
        return "read once, chunk by chunk: a connection cannot reach inside it"
    target = nodes.get(edge.target)
    if isinstance(target, dict) and target.get("type") == "JSONWriterNode" and edge.param == "data":
        return "written one value a line: JSONWriterNode needs format: jsonl for it"
    return f"read once, chunk by chunk, but '{edge.target}.{edge.param}' needs the whole value"


def _writes_lines(node: dict[str, Any]) -> bool:
    from kailash_cli.nodes.json_io import file_format

    config = node.get("config")
    return isinstance(config, dict) and "file_path" in config and file_format(config) == "jsonl"


def _may_take(nodes: dict[str, Any], path: JsonPath) -> bool:
    """Whether the value at ``path`` (exactly one reference) may be a stream: a node's
    ``foreach``, or a config value a node type reads as a stream."""
    if len(path) == 3 and path[0] == "nodes" and path[2] == "foreach":
        return True
    if len(path) != 4 or path[0] != "nodes" or path[2] != "config":
        return False
    node = nodes.get(str(path[1]))
    if not isinstance(node, dict):
        return False
    node_type = NODE_TYPES.get(node.get("type", ""))
    if node_type is None or path[3] not in node_type.stream_params or "foreach" in node:
        return False
    return node_type.name != "JSONWriterNode" or _writes_lines(node)


def _expressions(nodes: dict[str, Any], outputs: Any) -> Iterator[tuple[JsonPath, Expr, bool]]:
    """Each expression of the nodes and of ``outputs:`` (the strings the reference checks
    read): where it is, the expression, and whether it is the whole value there."""
    for path, text in expression_strings({"nodes": nodes, "outputs": outputs}):
        try:
            parsed = parse_template(text)
        except ExpressionError:  # KV301
            continue
        if isinstance(parsed, Template):
            for expr in parsed.exprs:
                yield path, expr, parsed.whole


def _stream_refs(expr: Expr, streams: set[tuple[str, str]]) -> Iterator[str]:
    for ref in expr.refs:
        if len(ref) >= 3 and ref[0] == "nodes" and (ref[1], ref[2]) in streams:
            yield ".".join(ref[1:3])


def _whole_ref(value: Any) -> tuple[str, str] | None:
    """(node, output) when ``value`` is exactly ``${nodes.X.Y}``."""
    if not isinstance(value, str):
        return None
    try:
        parsed = parse_template(value)
    except ExpressionError:
        return None
    if not isinstance(parsed, Template) or not parsed.whole or len(parsed.exprs) != 1:
        return None
    return _only_ref(parsed.exprs[0])


def _only_ref(expr: Expr) -> tuple[str, str] | None:
    """(node, output) when ``expr`` is only the reference ``nodes.X.Y``, not a computation
    with it (``len(...)``, a comparison)."""
    if len(expr.refs) != 1 or len(expr.refs[0]) != 3 or expr.refs[0][0] != "nodes":
        return None
    if expr.text.replace(" ", "") != ".".join(expr.refs[0]):
        return None
    return expr.refs[0][1], expr.refs[0][2]

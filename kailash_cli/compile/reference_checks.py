"""What the names in a workflow refer to: connection endpoints and ``${...}`` references.

Mixed into the checker of ``compile/validation.py``. A connection must read
``source.output -> target.param`` (KV208) between known nodes (KV201), an output the source
node has (KV203) and a parameter the target takes (KV204), connected once (KV209). Every
string that may hold expressions (node config, ``when``, ``permissions``, outputs) must
parse (KV301), and each name an expression reads must be one the workflow declares: a param
(KV302), a node and its output (KV303, KV203), a secret (KV306), an environment variable
listed under ``env:`` (KV307, a warning), a field of ``run`` or a known root (KV305).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from kailash_cli.compile.graph_checks import fallback_without, outputs_of
from kailash_cli.load.yaml_io import JsonPath
from kailash_cli.model.expressions import ExpressionError, Template, parse_template
from kailash_cli.model.workflow import Edge, NodeSpec, parse_connection
from kailash_cli.nodes.registry import NODE_TYPES
from kailash_cli.schema.messages import did_you_mean

RUN_FIELDS = ("id", "started_at", "workflow", "status")
FAILURE_FIELDS = ("node", "error", "nodes")


class ReferenceChecks:
    """The checks of connections and expressions; ``_Checker`` sets the state they read
    (the raw document's nodes and params, the node specs built so far) and reports."""

    data: dict[str, Any]
    nodes: dict[str, Any]
    params: dict[str, Any]
    specs: dict[str, NodeSpec]
    edges: list[Edge]
    connected: dict[str, dict[str, int]]

    if TYPE_CHECKING:  # defined by _Checker

        def add(
            self,
            id_: str,
            message: str,
            path: JsonPath,
            fix: str | None = None,
            *,
            key: bool = False,
            severity: str = "error",
        ) -> None: ...

    def _connections(self) -> None:
        raw = self.data.get("connections")
        for index, conn in enumerate(raw if isinstance(raw, list) else []):
            where: JsonPath = ("connections", index)
            parsed = parse_connection(conn)
            if parsed is None:
                if isinstance(conn, str) or (
                    isinstance(conn, dict)
                    and isinstance(conn.get("from"), str)
                    and isinstance(conn.get("to"), str)
                ):
                    self.add(
                        "KV208",
                        f"connection {index + 1} must read 'source.output -> target.param'",
                        where,
                        "write 'read.data -> report.data' or {from: read.data, to: report.data}",
                    )
                continue
            (source, output), (target, param) = parsed
            ok_source = source in self.nodes or self._unknown(
                "source", source, f"{source}.{'.'.join(output)}", where
            )
            ok_target = target in self.nodes or self._unknown("target", target, f"{target}.{param}", where)
            if ok_source:
                self._check_output(source, output[0], f"connection source '{source}.{output[0]}'", where)
            if ok_target:
                self._check_param(target, param, where, index)
            self.edges.append(Edge(source, output, target, param, index))

    def _unknown(self, role: str, node_id: str, text: str, where: JsonPath) -> bool:
        """A connection's end names no node (False: it is not checked further)."""
        self.add(
            "KV201",
            f"connection {role} '{text}' names unknown node '{node_id}'{did_you_mean(node_id, self.nodes)}",
            where,
            "use one of the node ids under nodes:",
        )
        return False

    def _check_output(self, node_id: str, output: str, what: str, where: JsonPath) -> None:
        spec = self.specs.get(node_id)
        node_type = NODE_TYPES.get(spec.type) if spec else None
        if node_type is None or spec is None:
            return
        outputs = outputs_of(spec)
        if outputs is not None and output not in outputs:
            self.add(
                "KV203",
                f"{what}: {spec.type} has no output '{output}'{did_you_mean(output, outputs)}",
                where,
                f"use one of its outputs: {', '.join(outputs)}",
            )
            return
        self._check_fallback_outputs(node_id, output, what, where)

    def _check_fallback_outputs(self, node_id: str, output: str, what: str, where: JsonPath) -> None:
        """A fallback stands in with its own outputs: one without ``output`` would leave the
        reader skipped and the run "succeeded" (KV215)."""
        lacking = fallback_without(self.specs, node_id, output)
        if lacking is not None:
            fallback, type_, has = lacking
            message = f"{what}: '{node_id}' may be replaced by its fallback '{fallback}'"
            message += f", and {type_} has no output '{output}'"
            self.add("KV215", message, where, f"use a fallback with the same outputs (it has: {has})")

    def _check_param(self, node_id: str, param: str, where: JsonPath, index: int) -> None:
        spec = self.specs.get(node_id)
        node_type = NODE_TYPES.get(spec.type) if spec else None
        if node_type is None or spec is None:
            return
        if not node_type.accepts(param):
            self.add(
                "KV204",
                f"connection target '{node_id}.{param}': {spec.type} has no "
                f"parameter '{param}'{did_you_mean(param, node_type.parameters())}",
                where,
                f"`kailash nodes {spec.type}` lists its parameters",
            )
            return
        earlier = self.connected[node_id].setdefault(param, index)
        if earlier != index:
            self.add(
                "KV209",
                f"parameter '{node_id}.{param}' is connected twice (connections "
                f"{earlier + 1} and {index + 1})",
                where,
                "keep one of the two connections",
            )

    def _expressions(self) -> None:
        for path, text in expression_strings(self.data):
            try:
                parsed = parse_template(text)
            except ExpressionError as e:
                self.add("KV301", str(e), path, "fix the expression inside ${...}")
                continue
            if isinstance(parsed, Template):
                allow_user = len(path) >= 4 and path[2] == "permissions"
                for expr in parsed.exprs:
                    for ref in expr.refs:
                        self._reference(ref, expr.text, path, allow_user)

    def _reference(self, ref: tuple[str, ...], text: str, path: JsonPath, allow_user: bool) -> None:
        root = ref[0]
        if root in ("true", "false", "null", "True", "False", "None") or (allow_user and root == "user"):
            return
        if path[0] == "runtime" and root != "env" and not root.isupper():
            self.add(
                "KV305",
                f"${{{text}}}: a runtime field is set before the run starts, from the environment only",
                path,
                "write ${env.NAME} or ${NAME}",
            )
            return
        if root == "params":
            if len(ref) > 1 and ref[1] not in self.params:
                self.add(
                    "KV302",
                    f"${{{text}}} names unknown param '{ref[1]}'{did_you_mean(ref[1], self.params)}",
                    path,
                    "declare it under params: or fix the name",
                )
        elif root == "nodes":
            self._node_reference(ref, text, path)
        elif root == "secrets":
            secrets = self.data.get("secrets")
            if not isinstance(secrets, dict):
                secrets = {}
            if len(ref) > 1 and ref[1] not in secrets:
                self.add(
                    "KV306",
                    f"${{{text}}} names undeclared secret '{ref[1]}'",
                    path,
                    "declare it under secrets:",
                )
        elif ref == ("env",):  # into outputs, the store, a request: name what is needed
            self.add(
                "KV308", f"${{{text}}} reads the whole environment", path, "name the variable: ${env.NAME}"
            )
        elif root == "env" or root.isupper():
            name = ref[1] if root == "env" and len(ref) > 1 else root
            declared = self.data.get("env")
            if not isinstance(declared, list | dict):
                declared = []
            if (root != "env" or len(ref) > 1) and name not in declared:
                self.add(
                    "KV307",
                    f"${{{text}}} reads environment variable {name}, which is not listed under env:",
                    path,
                    f"add {name} to env: so a missing value stops the run before it starts",
                    severity="warning",
                )
        elif root == "run":
            if len(ref) > 1 and ref[1] not in RUN_FIELDS:
                self.add(
                    "KV305",
                    f"${{{text}}}: run has no field '{ref[1]}'",
                    path,
                    f"use one of: {', '.join('run.' + f for f in RUN_FIELDS)}",
                )
        elif root == "failure":
            self._failure_reference(ref, text, path)
        elif root in ("item", "item_index"):
            self._item_reference(text, path)
        else:
            roots = ("params", "env", "secrets", "nodes", "run", "failure", "item")
            self.add(
                "KV305",
                f"${{{text}}} names unknown '{root}'{did_you_mean(root, roots)}",
                path,
                "start with params., env., secrets., nodes., run. or an UPPER_CASE environment variable",
            )

    def _failure_reference(self, ref: tuple[str, ...], text: str, path: JsonPath) -> None:
        handlers = self.data.get("on_failure")
        inside = len(path) > 1 and path[0] == "nodes" and isinstance(handlers, list) and path[1] in handlers
        if not inside:
            self.add(
                "KV222",
                f"${{{text}}}: failure is known only in the nodes listed under on_failure:",
                path,
                "list this node under on_failure:, or pass the value from an on_failure node",
            )
        elif len(ref) > 1 and ref[1] not in FAILURE_FIELDS:
            self.add(
                "KV305",
                f"${{{text}}}: failure has no field '{ref[1]}'",
                path,
                f"use one of: {', '.join('failure.' + f for f in FAILURE_FIELDS)}",
            )

    def _item_reference(self, text: str, path: JsonPath) -> None:
        node = self.nodes.get(str(path[1])) if len(path) > 2 and path[0] == "nodes" else None
        if not isinstance(node, dict) or "foreach" not in node or path[2] != "config":
            self.add(
                "KV242",
                f"${{{text}}}: item is known only in the config of a node with foreach:",
                path,
                "add foreach: to this node, or move the expression into the config of a foreach node",
            )

    def _node_reference(self, ref: tuple[str, ...], text: str, path: JsonPath) -> None:
        if len(ref) < 2:
            return
        if ref[1] not in self.nodes:
            self.add(
                "KV303",
                f"${{{text}}} names unknown node '{ref[1]}'{did_you_mean(ref[1], self.nodes)}",
                path,
                "use a node id under nodes:",
            )
            return
        if len(ref) > 2:
            self._check_output(ref[1], ref[2], f"${{{text}}}", path)


def expression_strings(data: dict[str, Any]) -> Iterator[tuple[JsonPath, str]]:
    """Every string that may hold expressions, with where it is."""
    nodes = data.get("nodes")
    for node_id, node in nodes.items() if isinstance(nodes, dict) else ():
        if not isinstance(node, dict):
            continue
        for key in ("config", "when", "permissions", "foreach"):
            if key not in node:
                continue
            value = node[key]
            if key == "config" and isinstance(value, dict) and isinstance(node.get("type"), str):
                node_type = NODE_TYPES.get(node["type"])
                value = value if node_type is None else node_type.templated(value)
            if isinstance(value, str | dict | list):
                yield from _walk(value, ("nodes", node_id, key))
    if "outputs" in data:
        yield from _walk(data["outputs"], ("outputs",))
    if isinstance(data.get("runtime"), dict):
        yield from _walk(data["runtime"], ("runtime",))


def _walk(value: Any, path: JsonPath) -> Iterator[tuple[JsonPath, str]]:
    if isinstance(value, str):
        if "${" in value:
            yield path, value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from _walk(item, (*path, key))
    elif isinstance(value, list):
        for i, item in enumerate(value):
            yield from _walk(item, (*path, i))

"""Schema plus semantic checks of a workflow file: every problem at once, each located.

The checks read the raw document defensively (it may be schema-invalid) so that one
broken node does not hide the problems of the others. The model is built only from a
document without errors.
"""

from __future__ import annotations

import builtins
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from kailash_cli.compile.graph import build
from kailash_cli.compile.graph_checks import graph_problems
from kailash_cli.errors import WorkflowValidationError
from kailash_cli.load.gcpause import gc_paused
from kailash_cli.load.params import check_declarations
from kailash_cli.load.yaml_io import Document, JsonPath, load
from kailash_cli.model.expressions import ExpressionError, Template, parse_template
from kailash_cli.model.result import Problem, has_errors
from kailash_cli.model.workflow import Edge, NodeSpec, Workflow, node_spec, parse_connection
from kailash_cli.nodes.registry import NODE_TYPES
from kailash_cli.schema import schemas
from kailash_cli.schema.schemas import did_you_mean

RUN_FIELDS = ("id", "started_at", "workflow")
BUILTIN_EXCEPTIONS = frozenset(
    name
    for name, value in vars(builtins).items()
    if isinstance(value, type) and issubclass(value, BaseException)
)


class _Checker:
    def __init__(self, doc: Document, data: dict[str, Any]) -> None:
        self.doc = doc
        self.data = data
        self.problems: list[Problem] = []
        raw_nodes = data.get("nodes")
        self.nodes: dict[str, Any] = raw_nodes if isinstance(raw_nodes, dict) else {}
        raw_params = data.get("params")
        self.params: dict[str, Any] = raw_params if isinstance(raw_params, dict) else {}
        self.specs: dict[str, NodeSpec] = {}
        self.edges: list[Edge] = []
        self.connected: dict[str, dict[str, int]] = {node_id: {} for node_id in self.nodes}

    def add(
        self,
        id_: str,
        message: str,
        path: JsonPath,
        fix: str | None = None,
        *,
        key: bool = False,
        severity: str = "error",
    ) -> None:
        self.problems.append(self.doc.problem(id_, message, path, fix=fix, key=key, severity=severity))

    def run(self) -> list[Problem]:
        self.problems.extend(check_declarations(self.doc, _typed_params(self.params)))
        for node_id, node in self.nodes.items():
            if isinstance(node, dict):
                self._node(node_id, node)
        self._connections()
        self._required_params()
        self._expressions()
        deps = build("", self.nodes, self.edges)
        self.problems.extend(graph_problems(self.doc, self.nodes, deps))
        return self.problems

    def _node(self, node_id: str, node: dict[str, Any]) -> None:
        type_name = node.get("type")
        base: JsonPath = ("nodes", node_id)
        if isinstance(type_name, str) and type_name not in NODE_TYPES:
            self.add(
                "KV202",
                f"node '{node_id}': unknown node type '{type_name}'{did_you_mean(type_name, NODE_TYPES)}",
                (*base, "type"),
                "run `kailash nodes` to list the node types",
            )
        for field, id_ in (("depends_on", "KV205"), ("fallback", "KV206")):
            value = node.get(field)
            refs = [value] if isinstance(value, str) else value if isinstance(value, list) else []
            for i, ref in enumerate(refs):
                where = (*base, field) if isinstance(value, str) else (*base, field, i)
                if not isinstance(ref, str):
                    continue
                if ref not in self.nodes or ref == node_id:
                    what = "itself" if ref == node_id else f"unknown node '{ref}'"
                    self.add(
                        id_,
                        f"node '{node_id}': {field} names {what}"
                        f"{did_you_mean(ref, self.nodes) if ref != node_id else ''}",
                        where,
                        f"name another node id in {field}",
                    )
        self._retry_on(node_id, node.get("retry"), (*base, "retry", "retry_on"))
        node_type = NODE_TYPES.get(type_name) if isinstance(type_name, str) else None
        config = node.get("config", {})
        if node_type is None or not isinstance(config, dict):
            return
        self.problems.extend(
            schemas.validate(
                self.doc,
                config,
                node_type.schema_name,
                (*base, "config"),
                skip_required=True,
                expressions=True,
            )
        )
        try:
            spec = node_spec(node_id, node)
        except (TypeError, ValueError, KeyError):  # schema problems already reported
            return
        self.specs[node_id] = spec
        for finding in node_type.check(spec):
            self.add(finding.id, finding.message, (*base, *finding.path), finding.fix)

    def _retry_on(self, node_id: str, retry: Any, where: JsonPath) -> None:
        """A retry_on name that matches no error leaves the node silently without retries."""
        names = retry.get("retry_on") if isinstance(retry, dict) else None
        for i, name in enumerate(names if isinstance(names, list) else []):
            if isinstance(name, str) and "." not in name and name not in BUILTIN_EXCEPTIONS:
                self.add(
                    "KV213",
                    f"node '{node_id}': retry_on '{name}' is not a built-in "
                    f"exception class{did_you_mean(name, BUILTIN_EXCEPTIONS)}; unless the "
                    "code raises its own class of that name, the node is never retried",
                    (*where, i),
                    "fix the name; write your own exception class with its module (mypkg.errors.RateLimited)",
                    severity="warning",
                )

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
            ok_source = self._endpoint("source", source, f"{source}.{'.'.join(output)}", where)
            ok_target = self._endpoint("target", target, f"{target}.{param}", where)
            if ok_source:
                self._check_output(source, output[0], f"connection source '{source}.{output[0]}'", where)
            if ok_target:
                self._check_param(target, param, where, index)
            self.edges.append(Edge(source, output, target, param, index))

    def _endpoint(self, role: str, node_id: str, text: str, where: JsonPath) -> bool:
        if node_id in self.nodes:
            return True
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
        outputs = node_type.outputs(spec.config)
        if outputs is not None and output not in outputs:
            self.add(
                "KV203",
                f"{what}: {spec.type} has no output '{output}'{did_you_mean(output, outputs)}",
                where,
                f"use one of its outputs: {', '.join(outputs)}",
            )

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

    def _required_params(self) -> None:
        for node_id, spec in self.specs.items():
            node_type = NODE_TYPES[spec.type]
            for param in node_type.required():
                if param not in spec.config and param not in self.connected[node_id]:
                    self.add(
                        "KV101",
                        f"node '{node_id}' ({spec.type}) needs parameter '{param}'",
                        ("nodes", node_id, "config"),
                        f"set config.{param} or connect an output to {node_id}.{param}",
                    )

    def _expressions(self) -> None:
        for path, text in _strings(self.data):
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
        elif root == "env" or root.isupper():
            name = ref[1] if root == "env" and len(ref) > 1 else root
            declared = self.data.get("env")
            if not isinstance(declared, list):
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
        else:
            roots = ("params", "env", "secrets", "nodes", "run")
            self.add(
                "KV305",
                f"${{{text}}} names unknown '{root}'{did_you_mean(root, roots)}",
                path,
                "start with params., env., secrets., nodes., run. or an UPPER_CASE environment variable",
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


def _typed_params(params: dict[str, Any]) -> dict[str, Any]:
    """The declarations, without the default of those whose type is not valid: the bad type
    is already a KV104, and checking the default against it only repeats that error."""
    valid = schemas.load_schema("workflow")["$defs"]["param"]["properties"]["type"]["enum"]
    return {
        name: {k: v for k, v in spec.items() if k != "default"}
        if isinstance(spec, dict) and spec.get("type") not in valid
        else spec
        for name, spec in params.items()
    }


def _strings(data: dict[str, Any]) -> Iterator[tuple[JsonPath, str]]:
    """Every string that may hold expressions, with where it is."""
    nodes = data.get("nodes")
    for node_id, node in nodes.items() if isinstance(nodes, dict) else ():
        if not isinstance(node, dict):
            continue
        node_type = NODE_TYPES.get(node["type"]) if isinstance(node.get("type"), str) else None
        for key in ("config", "when", "permissions"):
            value = node.get(key)
            if key == "config" and node_type is not None and isinstance(value, dict):
                value = node_type.templated(value)
            if key in node:
                yield from _walk(value, ("nodes", node_id, key))
    if "outputs" in data:
        yield from _walk(data["outputs"], ("outputs",))


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


@gc_paused()
def check_document(doc: Document) -> list[Problem]:
    """Every problem of a loaded workflow document, sorted by position."""
    problems = list(doc.problems)
    if doc.data is None and not problems:
        problems.append(
            Problem(
                "KV005",
                "error",
                "the file is empty",
                doc.file,
                1,
                1,
                "write a workflow: name, nodes, connections",
            )
        )
    elif doc.data is not None and not isinstance(doc.data, dict):
        problems.append(
            doc.problem(
                "KV005",
                "the top level must be a mapping (name:, nodes:, ...)",
                (),
                fix="see `kailash schema workflow`",
            )
        )
    elif isinstance(doc.data, dict):
        problems.extend(schemas.validate(doc, doc.data, "workflow"))
        problems.extend(_Checker(doc, doc.data).run())
    return sorted(dict.fromkeys(problems), key=Problem.sort_key)  # dedupe, keep order


@gc_paused()
def load_workflow(path: Path) -> tuple[Workflow, list[Problem]]:
    """The workflow model, or WorkflowValidationError with every problem; warnings returned."""
    doc = load(path)
    problems = check_document(doc)
    if has_errors(problems):
        raise WorkflowValidationError(tuple(problems))
    return Workflow.from_dict(doc.data, path=path.resolve()), problems

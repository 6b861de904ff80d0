"""Schema plus semantic checks of a workflow file: every problem at once, each located.

The checks read the raw document defensively (it may be schema-invalid) so that one
broken node does not hide the problems of the others. The model is built only from a
document without errors. Connections and ``${...}`` references are checked by
``ReferenceChecks`` (``compile/reference_checks.py``), which the checker mixes in.
"""

from __future__ import annotations

import builtins
from pathlib import Path
from typing import Any

from kailash_cli.compile.failure_checks import handler_problems
from kailash_cli.compile.foreach_checks import foreach_problems
from kailash_cli.compile.graph import Dependencies, build
from kailash_cli.compile.graph_checks import graph_problems
from kailash_cli.compile.reference_checks import ReferenceChecks
from kailash_cli.compile.stream_checks import stream_problems
from kailash_cli.errors import ExpressionError, WorkflowValidationError
from kailash_cli.load.gcpause import gc_paused
from kailash_cli.load.params import check_declarations
from kailash_cli.load.yaml_io import Document, JsonPath, is_stdin, load
from kailash_cli.model.expressions import Template, parse_template
from kailash_cli.model.result import Problem, has_errors
from kailash_cli.model.workflow import Edge, NodeSpec, Workflow, node_spec
from kailash_cli.nodes.registry import NODE_TYPES
from kailash_cli.schema import schemas
from kailash_cli.schema.messages import did_you_mean

BUILTIN_EXCEPTIONS = frozenset(
    name
    for name, value in vars(builtins).items()
    if isinstance(value, type) and issubclass(value, BaseException)
)


class _Checker(ReferenceChecks):
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
        self.deps: Dependencies | None = None
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
        env = self.data.get("env")
        if isinstance(env, dict):
            self.problems.extend(check_declarations(self.doc, _typed_params(env), section="env"))
        for node_id, node in self.nodes.items():
            if isinstance(node, dict):
                self._node(node_id, node)
        self._connections()
        self._required_params()
        self._expressions()
        self.problems.extend(stream_problems(self.doc, self.nodes, self.edges, self.data.get("outputs")))
        name = self.data.get("name")
        self.deps = deps = build(name if isinstance(name, str) else "", self.nodes, self.edges)
        self.problems.extend(graph_problems(self.doc, self.nodes, deps))
        self.problems.extend(handler_problems(self.doc, self.data.get("on_failure"), self.nodes, deps))
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
            if field not in node:
                continue
            value = node[field]
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
        if "retry" in node:
            self._retry_on(node_id, node["retry"], (*base, "retry", "retry_on"))
        if "when" in node:
            self._when(node_id, node["when"], (*base, "when"))
        if "foreach" in node or "batch" in node or "rate_limit" in node:
            self.problems.extend(foreach_problems(self.doc, node_id, node))
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

    def _when(self, node_id: str, when: Any, where: JsonPath) -> None:
        """``when: "yes"`` or ``"false"`` is text, and text was true: only booleans and expressions."""
        if not isinstance(when, str):
            return
        try:
            parsed = parse_template(when)
        except ExpressionError:
            return  # reported with the other expressions
        if not (isinstance(parsed, Template) and parsed.whole):
            self.add(
                "KV214",
                f"node '{node_id}': when is the text '{when}', not true, false or one ${{...}} expression",
                where,
                "write true or false without quotes, or one ${...} expression",
            )

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


@gc_paused()
def check_document(doc: Document) -> list[Problem]:
    """Every problem of a loaded workflow document, sorted by position."""
    return _checked(doc)[0]


def _checked(doc: Document) -> tuple[list[Problem], _Checker | None]:
    """The problems, and the checker that found them: its node specs and connections are
    the model's (each connection parsed once)."""
    problems = list(doc.problems)
    checker = None
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
        checker = _Checker(doc, doc.data)
        problems.extend(checker.run())
    return sorted(dict.fromkeys(problems), key=Problem.sort_key), checker  # dedupe, keep order


@gc_paused()
def load_workflow(path: Path) -> tuple[Workflow, list[Problem]]:
    """The workflow model, or WorkflowValidationError with every problem; warnings returned."""
    doc = load(path)
    problems, checker = _checked(doc)
    if has_errors(problems):
        raise WorkflowValidationError(tuple(problems))
    assert checker is not None, "a document without errors is a mapping"
    where = None if is_stdin(path) else path.resolve()
    return (
        Workflow.from_dict(
            doc.data, where, specs=checker.specs, edges=checker.edges, dependencies=checker.deps
        ),
        problems,
    )

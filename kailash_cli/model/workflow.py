"""The workflow as frozen data. ``from_dict`` assumes schema-valid input."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

_ARROW = re.compile(r"^\s*(\S+)\s*->\s*(\S+)\s*$")


@dataclass(frozen=True, slots=True)
class Param:
    name: str
    type: str
    required: bool = False
    default: Any = None
    has_default: bool = False
    description: str = ""
    schema: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Edge:
    """``source.output[.key...] -> target.param``; ``index`` is its place in ``connections``."""

    source: str
    output: tuple[str, ...]
    target: str
    param: str
    index: int

    @property
    def label(self) -> str:
        return f"{self.source}.{'.'.join(self.output)} -> {self.target}.{self.param}"


@dataclass(frozen=True, slots=True)
class NodeSpec:
    id: str
    type: str
    config: dict[str, Any] = field(default_factory=dict)
    description: str = ""
    when: str | bool | None = None
    depends_on: tuple[str, ...] = ()
    timeout: float | None = None
    retry: dict[str, Any] | None = None
    circuit_breaker: dict[str, Any] | None = None
    fallback: str | None = None
    continue_on_error: bool = False
    permissions: dict[str, Any] | None = None
    foreach: str | None = None  # expression: the node runs once per item
    batch: dict[str, Any] | None = None  # with foreach: size, max_concurrency, rate_limit, on_item_error
    rate_limit: str | None = None  # calls per second or minute (50/s, 300/min)
    store_outputs: bool = True  # false: outputs stay out of the store (a resume runs it again)


@dataclass(frozen=True, slots=True)
class Workflow:
    name: str
    nodes: dict[str, NodeSpec]
    edges: tuple[Edge, ...] = ()
    description: str = ""
    params: dict[str, Param] = field(default_factory=dict)
    env: tuple[str, ...] = ()
    env_types: dict[str, Param] = field(default_factory=dict)  # the mapping form of env:
    secrets: dict[str, dict[str, str]] = field(default_factory=dict)
    runtime: dict[str, Any] = field(default_factory=dict)
    outputs: dict[str, Any] | None = None
    path: Path | None = None
    on_failure: tuple[str, ...] = ()  # nodes that run only when the run has failed
    # (nodes, edges, the compile.graph.Dependencies validation built from them): compile
    # reuses the graph while the workflow still holds those very nodes and edges
    dependencies: tuple[Any, Any, Any] | None = field(default=None, compare=False, repr=False)

    @property
    def base_dir(self) -> Path:
        return self.path.parent if self.path else Path.cwd()

    @classmethod
    def from_dict(
        cls,
        data: dict[str, Any],
        path: Path | None = None,
        *,
        specs: dict[str, NodeSpec] | None = None,
        edges: list[Edge] | None = None,
        dependencies: Any = None,
    ) -> Workflow:
        """The model of valid ``data``; ``specs``, ``edges`` and ``dependencies`` when
        validation made them already (each connection is then parsed once)."""
        if edges is None:
            edges = []
            for index, raw in enumerate(data.get("connections") or []):
                parsed = parse_connection(raw)
                if parsed is not None:
                    (source, output), (target, param) = parsed
                    edges.append(Edge(source, output, target, param, index))
        if specs is None or len(specs) != len(data["nodes"]):
            specs = {k: node_spec(k, v) for k, v in data["nodes"].items()}
        env = data.get("env") or ()
        edge_tuple = tuple(edges)
        return cls(
            name=data["name"],
            description=data.get("description", ""),
            params={k: _param(k, v) for k, v in (data.get("params") or {}).items()},
            env=tuple(data.get("env") or ()),
            env_types={k: _param(k, v) for k, v in env.items()} if isinstance(env, dict) else {},
            secrets=dict(data.get("secrets") or {}),
            runtime=dict(data.get("runtime") or {}),
            nodes=specs,
            edges=edge_tuple,
            outputs=data.get("outputs"),
            path=path,
            on_failure=tuple(data.get("on_failure") or ()),
            dependencies=None if dependencies is None else (specs, edge_tuple, dependencies),
        )


_TYPE_AND_CONFIG = frozenset({"type", "config"})


def parse_connection(raw: Any) -> tuple[tuple[str, tuple[str, ...]], tuple[str, str]] | None:
    """``(source, output path), (target, param)`` or None when the syntax is wrong."""
    if isinstance(raw, str):
        match = _ARROW.match(raw)
        if not match:
            return None
        src, dst = match.groups()
    elif isinstance(raw, dict) and isinstance(raw.get("from"), str) and isinstance(raw.get("to"), str):
        src, dst = raw["from"], raw["to"]
    else:
        return None
    src_parts, dst_parts = src.split("."), dst.split(".")
    if len(src_parts) < 2 or len(dst_parts) != 2 or not all(src_parts + dst_parts):
        return None
    return (src_parts[0], tuple(src_parts[1:])), (dst_parts[0], dst_parts[1])


def _param(name: str, spec: dict[str, Any]) -> Param:
    schema = {k: v for k, v in spec.items() if k not in ("required", "default", "description")}
    return Param(
        name=name,
        type=spec["type"],
        required=bool(spec.get("required", False)),
        default=spec.get("default"),
        has_default="default" in spec,
        description=spec.get("description", ""),
        schema=schema,
    )


def node_spec(node_id: str, spec: dict[str, Any]) -> NodeSpec:
    if spec.keys() <= _TYPE_AND_CONFIG:  # most nodes: every other field keeps its default
        return NodeSpec(id=node_id, type=spec["type"], config=dict(spec.get("config") or {}))
    depends = spec.get("depends_on") or ()
    return NodeSpec(
        id=node_id,
        type=spec["type"],
        config=dict(spec.get("config") or {}),
        description=spec.get("description", ""),
        when=spec.get("when"),
        depends_on=(depends,) if isinstance(depends, str) else tuple(depends),
        timeout=spec.get("timeout"),
        retry=spec.get("retry"),
        circuit_breaker=spec.get("circuit_breaker"),
        fallback=spec.get("fallback"),
        continue_on_error=bool(spec.get("continue_on_error", False)),
        permissions=spec.get("permissions"),
        foreach=spec.get("foreach"),
        batch=spec.get("batch"),
        rate_limit=spec.get("rate_limit"),
        store_outputs=spec.get("store_outputs", True) is not False,
    )

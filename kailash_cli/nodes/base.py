"""What a node type is, and the context the engine hands it.

A node type is a class with a registry name, a JSON Schema for its parameters, its
outputs, and ``run`` (blocking; the engine runs it on a worker thread) or ``arun``
(async; the engine runs it on its event loop). Simple types only fill in class
attributes and ``run``; everything else has a default here.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from kailash_cli.nodes.files import FileAccess
from kailash_cli.schema import schemas

if TYPE_CHECKING:
    import httpx

    from kailash_cli.db.settings import DatabaseSpec
    from kailash_cli.model.workflow import NodeSpec

Outputs = dict[str, Any]


@dataclass(frozen=True, slots=True)
class Finding:
    """A static problem in one node's config: ``path`` is relative to the node."""

    id: str
    message: str
    path: tuple[str | int, ...] = ("config",)
    fix: str | None = None


@dataclass
class NodeContext:
    """Everything a node may touch: its files, the environment, the shared HTTP client, the
    config's databases (``run_id`` picks the run's pools)."""

    node_id: str
    files: FileAccess
    environ: Mapping[str, str]
    prepared: Any = None
    http: Callable[[], httpx.AsyncClient] | None = None
    databases: Mapping[str, DatabaseSpec] = field(default_factory=dict)
    run_id: str | None = None


class NodeType:
    name: ClassVar[str]
    summary: ClassVar[str] = ""
    declared_outputs: ClassVar[tuple[str, ...]] = ()
    example: ClassVar[str] = ""
    partial_inputs: ClassVar[bool] = False  # runs with whichever inputs arrived (MergeNode)
    checks_params: ClassVar[bool] = True  # resolved params are checked against the schema
    literal_params: ClassVar[tuple[str, ...]] = ()  # taken as written: ${...} is not evaluated
    stream_params: ClassVar[tuple[str, ...]] = ()  # may be given a stream (consumed chunk by chunk)

    @cached_property  # asked several times a node while a workflow is checked and compiled
    def schema_name(self) -> str:
        return f"nodes/{self.name}"

    @cached_property
    def schema(self) -> dict[str, Any]:
        return schemas.load_schema(self.schema_name)

    def parameters(self) -> dict[str, dict[str, Any]]:
        return dict(self.schema.get("properties", {}))

    def required(self) -> tuple[str, ...]:
        return tuple(self.schema.get("required", ()))

    def accepts(self, param: str) -> bool:
        schema = self.schema
        if param in schema.get("properties", {}) or schema.get("additionalProperties") is True:
            return True
        return any(re.search(p, param) for p in schema.get("patternProperties", {}))

    def outputs(self, config: Mapping[str, Any]) -> tuple[str, ...] | None:
        """Output names for this config; None when any name may be produced."""
        return self.declared_outputs

    def templated(self, config: Mapping[str, Any]) -> dict[str, Any]:
        """The part of ``config`` in which ``${...}`` expressions are evaluated."""
        return {k: v for k, v in config.items() if k not in self.literal_params}

    def visible_outputs(self, outputs: Outputs) -> Outputs:
        """What a run shows of this node's outputs when the workflow declares none."""
        return outputs

    def check(self, spec: NodeSpec) -> list[Finding]:
        """Static checks beyond the schema (run by ``validate``)."""
        return []

    def prepare(self, spec: NodeSpec, base_dir: Path) -> Any:
        """Work done once before the run starts; raise KailashError to refuse the run."""
        return None

    def prepare_key(self, spec: NodeSpec) -> Any:
        """Nodes of one run whose key is equal (and not None) share what ``prepare`` made
        for the first of them: a function many nodes call is imported once a run."""
        return None

    def is_async(self, prepared: Any) -> bool:
        return type(self).arun is not NodeType.arun

    def run(self, params: dict[str, Any], ctx: NodeContext) -> Outputs:
        raise NotImplementedError(self.name)

    async def arun(self, params: dict[str, Any], ctx: NodeContext) -> Outputs:
        raise NotImplementedError(self.name)

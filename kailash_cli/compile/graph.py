"""The dependency graph of a workflow: which node waits for which, why, and in what order.

Built once, in pure Python, by :func:`build` from a workflow's nodes and connections, as
written (validation, which may see an invalid document) or as the model (the compiler).
Validation reads its cycles, the compiler its order and links, ``run --dry-run`` its
stages. A ``networkx.DiGraph`` is made from it only where one is wanted
(:meth:`Dependencies.to_networkx`: ``kailash graph``, ``CompiledGraph.graph``), so checking
a workflow never imports networkx.

Edges go from the node that must finish first to the node that waits for it. Their kinds:
``data`` (a connection), ``expr`` (a ``${nodes.X...}`` reference in the config or
``when``), ``order`` (``depends_on``) and ``fallback`` (to the node that runs in the
source's place; it orders nothing).
"""

from __future__ import annotations

import heapq
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING, Any

from kailash_cli.compile.cycles import acyclic, find_cycles
from kailash_cli.model.expressions import ExpressionError, Template, parse_template
from kailash_cli.model.workflow import Edge
from kailash_cli.nodes.registry import NODE_TYPES

if TYPE_CHECKING:
    import networkx as nx

DATA, EXPR, ORDER, FALLBACK = "data", "expr", "order", "fallback"
_ONLY_FALLBACK = frozenset({FALLBACK})


@dataclass(slots=True)
class Link:
    """All the reasons one node waits for another, in the order they were found."""

    kinds: set[str]
    labels: list[str]

    @property
    def orders(self) -> bool:
        """True when the target must wait for the source (any link but a bare fallback)."""
        return self.kinds != _ONLY_FALLBACK


class Dependencies:
    """The links between a workflow's nodes; node and link order is the order of the file."""

    def __init__(self, name: str, types: dict[str, str | None], fallbacks: set[str]) -> None:
        self.name = name
        self.types = types
        self.fallback_only = fallbacks
        self.links: dict[tuple[str, str], Link] = {}
        self.preds: dict[str, dict[str, Link]] = {node: {} for node in types}
        self.succs: dict[str, dict[str, Link]] = {node: {} for node in types}
        self.refs: dict[str, tuple[tuple[str, ...], ...]] = {}  # each node's node_refs, as built
        self._after: dict[str, tuple[str, ...]] = {}  # waited_by, once asked (checks, order, compiler)

    def add(self, source: str, target: str, kind: str, label: str) -> None:
        link = self.links.get((source, target))
        if self._after:
            self._after.clear()
        if link is None:
            link = self.links[source, target] = Link({kind}, [label])
            self.succs[source][target] = link
            self.preds[target][source] = link
        else:
            link.kinds.add(kind)
            link.labels.append(label)

    def waits_for(self, node: str) -> dict[str, Link]:
        """The nodes ``node`` runs after, with why."""
        return {source: link for source, link in self.preds[node].items() if link.orders}

    def waited_by(self, node: str) -> tuple[str, ...]:
        """The nodes that run after ``node``, in the order their links were found."""
        after = self._after.get(node)
        if after is None:
            after = self._after[node] = tuple(t for t, link in self.succs[node].items() if link.orders)
        return after

    def cycles(self) -> list[list[str]]:
        """One cycle per strongly connected component that has one (see :func:`find_cycles`)."""
        successors = {node: self.waited_by(node) for node in self.types}
        if acyclic(successors):  # the usual case, at a fraction of the cost of the search
            return []
        position = {node: i for i, node in enumerate(self.types)}
        return find_cycles(
            {node: sorted(targets, key=position.__getitem__) for node, targets in successors.items()}
        )

    def order(self) -> tuple[str, ...]:
        """A topological order that keeps the file's order among nodes free to go first."""
        position = {node: i for i, node in enumerate(self.types)}
        waiting = {node: sum(link.orders for link in self.preds[node].values()) for node in self.types}
        ready = [(position[node], node) for node, count in waiting.items() if count == 0]
        heapq.heapify(ready)
        order = []
        while ready:
            _, node = heapq.heappop(ready)
            order.append(node)
            for target in self.waited_by(node):
                waiting[target] -= 1
                if waiting[target] == 0:
                    heapq.heappush(ready, (position[target], target))
        if len(order) != len(self.types):
            raise AssertionError(f"cycle between nodes {self.cycles()}: validation lets none through")
        return tuple(order)

    def stages(self) -> dict[str, int]:
        """Stage of each node, from 1: a node runs one stage after the latest it waits for."""
        stage: dict[str, int] = {}
        for node in self.order():
            stage[node] = 1 + max((stage[source] for source in self.waits_for(node)), default=0)
        return stage

    def to_networkx(self) -> nx.DiGraph:
        """The graph as a ``networkx.DiGraph`` (built once): nodes carry ``type`` and
        ``fallback_only``, edges ``kinds`` and ``labels``."""
        return self._networkx

    @cached_property
    def _networkx(self) -> nx.DiGraph:
        import networkx as nx

        graph = nx.DiGraph(name=self.name)
        for node, type_ in self.types.items():
            graph.add_node(node, type=type_, fallback_only=node in self.fallback_only)
        for (source, target), link in self.links.items():
            graph.add_edge(source, target, kinds=set(link.kinds), labels=list(link.labels))
        return graph


def build(name: str, nodes: Mapping[str, Any], edges: Iterable[Edge]) -> Dependencies:
    """The dependencies among ``nodes`` (id -> the node as written, or its NodeSpec).

    Reads defensively: a reference to an unknown node, a node naming itself in
    ``depends_on`` or ``fallback`` and an expression that does not parse add no link
    (validation reports each of them on its own).
    """
    types = {}
    fallbacks = {}
    for node_id, node in nodes.items():
        get = _getter(node)
        type_ = get("type")
        types[node_id] = type_ if isinstance(type_, str) else None
        fallback = get("fallback")
        if isinstance(fallback, str) and fallback:
            fallbacks[node_id] = fallback
    deps = Dependencies(name, types, set(fallbacks.values()))
    for edge in edges:
        if edge.source in nodes and edge.target in nodes:
            deps.add(edge.source, edge.target, DATA, f"{'.'.join(edge.output)} -> {edge.param}")
    for node_id, node in nodes.items():
        found = deps.refs[node_id] = tuple(node_refs(node))
        refs = (ref[1] for ref in found if ref[0] == "nodes" and len(ref) > 1)
        for ref in dict.fromkeys(refs):
            if ref in nodes:
                deps.add(ref, node_id, EXPR, "${nodes." + ref + "}")
        for ref in _names(_getter(node)("depends_on")):
            if ref in nodes and ref != node_id:
                deps.add(ref, node_id, ORDER, "depends_on")
        fallback = fallbacks.get(node_id)
        if fallback is not None and fallback in nodes and fallback != node_id:
            deps.add(node_id, fallback, FALLBACK, "fallback")
    return deps


def node_refs(node: Any) -> Iterator[tuple[str, ...]]:
    """Every name chain the node's expressions read (``("nodes", "read", "data")``, ...):
    those in its config (less the parameters its type takes as written), ``when`` and ``foreach``."""
    get = _getter(node)
    config = get("config")
    texts = _strings(config)
    if texts and isinstance(config, dict):
        type_ = get("type")
        node_type = NODE_TYPES.get(type_) if isinstance(type_, str) else None
        if node_type is not None:
            texts = _strings(node_type.templated(config))
    for name in ("when", "foreach"):
        value = get(name)
        if value is not None:  # mostly absent
            texts = [*texts, *_strings(value)]
    for text in texts:
        try:
            parsed = parse_template(text)
        except ExpressionError:  # reported by validation (KV301)
            continue
        if isinstance(parsed, Template):
            for expr in parsed.exprs:
                yield from expr.refs


def _getter(node: Any) -> Callable[[str], Any]:
    """Reads a field of a node as written (a dict) or of its NodeSpec; None when missing."""
    if isinstance(node, dict):
        return node.get
    return lambda name: getattr(node, name, None)


def _names(value: Any) -> list[str]:
    """The node ids a ``depends_on`` names: one id or a list of them."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, list | tuple):
        return [item for item in value if isinstance(item, str)]
    return []


def _strings(value: Any) -> list[str]:
    """The strings in a nested value (mappings and lists, as loaded) that hold ``${``."""
    if isinstance(value, str):
        return [value] if "${" in value else []
    if isinstance(value, dict):
        value = value.values()
    elif not isinstance(value, list | tuple):
        return []
    found = []
    for item in value:
        if isinstance(item, str):
            if "${" in item:
                found.append(item)
        elif isinstance(item, dict | list | tuple):
            found.extend(_strings(item))
    return found

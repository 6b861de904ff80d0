"""Cycles in a dependency graph given as successors (node -> the nodes after it), in plain Python.

``acyclic`` answers the usual case at a fraction of the cost of the search; ``find_cycles``
names one cycle per strongly connected component that has one, as networkx found them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence


def acyclic(successors: Mapping[str, Sequence[str]]) -> bool:
    """Whether the graph has no cycle (Kahn's algorithm: every node can be ordered)."""
    waiting = dict.fromkeys(successors, 0)
    for targets in successors.values():
        for target in targets:
            waiting[target] += 1
    ready = [node for node, count in waiting.items() if count == 0]
    done = 0
    while ready:
        done += 1
        for target in successors[ready.pop()]:
            waiting[target] -= 1
            if waiting[target] == 0:
                ready.append(target)
    return done == len(successors)


def find_cycles(successors: Mapping[str, Sequence[str]]) -> list[list[str]]:
    """One cycle (in order) per strongly connected component that has one, sorted by the
    position of its first node in ``successors``. Each is the first cycle a depth-first
    search from the component's earliest node meets, following ``successors`` in order."""
    position = {node: i for i, node in enumerate(successors)}
    cycles = []
    for component in _components(successors):
        first = min(component, key=position.__getitem__)
        if len(component) == 1 and first not in successors[first]:
            continue
        cycles.append(_first_cycle(successors, component, first))
    return sorted(cycles, key=lambda cycle: position[cycle[0]])


def _components(successors: Mapping[str, Sequence[str]]) -> list[set[str]]:
    """Strongly connected components (Tarjan's algorithm, without recursion)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found = []
    for root in successors:
        if root in index:
            continue
        work = [(root, iter(successors[root]))]
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        while work:
            node, pending = work[-1]
            child = next(pending, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = len(index)
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(successors[child])))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = set()
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.add(member)
                    if member == node:
                        break
                found.append(component)
    return found


def _first_cycle(successors: Mapping[str, Sequence[str]], component: set[str], start: str) -> list[str]:
    """The cycle a depth-first search from ``start`` meets first. Inside a strongly connected
    component the search never backs up (every node there leads back to the path), so it
    is the walk along each node's first successor in the component until a node repeats."""
    path, seen = [start], {start: 0}
    while True:
        node = next(n for n in successors[path[-1]] if n in component)
        if node in seen:
            return path[seen[node] :]
        seen[node] = len(path)
        path.append(node)

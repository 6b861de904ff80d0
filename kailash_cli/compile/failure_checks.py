"""Findings about ``on_failure``: known node ids (KV220), kept off the success path (KV221).

An on_failure node runs only after the run has failed, so no other node may wait for it
(a connection, ``depends_on`` or ``${nodes...}`` from it to a node that is not itself an
on_failure node) and it may not stand in as another node's fallback. It may read the
outputs of nodes of the normal path: an input that did not arrive skips it, as anywhere.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from kailash_cli.compile.graph import Dependencies
from kailash_cli.load.yaml_io import Document
from kailash_cli.model.result import Problem
from kailash_cli.schema.messages import did_you_mean


def handler_problems(
    doc: Document, handlers: Any, nodes: Mapping[str, Any], deps: Dependencies
) -> list[Problem]:
    if not isinstance(handlers, list):
        return []
    named = [h for h in handlers if isinstance(h, str)]
    problems = []
    for index, node_id in enumerate(handlers):
        if not isinstance(node_id, str):
            continue
        where = ("on_failure", index)
        if node_id not in nodes:
            problems.append(
                doc.problem(
                    "KV220",
                    f"on_failure names unknown node '{node_id}'{did_you_mean(node_id, nodes)}",
                    where,
                    fix="name a node id under nodes:",
                )
            )
            continue
        waiting = [n for n in deps.waited_by(node_id) if n not in named]
        if waiting:
            problems.append(
                doc.problem(
                    "KV221",
                    f"on_failure node '{node_id}' runs only when the run has failed, but "
                    f"'{waiting[0]}' of the normal path waits for it",
                    where,
                    fix=f"remove the connection, depends_on or ${{nodes.{node_id}...}} from '{waiting[0]}'",
                )
            )
        if node_id in deps.fallback_only:
            problems.append(
                doc.problem(
                    "KV221",
                    f"on_failure node '{node_id}' is also another node's fallback",
                    where,
                    fix="use a separate node as the fallback",
                )
            )
    return problems

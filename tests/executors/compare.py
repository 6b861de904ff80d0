"""Run documents compared across executors."""

from __future__ import annotations

from typing import Any


def comparable(document: dict[str, Any]) -> dict[str, Any]:
    """A run document without what differs from run to run: ids, times, where calls ran, and
    the order in which foreach items failed (the order they finished in, on either executor)."""
    skip = {"run_id", "started_at", "duration_ms", "executor"}
    nodes = {
        node_id: {
            k: _sorted_errors(v) if k == "items" else v
            for k, v in node.items()
            if k not in ("duration_ms", "workers")
        }
        for node_id, node in document["nodes"].items()
    }
    return {**{k: v for k, v in document.items() if k not in skip}, "nodes": nodes}


def _sorted_errors(items: dict[str, Any]) -> dict[str, Any]:
    return {**items, "errors": sorted(items["errors"], key=lambda e: e["index"])}

"""Shell completion values (``kailash --install-completion``): workflow and config files,
node types, run ids. typer calls these while the user presses Tab, so each one is quick,
imports what it needs only when called, and answers nothing rather than an error."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from kailash_cli.constants import WORKFLOW_SUFFIXES
from kailash_cli.errors import KailashError

#: values offered at most (a shell lists them all)
MAX_OFFERED = 200


def yaml_files(incomplete: str) -> list[str]:
    """Folders (ending in ``/``, to go on into) and ``*.yaml``/``*.yml`` files that start with
    ``incomplete``; hidden ones only when ``incomplete`` names them, and ``-`` (stdin)."""
    folder, _, start = incomplete.rpartition("/")
    base = Path(folder + "/" if folder else ".")
    prefix = folder + "/" if folder else ""
    try:
        entries = sorted(base.iterdir())
    except OSError:
        return []
    found = ["-"] if not incomplete else []
    for entry in entries:
        name = entry.name
        if not name.startswith(start) or (name.startswith(".") and not start.startswith(".")):
            continue
        if entry.is_dir():
            found.append(f"{prefix}{name}/")
        elif entry.suffix in WORKFLOW_SUFFIXES:
            found.append(f"{prefix}{name}")
    return found[:MAX_OFFERED]


def node_types(incomplete: str) -> list[tuple[str, str]]:
    """The node type names that start with ``incomplete``, each with its summary."""
    from kailash_cli.nodes.registry import NODE_TYPES

    return [
        (name, getattr(node, "summary", "") or "")
        for name, node in sorted(NODE_TYPES.items())
        if name.lower().startswith(incomplete.lower())
    ]


def run_ids(ctx: Any, incomplete: str) -> list[tuple[str, str]]:
    """The run ids of the store (the one ``--config`` names, if given yet) that start with
    ``incomplete``, newest first, with their workflow, status and start."""
    from kailash_cli.pipeline.setup import existing_store

    config = (ctx.params or {}).get("config") if ctx is not None else None
    try:
        with existing_store(config) as store:
            runs = store.runs(limit=MAX_OFFERED) if store else []
    except (KailashError, OSError):  # no readable config or store: nothing to offer
        return []
    return [
        (run["run_id"], f"{run['workflow']} {run['status']} {run['started_at']}")
        for run in runs
        if run["run_id"].startswith(incomplete)
    ]

"""``kailash runs [list|show RUN_ID]``: run history from the store."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from kailash_cli.constants import EXIT_OK
from kailash_cli.errors import UsageError
from kailash_cli.model.result import RunResult
from kailash_cli.pipeline.setup import existing_store
from kailash_cli.pipeline.store import Store
from kailash_cli.report.output import Output, table
from kailash_cli.report.progress import executor_text, workers_text


def run_document(run: dict[str, Any]) -> dict[str, Any]:
    """A stored run as the ``run --output json`` document (with its params and origin)."""
    return RunResult.from_record(run).to_dict()


RUN_STATUSES = ("running", "succeeded", "failed", "interrupted")


def _rounded(ms: float | None) -> float | None:
    return None if ms is None else round(ms, 3)


def _duration(ms: float | None) -> str:
    return "-" if ms is None else f"{ms:.0f}"


def list_runs(
    *,
    config_path: Path | None = None,
    workflow: str | None = None,
    status: str | None = None,
    limit: int = 20,
    output_format: str = "text",
    output: Output | None = None,
) -> int:
    output = output or Output()
    if status is not None and status not in RUN_STATUSES:
        raise UsageError(f"--status {status}: not a run status; use one of {', '.join(RUN_STATUSES)}")
    with existing_store(config_path) as store:
        rows = store.runs(workflow=workflow, status=status, limit=limit) if store else []
    listed = [
        {
            "run_id": r["run_id"],
            "workflow": r["workflow"],
            "status": r["status"],
            "started_at": r["started_at"],
            "duration_ms": _rounded(r["duration_ms"]),
        }
        for r in rows
    ]
    if output_format == "json":
        output.out(json.dumps(listed, indent=2))
    elif not listed:
        output.out("no runs")
    else:
        columns = [("RUN_ID", 12), ("WORKFLOW", 20), ("STATUS", 11), ("STARTED_AT", 29), ("DURATION_MS", 0)]
        output.out(
            table(
                columns,
                [
                    [r["run_id"], r["workflow"], r["status"], r["started_at"], _duration(r["duration_ms"])]
                    for r in listed
                ],
            )
        )
    return EXIT_OK


def full_run_id(store: Store, given: str) -> str:
    """The run id ``given`` names: itself, or the one run id it is a prefix of (as git and
    docker take ids); UsageError when it is a prefix of several."""
    found = store.run_ids_starting(given, limit=6)
    if given in found or not found:
        return given  # an unknown id is the caller's to report
    if len(found) == 1:
        return found[0]
    shown = ", ".join(found[:5]) + (", ..." if len(found) > 5 else "")
    raise UsageError(f"run id '{given}' is ambiguous: runs {shown} start with it; give more of it")


def show_run(
    run_id: str, *, config_path: Path | None = None, output_format: str = "text", output: Output | None = None
) -> int:
    output = output or Output()
    with existing_store(config_path) as store:
        run_id = full_run_id(store, run_id) if store else run_id
        run = store.run(run_id) if store else None
    if run is None:
        raise UsageError(f"unknown run id '{run_id}'; `kailash runs list` shows the runs")
    document = run_document(run)
    if output_format == "json":
        output.out(json.dumps(document, indent=2, default=str))
        return EXIT_OK
    lines = [
        f"run {run_id}: {document['workflow']} {document['status']}, started "
        f"{document['started_at']}, {_duration(document['duration_ms'])} ms"
    ]
    if document["resumed_from"]:
        lines.append(f"resumed from {document['resumed_from']}")
    if document.get("executor"):
        lines.append(executor_text(document["executor"]))
    for node_id, node in document["nodes"].items():
        note = "  (restored from the resumed run)" if node.get("restored") else ""
        note += workers_text(node.get("workers"))
        note += f"  {node['error']}" if node["error"] else ""
        note += f" (fallback '{node['fallback']}' stood in)" if node.get("fallback") else ""
        lines.append(
            f"  {node['status']:<9} {node_id:<20} attempts {node['attempts']}  "
            f"{node['duration_ms']:.1f} ms{note}"
        )
    lines.append("outputs: " + json.dumps(document["outputs"], default=str))
    output.out("\n".join(lines))
    return EXIT_OK

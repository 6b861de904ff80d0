"""``run --metrics-file``: the run's metrics in Prometheus text format (node_exporter textfile)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import IO

from kailash_cli.errors import UsageError
from kailash_cli.model.result import RunResult
from kailash_cli.nodes.files import FileAccess

BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 300.0)


def _labels(**labels: str) -> str:
    def escape(value: str) -> str:
        return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")

    return "{" + ",".join(f'{k}="{escape(v)}"' for k, v in labels.items()) + "}"


def _number(value: float) -> str:
    return repr(float(value)) if value != int(value) else f"{int(value)}"


def render(result: RunResult) -> str:
    wf = result.workflow
    lines = [
        "# HELP kailash_runs_total Runs finished, by workflow and status.",
        "# TYPE kailash_runs_total counter",
        f"kailash_runs_total{_labels(workflow=wf, status=result.status)} 1",
        "# HELP kailash_run_duration_seconds Wall time of the run.",
        "# TYPE kailash_run_duration_seconds gauge",
        f"kailash_run_duration_seconds{_labels(workflow=wf)} {_number(result.duration_ms / 1000)}",
        "# HELP kailash_node_executions_total Node executions, by node and status.",
        "# TYPE kailash_node_executions_total counter",
    ]
    for node_id, node in result.nodes.items():
        labels = _labels(workflow=wf, node=node_id, status=node.status)
        lines.append(f"kailash_node_executions_total{labels} 1")
    lines += [
        "# HELP kailash_node_duration_seconds Time a node took, all attempts included.",
        "# TYPE kailash_node_duration_seconds histogram",
    ]
    for node_id, node in result.nodes.items():
        if node.status == "skipped":
            continue
        seconds = node.duration_ms / 1000
        base = {"workflow": wf, "node": node_id, "status": node.status}
        for bound in BUCKETS:
            labels = _labels(**base, le=_number(bound))
            lines.append(f"kailash_node_duration_seconds_bucket{labels} {int(seconds <= bound)}")
        lines.append(f"kailash_node_duration_seconds_bucket{_labels(**base, le='+Inf')} 1")
        lines.append(f"kailash_node_duration_seconds_sum{_labels(**base)} {_number(seconds)}")
        lines.append(f"kailash_node_duration_seconds_count{_labels(**base)} 1")
    return "\n".join(lines) + "\n"


def check_target(path: Path) -> None:
    """UsageError, before the run, when ``path`` cannot be the metrics file: folders are not made."""
    target = Path(path).expanduser()
    folder = target.parent
    if str(path) == "" or target.is_dir():
        raise UsageError(
            f"--metrics-file {path}: is a directory; give a file path, "
            f"e.g. --metrics-file {target / 'kailash.prom'}"
        )
    if not folder.exists():
        raise UsageError(
            f"--metrics-file {path}: folder {folder} does not exist; "
            "create it first (the metrics file's folder is not created)"
        )
    if not folder.is_dir():
        raise UsageError(
            f"--metrics-file {path}: {folder} is not a folder; give a path in an existing folder"
        )
    if not os.access(folder, os.W_OK | os.X_OK):
        raise UsageError(
            f"--metrics-file {path}: folder {folder} is not writable; choose a folder you can write to"
        )


def write(result: RunResult, path: Path) -> None:
    """Written atomically, so a collector never reads half a file; its folder must exist."""
    text = render(result)

    def write_text(stream: IO[str]) -> None:
        stream.write(text)

    FileAccess(Path.cwd()).write_atomic(str(path), write_text, make_dirs=False)

"""Run observers: what stderr shows while a run goes on (plain lines, JSON lines, live view)."""

from __future__ import annotations

import json
import sys
import time
from datetime import UTC, datetime
from typing import Any

from kailash_cli.model.result import FAILED, SKIPPED, SUCCEEDED, NodeResult
from kailash_cli.report.console import RedactingStream, err, redact_text

_MARK = {SUCCEEDED: "ok  ", FAILED: "FAIL", SKIPPED: "skip"}


class LineObserver:
    """One line per finished node (stderr is not a terminal: CI logs, pipes)."""

    def __init__(self, types: dict[str, str], verbose: bool = False) -> None:
        self.types = types
        self.verbose = verbose
        self.width = max(map(len, types), default=4)

    def node_started(self, node_id: str) -> None:
        pass

    def node_finished(self, node_id: str, result: NodeResult) -> None:
        if result.status == SKIPPED:
            err(f"{_MARK[SKIPPED]} {node_id:<{self.width}}  skipped: {result.error}")
            return
        line = f"{_MARK[result.status]} {node_id:<{self.width}}  {result.duration_ms:9.1f} ms"
        if result.attempts > 1:
            line += f"  after {result.attempts} attempts"
        if result.restored:
            line += "  (restored from the resumed run, not run again)"
        if result.status == FAILED:
            line += f"  {result.error}"
            if result.fallback:
                line += f" (fallback '{result.fallback}' stood in)"
            if self.verbose and result.detail:
                line += "\n" + result.detail.rstrip()
        err(line)

    def node_retrying(self, node_id: str, attempt: int, delay: float, error: str | None) -> None:
        err(f"retry {node_id:<{self.width}}  attempt {attempt} failed: {error}; next in {delay:.2f}s")


class JsonLogObserver:
    """``--log-format json``: one JSON object a line on stderr."""

    def __init__(self, run_id: str, workflow: str) -> None:
        self.run_id = run_id
        self.workflow = workflow

    def log(self, event: str, level: str = "info", **fields: Any) -> None:
        record = {"ts": datetime.now(UTC).isoformat(timespec="milliseconds"),
                  "level": level, "event": event, "run_id": self.run_id,
                  "workflow": self.workflow, **fields}
        err(json.dumps(record, default=str))

    def node_started(self, node_id: str) -> None:
        self.log("node_started", node=node_id)

    def node_finished(self, node_id: str, result: NodeResult) -> None:
        level = "error" if result.status == FAILED and not result.fallback else "info"
        extra = result.extras()
        self.log("node_finished", level, node=node_id, status=result.status, attempts=result.attempts,
                 duration_ms=round(result.duration_ms, 3), error=result.error, **extra)

    def node_retrying(self, node_id: str, attempt: int, delay: float, error: str | None) -> None:
        self.log("node_retrying", "warning", node=node_id, attempt=attempt,
                 delay_s=round(delay, 3), error=error)

    def dead_letter(self, node_id: str, node_type: str, params: dict[str, Any], result: NodeResult) -> None:
        self.log("dead_letter", "error", node=node_id, attempts=result.attempts, error=result.error)

    def node_output(self, node_id: str | None, line: str) -> None:
        """A line a node printed (stdout is kept for results)."""
        self.log("node_output", node=node_id, line=line)


class LiveObserver:
    """A rich live table on stderr when it is a terminal."""

    MAX_ROWS = 25

    def __init__(self, types: dict[str, str], hidden: frozenset[str] = frozenset()) -> None:
        from rich.console import Console
        from rich.live import Live

        self.types = types
        self.hidden = hidden  # fallback nodes: shown only if they run
        self.state: dict[str, tuple[str, float, str]] = {}
        self.started: dict[str, float] = {}
        stream: Any = RedactingStream(sys.stderr, line_buffered=False)
        self.live = Live(console=Console(file=stream), refresh_per_second=8, redirect_stdout=False,
                         get_renderable=self._table, transient=False)

    def __enter__(self) -> LiveObserver:
        self.live.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.live.stop()

    def _table(self) -> Any:
        from rich.table import Table

        table = Table(box=None, show_header=True, header_style="bold")
        for column in ("node", "type", "status", "time", ""):
            table.add_column(column)
        styles = {SUCCEEDED: "green", FAILED: "red", SKIPPED: "dim", "running": "yellow"}
        shown = [n for n in self.types if n not in self.hidden or n in self.state]
        if len(shown) > self.MAX_ROWS:  # large runs: what is running or failed, then counts
            shown = [n for n in shown if self.state.get(n, ("",))[0] in ("running", FAILED)]
        for node_id in shown[: self.MAX_ROWS]:
            status, ms, note = self.state.get(node_id, ("waiting", 0.0, ""))
            if status == "running":
                ms = (time.perf_counter() - self.started[node_id]) * 1000
            took = f"{ms:.0f} ms" if status not in ("waiting", SKIPPED) else ""
            table.add_row(node_id, self.types[node_id], f"[{styles.get(status, 'dim')}]{status}[/]",
                          took, redact_text(note)[:80])
        if len(self.types) > self.MAX_ROWS:
            counts: dict[str, int] = {}
            for node_id in self.types:
                status = self.state.get(node_id, ("waiting",))[0]
                counts[status] = counts.get(status, 0) + 1
            table.add_row(f"{len(self.types)} nodes", "", ", ".join(f"{n} {s}" for s, n in counts.items()))
        return table

    def node_started(self, node_id: str) -> None:
        self.started[node_id] = time.perf_counter()
        self.state[node_id] = ("running", 0.0, "")

    def node_finished(self, node_id: str, result: NodeResult) -> None:
        note = result.error or ("restored" if result.restored else "")
        self.state[node_id] = (result.status, result.duration_ms, note)

    def node_retrying(self, node_id: str, attempt: int, delay: float, error: str | None) -> None:
        self.state[node_id] = ("running", 0.0, f"attempt {attempt} failed, retry in {delay:.1f}s: {error}")

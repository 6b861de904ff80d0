"""Run observers: what stderr shows while a run goes on (plain lines, JSON lines, live view)."""

from __future__ import annotations

import time
from typing import Any

from kailash_cli.engine.observer import RunInfo, RunObserver
from kailash_cli.model.result import FAILED, SKIPPED, SUCCEEDED, NodeResult, RunResult
from kailash_cli.report.output import Output

_MARK = {SUCCEEDED: "ok  ", FAILED: "FAIL", SKIPPED: "skip"}


def items_text(items: dict[str, Any]) -> str:
    """``4,210/10,000 items`` (``, 3 failed``) of a foreach node."""
    total = f"/{items['total']:,}" if items.get("total") is not None else ""
    failed = f", {items['failed']:,} failed" if items.get("failed") else ""
    return f"{items['succeeded'] + items.get('failed', 0):,}{total} items{failed}"


def executor_text(executor: dict[str, Any]) -> str:
    """``executor dask: tcp://10.0.0.5:8786 (cluster, 4 workers)``."""
    about = [str(executor[k]) for k in ("cluster",) if executor.get(k)]
    if executor.get("workers") is not None:
        about.append(f"{executor['workers']} worker{'s' if executor['workers'] != 1 else ''}")
    where = f": {executor['address']}" if executor.get("address") else ""
    return f"executor {executor.get('type')}{where}" + (f" ({', '.join(about)})" if about else "")


def workers_text(workers: list[str] | None) -> str:
    """``  on tcp://127.0.0.1:40711`` (or ``  on 3 workers``); empty when not known."""
    if not workers:
        return ""
    return f"  on {workers[0]}" if len(workers) == 1 else f"  on {len(workers)} workers"


def display(output: Output) -> RunObserver:
    """What stderr shows of a run: JSON lines, a live table on a terminal, else a line per node."""
    if output.json_logs:
        return JsonLogObserver(output)
    if output.stderr_is_terminal() and not output.quiet:
        return LiveObserver(output)
    return LineObserver(output)


class LineObserver(RunObserver):
    """One line per finished node (stderr is not a terminal: CI logs, pipes)."""

    def __init__(self, output: Output) -> None:
        self.output = output
        self.width = 4

    def run_started(self, run: RunInfo) -> None:
        self.width = max(map(len, run.types), default=4)
        if run.executor:
            self.output.note(executor_text(run.executor))

    def node_finished(self, node_id: str, result: NodeResult) -> None:
        if result.status == SKIPPED:
            self.output.note(f"{_MARK[SKIPPED]} {node_id:<{self.width}}  skipped: {result.error}")
            return
        line = f"{_MARK[result.status]} {node_id:<{self.width}}  {result.duration_ms:9.1f} ms"
        if result.items:
            line += f"  {items_text(result.items)}"
        elif result.attempts > 1:
            line += f"  after {result.attempts} attempts"
        if result.restored:
            line += "  (restored from the resumed run, not run again)"
        line += workers_text(result.workers)
        if result.status == FAILED:
            line += f"  {result.error}"
            if result.fallback:
                line += f" (fallback '{result.fallback}' stood in)"
            if self.output.verbose and result.detail:
                line += "\n" + result.detail.rstrip()
        self.output.err(line, "error" if result.status == FAILED and not result.fallback else "info")

    def node_retrying(self, node_id: str, attempt: int, delay: float, error: str | None) -> None:
        self.output.err(
            f"retry {node_id:<{self.width}}  attempt {attempt} failed: {error}; next in {delay:.2f}s",
            "warning",
        )


class JsonLogObserver(RunObserver):
    """``--log-format json``: one JSON object a line on stderr."""

    def __init__(self, output: Output) -> None:
        self.output = output
        self.run_id: str | None = None
        self.workflow: str | None = None

    def log(self, event: str, level: str = "info", **fields: Any) -> None:
        self.output.event(event, level, run_id=self.run_id, workflow=self.workflow, **fields)

    def run_started(self, run: RunInfo) -> None:
        self.run_id, self.workflow = run.run_id, run.workflow
        where: dict[str, Any] = {"executor": run.executor} if run.executor else {}
        self.log("run_started", params=run.params, resumed_from=run.resumed_from, **where)

    def node_started(self, node_id: str) -> None:
        self.log("node_started", node=node_id)

    def node_finished(self, node_id: str, result: NodeResult) -> None:
        level = "error" if result.status == FAILED and not result.fallback else "info"
        self.log(
            "node_finished",
            level,
            node=node_id,
            status=result.status,
            attempts=result.attempts,
            duration_ms=round(result.duration_ms, 3),
            error=result.error,
            **result.extras(),
        )

    def node_retrying(self, node_id: str, attempt: int, delay: float, error: str | None) -> None:
        self.log(
            "node_retrying", "warning", node=node_id, attempt=attempt, delay_s=round(delay, 3), error=error
        )

    def dead_letter(self, node_id: str, node_type: str, params: dict[str, Any], result: NodeResult) -> None:
        self.log("dead_letter", "error", node=node_id, attempts=result.attempts, error=result.error)

    def node_output(self, node_id: str | None, line: str) -> bool:
        """A line a node printed (stdout is kept for results)."""
        self.log("node_output", node=node_id, line=line)
        return True

    def run_finished(self, result: RunResult) -> None:
        self.log(
            "run_finished",
            "info" if result.succeeded else "error",
            status=result.status,
            duration_ms=round(result.duration_ms, 3),
            nodes=result.counts(),
            error=result.error,
        )


class LiveObserver(RunObserver):
    """A rich live table on stderr when it is a terminal."""

    MAX_ROWS = 25

    def __init__(self, output: Output) -> None:
        self.output = output
        self.types: dict[str, str] = {}
        self.hidden: frozenset[str] = frozenset()  # fallback nodes: shown only if they run
        self.state: dict[str, tuple[str, float, str]] = {}
        self.started: dict[str, float] = {}
        self.live: Any = None

    def run_started(self, run: RunInfo) -> None:
        from rich.live import Live

        self.types, self.hidden = run.types, run.hidden
        if run.executor:
            self.output.note(executor_text(run.executor))
        self.live = Live(
            console=self.output.live_console(),
            refresh_per_second=8,
            redirect_stdout=False,
            get_renderable=self._table,
            transient=False,
        )
        self.live.start()

    def run_finished(self, result: RunResult) -> None:
        if self.live is not None:
            self.live.stop()
            self.live = None

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
            table.add_row(
                node_id,
                self.types[node_id],
                f"[{styles.get(status, 'dim')}]{status}[/]",
                took,
                self.output.redact(note)[:80],
            )
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
        if result.items and not result.error:
            note = items_text(result.items)
        note = (note + workers_text(result.workers)).strip()
        self.state[node_id] = (result.status, result.duration_ms, note)

    def items_progress(self, node_id: str, done: int, failed: int, total: int | None) -> None:
        count = f"{done:,}/{total:,}" if total is not None else f"{done:,}"
        self.state[node_id] = ("running", 0.0, count + (f", {failed:,} failed" if failed else ""))

    def node_retrying(self, node_id: str, attempt: int, delay: float, error: str | None) -> None:
        self.state[node_id] = ("running", 0.0, f"attempt {attempt} failed, retry in {delay:.1f}s: {error}")

"""SIGTERM and ``kailash run``, through the installed command: graceful stop, exit 143."""

from __future__ import annotations

import json
import os
import signal
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from helpers import kailash, popen_e2e, write
from prometheus_client.parser import text_string_to_metric_families

GATED = """\
name: gated
nodes:
  wait:
    type: PythonCodeNode
    config:
      code: |
        import time
        from pathlib import Path
        print("started", flush=True)
        end = time.monotonic() + 60
        while not Path("release").exists() and time.monotonic() < end:
            time.sleep(0.02)
        result = 1
  after:
    type: PythonCodeNode
    config: {code: "open('after-ran', 'w').close(); result = 2", x: "${nodes.wait.result}"}
"""


@pytest.fixture
def project(tmp_path: Path) -> Iterator[Path]:
    write(tmp_path / "wf.yaml", GATED)
    yield tmp_path
    (tmp_path / "release").touch()  # no node is left waiting


class Running:
    """``kailash run`` in a subprocess; a watchdog kills it if a test goes wrong."""

    def __init__(self, project: Path, *args: str) -> None:
        self.proc = popen_e2e("run", "wf.yaml", *args, cwd=project)
        self.watchdog = threading.Timer(90, self.proc.kill)
        self.watchdog.start()

    def line(self) -> str:
        assert self.proc.stderr is not None
        return self.proc.stderr.readline()

    def finish(self) -> tuple[int, str, str]:
        try:
            out, err = self.proc.communicate(timeout=60)
        finally:
            self.watchdog.cancel()
            if self.proc.poll() is None:
                self.proc.kill()
                self.proc.wait()
        return self.proc.returncode, out, err


def stored_runs(project: Path) -> list[dict[str, object]]:
    listed = kailash("runs", "list", "-o", "json", cwd=project)
    return [
        json.loads(kailash("runs", "show", str(r["run_id"]), "-o", "json", cwd=project).stdout)
        for r in json.loads(listed.stdout)
    ]


def runs_total(path: Path) -> dict[str, float]:
    return {
        s.labels["status"]: s.value
        for family in text_string_to_metric_families(path.read_text())
        for s in family.samples
        if s.name == "kailash_runs_total"
    }


@pytest.mark.e2e
def test_sigterm_lets_the_running_node_finish_then_exits_143(project: Path) -> None:
    write(project / "kailash.yaml", "runtime: {shutdown_grace: 60}\n")
    run = Running(project, "--metrics-file", "m.prom")
    assert run.line() == "[wait] started\n"
    run.proc.send_signal(signal.SIGTERM)
    assert run.line().startswith("SIGTERM: stopping; no new node starts")
    (project / "release").touch()  # the node finishes within its grace period
    code, out, err = run.finish()

    assert code == 143, err
    assert "Traceback" not in err and out == ""
    assert err.splitlines()[-1].startswith("interrupted: run ")
    [record] = stored_runs(project)
    assert record["status"] == "interrupted" and record["duration_ms"]
    assert {n: r["status"] for n, r in record["nodes"].items()} == {"wait": "succeeded"}  # type: ignore[attr-defined]
    assert not (project / "after-ran").exists()
    assert runs_total(project / "m.prom") == {"interrupted": 1}

    (project / "release").touch()
    resumed = kailash("run", "wf.yaml", "--resume", str(record["run_id"]), cwd=project)
    assert resumed.returncode == 0, resumed.stderr
    assert (project / "after-ran").exists()


@pytest.mark.e2e
def test_a_node_past_the_grace_period_is_abandoned(project: Path) -> None:
    write(project / "kailash.yaml", "runtime: {shutdown_grace: 0.5}\n")
    run = Running(project, "--metrics-file", "m.prom", "--output", "json")
    assert run.line() == "[wait] started\n"
    run.proc.send_signal(signal.SIGTERM)
    code, out, err = run.finish()  # well before the node's own 60 s

    assert code == 143, err
    assert (
        "FAIL wait" in err and "interrupted: still running 0.5s after the run was stopped; abandoned" in err
    )
    [record] = stored_runs(project)
    assert record["status"] == "interrupted"
    assert runs_total(project / "m.prom") == {"interrupted": 1}
    shown = json.loads(out)  # --output json: the partial document, as `runs show` has it
    assert (shown["run_id"], shown["status"]) == (record["run_id"], "interrupted")
    assert shown["nodes"]["wait"]["status"] == "failed"


@pytest.mark.e2e
@pytest.mark.parametrize("second", [signal.SIGTERM, signal.SIGINT])
def test_a_second_signal_stops_at_once_and_the_run_is_still_recorded(project: Path, second: int) -> None:
    write(project / "kailash.yaml", "runtime: {shutdown_grace: 60}\n")
    run = Running(project, "--output", "json")
    assert run.line() == "[wait] started\n"
    run.proc.send_signal(signal.SIGTERM)
    assert run.line().startswith("SIGTERM: stopping")
    run.proc.send_signal(second)
    code, out, err = run.finish()

    assert code == 143, err
    assert "Traceback" not in err
    [record] = stored_runs(project)
    assert record["status"] == "interrupted"
    assert json.loads(out)["status"] == "interrupted"  # the partial document, after a second signal too


_READ = {"x86_64": "0", "aarch64": "63"}  # the read system call's number


def _reading_stdin(pid: int) -> bool:
    """Blocked in read(0, ...): past the start's own SIGTERM handler (coverage's, in a
    subprocess of the suite, is in place before it and would end the process by the signal)."""
    call = Path(f"/proc/{pid}/syscall").read_text().split()
    return call[:2] == [_READ.get(os.uname().machine, "0"), "0x0"]


@pytest.mark.e2e
def test_sigterm_before_a_command_handles_it_exits_143_quietly(tmp_path: Path) -> None:
    """`kailash run -` waits for its workflow on stdin: the start's own handler is in place."""
    proc = popen_e2e("run", "-", cwd=tmp_path, stdin=True)
    try:
        deadline = threading.Event()
        while not _reading_stdin(proc.pid):
            assert proc.poll() is None, proc.communicate()
            deadline.wait(0.01)
        proc.send_signal(signal.SIGTERM)
        out, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    assert (proc.returncode, out, err) == (143, "", "")

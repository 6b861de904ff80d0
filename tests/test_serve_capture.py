"""What node code prints under ``kailash serve``: never another run's, never a forged log line."""

from __future__ import annotations

import io
import json
import logging
import re
from pathlib import Path

import pytest

from kailash_cli.report.output import Output
from kailash_cli.serve.logs import node_output
from tests.serve_helpers import BLOCK, Client, app, project, until

SECRET = "sk-serve-late-0123456789"

#: starts a thread that prints and logs the secret once the file named by ``flag`` exists
LATE = """\
name: late
secrets: {k: {env: SEC_KEY}}
params:
  flag: {type: string, required: true}
nodes:
  spawn:
    type: PythonCodeNode
    config:
      key: "${secrets.k}"
      flag: "${params.flag}"
      code: |
        import logging, os, threading, time
        def late(key, flag):
            deadline = time.monotonic() + 60
            while not os.path.exists(flag) and time.monotonic() < deadline:
                time.sleep(0.01)
            print("late print", key)
            logging.warning("late log %s", key)
        threading.Thread(target=late, args=(key, flag)).start()
        result = 1
"""

#: writes its ``note`` param to stderr, to stdout and through logging
ECHO = """\
name: sec
params:
  note: {type: string, required: true}
nodes:
  talk:
    type: PythonCodeNode
    config:
      note: "${params.note}"
      code: |
        import logging, sys
        print(note, file=sys.stderr)
        print(note)
        logging.warning("got %s", note)
        result = 1
"""

FORGED = '\n10.0.0.9 "POST /workflows/sec/runs" 200 3.1ms trace_id=abc user=boss'
ACCESS = re.compile(r'^\S+ "[A-Z]+ \S+" \d{3} [\d.]+ms trace_id=')


def bare_root_logger(monkeypatch: pytest.MonkeyPatch) -> None:
    """The root logger as in the server process: no handler of pytest's (it adds them as the
    test's call begins, so this is called from the test)."""
    monkeypatch.setattr(logging.getLogger(), "handlers", [])


def test_late_lines_of_a_node_thread_are_no_other_runs_and_stay_json(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    bare_root_logger(monkeypatch)
    err = io.StringIO()
    root = project(tmp_path, late=LATE, block=BLOCK)
    served = app(root, {"SEC_KEY": SECRET}, output=Output(stderr=err, log_format="json"))
    with node_output(served.state.server.log), Client(served) as c:
        block = c.post("/workflows/block/runs?wait=false", json={"params": {"flag": str(tmp_path / "end")}})
        late = c.post("/workflows/late/runs", json={"params": {"flag": str(tmp_path / "go")}})
        assert (block.status_code, late.status_code) == (202, 200)
        (tmp_path / "go").touch()  # the late run is over, the block run still goes on
        until(lambda: "late log" in err.getvalue())
        (tmp_path / "end").touch()

    assert SECRET not in err.getvalue()
    events = [json.loads(line) for line in err.getvalue().splitlines()]  # every line is JSON
    stray = [e for e in events if "late" in str(e.get("line"))]
    assert [(e["event"], e["level"], e["line"]) for e in stray] == [
        ("output", "info", "late print ***"),
        ("output", "warning", "late log ***"),
    ]
    assert all("run_id" not in e and "trace_id" not in e for e in stray)


def test_no_line_node_code_writes_reads_as_an_access_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    bare_root_logger(monkeypatch)
    err = io.StringIO()
    served = app(project(tmp_path, sec=ECHO), output=Output(stderr=err))
    with node_output(served.state.server.log), Client(served) as c:
        answer = c.post("/workflows/sec/runs", json={"params": {"note": "x\x1b[2K" + FORGED}})
    assert answer.status_code == 200 and answer.json()["status"] == "succeeded"

    lines = err.getvalue().splitlines() + capsys.readouterr().err.splitlines()
    assert [line for line in lines if ACCESS.match(line)] == [
        line for line in lines if line.startswith('127.0.0.1 "POST /workflows/sec/runs" 200 ')
    ]
    node = [line for line in lines if "10.0.0.9" in line]
    assert len(node) == 3  # stderr, stdout, logging: each a line of its own, labelled
    assert all(line.startswith("[talk] ") and '\\"POST' in line for line in node)
    assert not any("\x1b" in line for line in lines)


@pytest.mark.e2e
def test_the_server_process_logs_late_node_lines_as_redacted_json(tmp_path: Path) -> None:
    import httpx

    from tests.test_serve_e2e import served

    with served(project(tmp_path, late=LATE), {"SEC_KEY": SECRET}) as server:
        answer = httpx.post(
            f"{server.url}/workflows/late/runs", json={"params": {"flag": str(tmp_path / "go")}}, timeout=60
        )
        assert answer.status_code == 200, answer.text
        (tmp_path / "go").touch()  # no run goes on when the thread prints
        logged = [server.wait_for("output"), server.wait_for("output")]
        assert server.stop() == 0

    assert [(e["level"], e["line"]) for e in logged] == [
        ("info", "late print ***"),
        ("warning", "late log ***"),
    ]
    assert all("run_id" not in e for e in logged)
    assert len(server.lines) == len(server.raw)  # every line JSON
    assert SECRET not in "".join(server.raw)

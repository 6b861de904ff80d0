"""Issue 4 end to end: retries, timeouts, breakers, fallbacks, continue_on_error, dead letters,
the run store and resume, through the CLI (in-process; tests marked e2e run the installed
``kailash`` in subprocesses: timeouts that must not keep the process alive, signals, races).

Each test works in its own ``tmp_path`` with a copy of ``tests/fixtures/resilience/fns.py``,
whose functions count their calls in ``counts/<name>``: a count proves whether a node ran.
Timings are asserted only as lower bounds the engine cannot beat: a loaded machine only adds
time. What an upper bound would prove (a delay is capped) is read from what the run says.
"""

from __future__ import annotations

import json
import math
import shutil
import signal
import sqlite3
import subprocess
import time
from pathlib import Path
from typing import Any

import pytest
from helpers import REPO, kailash, kailash_e2e, no_traceback, popen_e2e, write

from kailash_cli.pipeline.database import SCHEMA_VERSION

HELLO = "name: hello\nnodes:\n  a: {type: PythonCodeNode, config: {code: 'result = 1'}}\n"
FNS = Path(__file__).resolve().parents[1] / "fixtures" / "resilience" / "fns.py"


@pytest.fixture
def project(tmp_path: Path) -> Path:
    shutil.copy(FNS, tmp_path / "fns.py")
    return tmp_path


def calls(project: Path, name: str) -> int:
    path = project / "counts" / name
    return int(path.read_text()) if path.exists() else 0


def _document(proc: subprocess.CompletedProcess[str], code: int | None) -> dict[str, Any]:
    if code is not None:
        assert proc.returncode == code, proc.stderr
    assert no_traceback(proc), proc.stderr
    return json.loads(proc.stdout)


def run_json(
    project: Path, workflow: str, *args: str, env: dict[str, str] | None = None, code: int | None = 0
) -> dict[str, Any]:
    return _document(kailash("run", workflow, "-o", "json", *args, cwd=project, extra_env=env), code)


def run_json_e2e(project: Path, workflow: str, *args: str, code: int | None = 0) -> dict[str, Any]:
    return _document(kailash_e2e("run", workflow, "-o", "json", *args, cwd=project), code)


def show(project: Path, run_id: str) -> dict[str, Any]:
    proc = kailash("runs", "show", run_id, "-o", "json", cwd=project)
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)


def nodes(doc: dict[str, Any], *keys: str) -> dict[str, Any]:
    return {n: tuple(r.get(k) for k in keys) for n, r in doc["nodes"].items()}


def popen_run(project: Path, workflow: str) -> subprocess.Popen[str]:
    return popen_e2e("run", workflow, "-o", "json", cwd=project)


def wait_for(check: Any, what: str, seconds: float = 15) -> None:
    give_up = time.monotonic() + seconds
    while not check():
        assert time.monotonic() < give_up, f"gave up waiting for {what}"
        time.sleep(0.05)


# -- retry ------------------------------------------------------------------------------

RETRY = """\
name: retry
nodes:
  linear:
    type: PythonCodeNode
    config: {function: "./fns.py:flaky", name: linear, fail_times: 2}
    retry: {max_attempts: 3, strategy: linear, base_delay: 0.2, jitter: false, retry_on: [OSError]}
  capped:
    type: PythonCodeNode
    config: {function: "./fns.py:flaky", name: capped, fail_times: 4, error: TimeoutError}
    retry: {max_attempts: 5, strategy: exponential, base_delay: 0.1, max_delay: 0.1, jitter: false}
  not_retried:
    type: PythonCodeNode
    config: {function: "./fns.py:flaky", name: not_retried, fail_times: 1, error: ValueError}
    retry: {max_attempts: 3, strategy: immediate, retry_on: [ConnectionError]}
  exhausted:
    type: PythonCodeNode
    config: {function: "./fns.py:flaky", name: exhausted, fail_times: 9}
    retry: {max_attempts: 2, strategy: immediate}
"""


def test_retry_attempts_delays_and_retry_on(project: Path) -> None:
    write(project / "wf.yaml", RETRY)

    proc = kailash("run", "wf.yaml", "-o", "json", cwd=project)
    doc = json.loads(proc.stdout)

    assert proc.returncode == 1, proc.stderr
    assert nodes(doc, "status", "attempts", "error") == {
        "linear": ("succeeded", 3, None),
        "capped": ("succeeded", 5, None),
        "not_retried": ("failed", 1, "ValueError: call 1 failed"),  # not a ConnectionError
        "exhausted": ("failed", 2, "ConnectionError: call 2 failed"),
    }
    assert [calls(project, n) for n in ("linear", "capped", "not_retried", "exhausted")] == [3, 5, 1, 2]
    retries = sorted(line for line in proc.stderr.splitlines() if line.startswith("retry "))
    assert retries == sorted(
        [
            # linear, 0.2 s base, no jitter: waits 0.2 + 0.4 before attempt 3
            "retry linear       attempt 1 failed: ConnectionError: call 1 failed; next in 0.20s",
            "retry linear       attempt 2 failed: ConnectionError: call 2 failed; next in 0.40s",
            # exponential 0.1, 0.2, 0.4, 0.8 capped at 0.1 each: 0.4 s, not 1.5 s
            *(
                f"retry capped       attempt {n} failed: TimeoutError: call {n} failed; next in 0.10s"
                for n in range(1, 5)
            ),
            "retry exhausted    attempt 1 failed: ConnectionError: call 1 failed; next in 0.00s",
        ]
    )
    assert doc["nodes"]["linear"]["duration_ms"] >= 600  # the waits happened: lower bounds only
    assert doc["nodes"]["capped"]["duration_ms"] >= 400
    stored = show(project, doc["run_id"])
    assert nodes(stored, "status", "attempts") == nodes(doc, "status", "attempts")
    text = kailash("runs", "show", doc["run_id"], cwd=project).stdout.splitlines()
    assert [line.split()[:4] for line in text[1:5]] == [
        ["succeeded", "linear", "attempts", "3"],
        ["succeeded", "capped", "attempts", "5"],
        ["failed", "not_retried", "attempts", "1"],
        ["failed", "exhausted", "attempts", "2"],
    ]


# -- timeouts ---------------------------------------------------------------------------

NODE_TIMEOUT = """\
name: timeouts
nodes:
  slow:
    type: PythonCodeNode
    config: {function: "./fns.py:sleeper", name: slow, seconds: 30}
    timeout: 0.5
  independent:
    type: PythonCodeNode
    config: {function: "./fns.py:ok", name: independent, x: 1}
  after:
    type: PythonCodeNode
    config: {function: "./fns.py:ok", name: after}
connections: ["slow.result -> after.x"]
"""

RUN_TIMEOUT = """\
name: run-timeout
runtime: {timeout: 0.5}
nodes:
  slow:
    type: PythonCodeNode
    config: {function: "./fns.py:sleeper", name: slow, seconds: 30}
"""


@pytest.mark.e2e
def test_a_node_timeout_fails_promptly_and_the_run_goes_on(project: Path) -> None:
    write(project / "wf.yaml", NODE_TIMEOUT)
    began = time.monotonic()

    doc = run_json_e2e(project, "wf.yaml", code=1)

    assert time.monotonic() - began < 15  # the function sleeps 30 s: it did not keep the process alive
    assert doc["status"] == "failed"
    assert nodes(doc, "status", "error") == {
        "slow": ("failed", "TimeoutError: timed out after 0.5s"),
        "independent": ("succeeded", None),
        "after": ("skipped", "input from 'slow' did not arrive (failed)"),
    }
    assert doc["nodes"]["slow"]["duration_ms"] >= 500
    assert doc["outputs"] == {"independent": {"result": {"got": 1, "by": "independent"}}}
    assert (calls(project, "slow"), calls(project, "after")) == (1, 0)


@pytest.mark.e2e
def test_runtime_timeout_ends_the_run(project: Path) -> None:
    write(project / "wf.yaml", RUN_TIMEOUT)
    began = time.monotonic()

    doc = run_json_e2e(project, "wf.yaml", code=1)

    assert time.monotonic() - began < 15
    assert nodes(doc, "status", "error") == {"slow": ("failed", "TimeoutError: run timed out after 0.5s")}
    assert 500 <= doc["duration_ms"] < 10_000


# -- circuit breaker --------------------------------------------------------------------

BREAKER = """\
name: breaker
params:
  fail: {type: boolean, default: true}
nodes:
  call:
    type: PythonCodeNode
    config: {function: "./fns.py:maybe", name: call, fail: "${params.fail}"}
    circuit_breaker: {failure_threshold: 2, success_threshold: 2, recovery_timeout: RECOVERY}
"""


def _breaker_row(project: Path) -> tuple[Any, ...]:
    db = sqlite3.connect(project / ".kailash" / "kailash.db")
    row = db.execute(
        "SELECT state, failures, successes FROM breakers WHERE workflow = 'breaker' AND node_id = 'call'"
    ).fetchone()
    db.close()
    return tuple(row)


def _opened_at(project: Path) -> float:
    db = sqlite3.connect(project / ".kailash" / "kailash.db")
    [opened_at] = db.execute("SELECT opened_at FROM breakers WHERE workflow = 'breaker'").fetchone()
    db.close()
    return float(opened_at)


def _shift_opened_at(project: Path, seconds: float) -> None:
    db = sqlite3.connect(project / ".kailash" / "kailash.db")
    with db:
        db.execute("UPDATE breakers SET opened_at = opened_at + ? WHERE workflow = 'breaker'", (seconds,))
    db.close()


def test_circuit_breaker_opens_persists_across_runs_half_opens_and_closes(project: Path) -> None:
    write(project / "wf.yaml", BREAKER.replace("RECOVERY", "60"))

    first = run_json(project, "wf.yaml", code=1)
    second = run_json(project, "wf.yaml", code=1)
    before = time.time()
    refused = run_json(project, "wf.yaml", "-p", "fail=false", code=1)  # a new run: state from the store
    after = time.time()

    assert [first["nodes"]["call"]["error"], second["nodes"]["call"]["error"]] == [
        "ConnectionError: call 1 failed",
        "ConnectionError: call 2 failed",
    ]
    assert calls(project, "call") == 2  # the third run did not call it
    assert nodes(refused, "status", "attempts") == {"call": ("failed", 0)}
    # the refusal was decided between before and after: the seconds left lie between these bounds
    opened_at = _opened_at(project)
    waits = range(math.ceil(60 - (after - opened_at)), math.ceil(60 - (before - opened_at)) + 1)
    assert refused["nodes"]["call"]["error"] in [
        f"CircuitOpenError: circuit breaker is open after 2 failure(s); the node was not called "
        f"(next trial in {wait}s)"
        for wait in waits
    ]
    assert _breaker_row(project) == ("open", 2, 0)

    write(project / "wf.yaml", BREAKER.replace("RECOVERY", "0.5"))  # same workflow and node: same breaker
    _shift_opened_at(project, -1.0)  # opened a second ago: past the 0.5 s recovery, without waiting
    trial = run_json(project, "wf.yaml", "-p", "fail=false")
    assert nodes(trial, "status", "attempts") == {"call": ("succeeded", 1)}
    assert _breaker_row(project) == ("half_open", 2, 1)  # success_threshold is 2
    closing = run_json(project, "wf.yaml", "-p", "fail=false")
    assert closing["nodes"]["call"]["status"] == "succeeded"
    assert _breaker_row(project) == ("closed", 0, 0)
    assert calls(project, "call") == 4


# -- fallbacks and continue_on_error ----------------------------------------------------

FALLBACKS = """\
name: fallbacks
nodes:
  src:
    type: PythonCodeNode
    config: {code: "result = {'v': 7}"}
  primary:
    type: PythonCodeNode
    config: {function: "./fns.py:boom", name: primary}
    retry: {max_attempts: 2, strategy: immediate}
    fallback: second
  second:
    type: PythonCodeNode
    config: {function: "./fns.py:boom", name: second}
    fallback: third
  third:
    type: PythonCodeNode
    config: {function: "./fns.py:ok", name: third}
  down:
    type: PythonCodeNode
    config: {code: "result = {'seen': got}"}
  fine:
    type: PythonCodeNode
    config: {function: "./fns.py:ok", name: fine, x: 1}
    fallback: spare
  spare:
    type: PythonCodeNode
    config: {function: "./fns.py:ok", name: spare}
connections: ["src.v -> primary.x", "primary.got -> down.got"]
"""


def test_a_fallback_chain_runs_with_the_primary_inputs_and_stands_in(project: Path) -> None:
    write(project / "wf.yaml", FALLBACKS)

    doc = run_json(project, "wf.yaml")

    assert doc["status"] == "succeeded"
    assert nodes(doc, "status", "attempts", "error", "fallback") == {
        "src": ("succeeded", 1, None, None),
        "primary": ("failed", 2, "ConnectionError: primary is down (x=7, token=)", "third"),
        "second": ("failed", 1, "ConnectionError: second is down (x=7, token=)", None),
        "third": ("succeeded", 1, None, None),
        "down": ("succeeded", 1, None, None),
        "fine": ("succeeded", 1, None, None),
    }  # spare, a fallback whose primary did not fail, never ran
    assert doc["outputs"]["primary"] == {"result": {"got": 7, "by": "third"}}  # x reached the fallback
    assert doc["outputs"]["down"] == {"result": {"seen": 7}}  # downstream got the stand-in's outputs
    assert [calls(project, n) for n in ("primary", "second", "third", "fine", "spare")] == [2, 1, 1, 1, 0]
    assert nodes(show(project, doc["run_id"]), "status", "fallback") == nodes(doc, "status", "fallback")


def test_fallback_connections_and_loops_are_validation_errors(project: Path) -> None:
    write(
        project / "inputs.yaml",
        """\
        name: inputs
        nodes:
          src: {type: PythonCodeNode, config: {code: "result = 1"}}
          a: {type: PythonCodeNode, config: {code: "result = 1"}, fallback: b}
          b: {type: PythonCodeNode, config: {code: "result = x"}}
          c: {type: PythonCodeNode, config: {code: "result = y"}}
        connections: ["src.result -> b.x", "b.result -> c.y"]
        """,
    )
    write(
        project / "loop.yaml",
        """\
        name: loop
        nodes:
          a: {type: PythonCodeNode, config: {code: "result = 1"}, fallback: b}
          b: {type: PythonCodeNode, config: {code: "result = 2"}, fallback: a}
          c: {type: PythonCodeNode, config: {code: "result = 3"}, fallback: c}
          d: {type: PythonCodeNode, config: {code: "result = 4"}, fallback: nope}
        """,
    )

    proc = kailash("validate", "inputs.yaml", "loop.yaml", cwd=project)
    refused = kailash("run", "loop.yaml", cwd=project)

    assert proc.returncode == 1
    fix = "fix: connect to and from 'a' instead"
    assert proc.stdout.splitlines() == [
        "inputs.yaml:5:3: error KV212: node 'b' is the fallback of 'a': it runs only in its place, with "
        f"its inputs, so it cannot have inputs or dependents of its own; {fix}",
        "loop.yaml:3:69: error KV206: fallback chain loops: a -> b -> a; fix: end the chain with a node "
        "without fallback",
        "loop.yaml:5:69: error KV206: node 'c': fallback names itself; fix: name another node id in fallback",
        "loop.yaml:6:69: error KV206: node 'd': fallback names unknown node 'nope'; fix: name another node "
        "id in fallback",
    ]
    assert refused.returncode == 2
    assert no_traceback(refused)


CONTINUE = """\
name: keep-going
nodes:
  optional:
    type: PythonCodeNode
    config: {function: "./fns.py:boom", name: optional}
    continue_on_error: true
  needs_it:
    type: PythonCodeNode
    config: {function: "./fns.py:ok", name: needs_it}
  after_it:
    type: PythonCodeNode
    config: {function: "./fns.py:ok", name: after_it}
    depends_on: [optional]
  other:
    type: PythonCodeNode
    config: {function: "./fns.py:ok", name: other}
connections: ["optional.result -> needs_it.x"]
"""


def test_continue_on_error_fails_the_node_skips_its_dependents_and_the_run_succeeds(project: Path) -> None:
    write(project / "wf.yaml", CONTINUE)

    doc = run_json(project, "wf.yaml")

    assert doc["status"] == "succeeded"
    assert nodes(doc, "status", "error") == {
        "optional": ("failed", "ConnectionError: optional is down (x=None, token=)"),
        "needs_it": ("skipped", "input from 'optional' did not arrive (failed)"),
        "after_it": ("succeeded", None),  # depends_on is ordering only: it needs no output
        "other": ("succeeded", None),
    }
    assert [calls(project, n) for n in ("optional", "needs_it", "after_it", "other")] == [1, 0, 1, 1]


# -- dead letters and secrets -----------------------------------------------------------

SECRET = "tok-Zq81xVv0-secret-value"
SECRETS = """\
name: secretive
secrets:
  api: {env: API_TOKEN}
nodes:
  call:
    type: PythonCodeNode
    config: {function: "./fns.py:boom", name: call, x: 5, token: "${secrets.api}"}
    retry: {max_attempts: 2, strategy: immediate}
  echo:
    type: PythonCodeNode
    config: {function: "./fns.py:echo_token", token: "${secrets.api}"}
"""


def test_dead_letters_and_the_store_never_hold_the_secret(project: Path) -> None:
    write(project / "hello.yaml", HELLO)
    run_json(project, "hello.yaml")  # creates the store
    db_path = project / ".kailash" / "kailash.db"
    reader = sqlite3.connect(db_path)  # held open: the run's WAL stays on disk to be read
    reader.execute("SELECT count(*) FROM runs").fetchone()
    write(project / "wf.yaml", SECRETS)

    doc = run_json(project, "wf.yaml", env={"API_TOKEN": SECRET}, code=1)
    letters = kailash("dlq", "list", "-o", "json", cwd=project)
    letter_id = json.loads(letters.stdout)[0]["id"]
    letter = kailash("dlq", "show", str(letter_id), "-o", "json", cwd=project)
    stored = show(project, doc["run_id"])

    assert json.loads(letter.stdout) == {
        "id": letter_id,
        "run_id": doc["run_id"],
        "workflow": "secretive",
        "node_id": "call",
        "node_type": "PythonCodeNode",
        "attempts": 2,
        "inputs": {"function": "./fns.py:boom", "name": "call", "x": 5, "token": "***"},
        "error": "ConnectionError: call is down (x=5, token=***)",
        "created_at": json.loads(letter.stdout)["created_at"],
    }
    assert stored["nodes"]["call"]["error"] == "ConnectionError: call is down (x=5, token=***)"
    assert stored["outputs"] == {"echo": {"result": {"header": "Bearer ***"}}}
    assert stored["outputs"] == doc["outputs"]
    for output in (letters.stdout, letter.stdout, json.dumps(stored), json.dumps(doc)):
        assert SECRET not in output
    files = sorted(p.name for p in db_path.parent.iterdir())
    assert "kailash.db-wal" in files and (db_path.parent / "kailash.db-wal").stat().st_size > 0
    for name in files:
        assert SECRET.encode() not in (db_path.parent / name).read_bytes(), name
    reader.close()


# -- the store --------------------------------------------------------------------------


def test_the_store_is_created_on_first_use_beside_the_config_or_in_the_cwd(project: Path) -> None:
    write(project / "flows" / "hello.yaml", HELLO)
    write(project / "proj" / "kailash.yaml", "runtime:\n  store: state/runs.db\n")
    write(project / "plain" / "kailash.yaml", "runtime:\n  max_concurrency: 2\n")
    (project / "cwd").mkdir()

    kailash("run", "../flows/hello.yaml", cwd=project / "cwd")
    kailash("run", "../flows/hello.yaml", "-c", "../proj/kailash.yaml", cwd=project / "cwd")
    kailash("run", "../flows/hello.yaml", cwd=project / "plain")
    listed = kailash("runs", "list", "-c", "proj/kailash.yaml", "-o", "json", cwd=project)

    assert sorted(str(p.relative_to(project)) for p in project.rglob("*.db")) == [
        "cwd/.kailash/kailash.db",
        "plain/.kailash/kailash.db",
        "proj/state/runs.db",
    ]
    assert [r["workflow"] for r in json.loads(listed.stdout)] == ["hello"]
    db = sqlite3.connect(project / "proj" / "state" / "runs.db")
    assert db.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone() == (
        str(SCHEMA_VERSION),
    )
    assert db.execute("PRAGMA journal_mode").fetchone() == ("wal",)
    db.close()


@pytest.mark.e2e
def test_concurrent_runs_share_one_new_store(project: Path) -> None:
    write(
        project / "wf.yaml",
        """\
        name: busy
        nodes:
          a: {type: PythonCodeNode, config: {code: "result = list(range(100))"}}
          b: {type: PythonCodeNode, config: {code: "result = sum(x)"}}
        connections: ["a.result -> b.x"]
        """,
    )

    procs = [popen_run(project, "wf.yaml") for _ in range(5)]
    finished = [p.communicate(timeout=60) for p in procs]

    assert [p.returncode for p in procs] == [0] * 5, [err for _, err in finished]
    run_ids = {json.loads(out)["run_id"] for out, _ in finished}
    listed = json.loads(kailash_e2e("runs", "list", "-o", "json", cwd=project).stdout)
    assert {r["run_id"]: r["status"] for r in listed} == dict.fromkeys(run_ids, "succeeded")
    assert all(show(project, run_id)["outputs"]["b"] == {"result": 4950} for run_id in list(run_ids)[:2])


SLEEPY = """\
name: sleepy
nodes:
  first:
    type: PythonCodeNode
    config: {function: "./fns.py:ok", name: first, x: 1}
  nap:
    type: PythonCodeNode
    config: {function: "./fns.py:sleeper", name: nap, seconds: SECONDS}
  last:
    type: PythonCodeNode
    config: {function: "./fns.py:ok", name: last}
connections: ["first.got -> nap.x", "nap.result -> last.x"]
"""


def _first_recorded(project: Path) -> bool:
    db = sqlite3.connect(project / ".kailash" / "kailash.db", timeout=10)
    try:
        return db.execute("SELECT count(*) FROM node_executions WHERE node_id = 'first'").fetchone()[0] == 1
    except sqlite3.OperationalError:  # the schema is not there yet
        return False
    finally:
        db.close()


@pytest.mark.e2e
def test_sigkill_leaves_an_interrupted_run_that_resumes(project: Path) -> None:
    write(project / "wf.yaml", SLEEPY.replace("SECONDS", "30"))
    proc = popen_run(project, "wf.yaml")
    try:
        wait_for(lambda: calls(project, "nap") == 1, "the node to start sleeping")
        wait_for(lambda: _first_recorded(project), "the finished node to be recorded")
    finally:
        proc.kill()
        proc.communicate(timeout=30)
    assert proc.returncode == -signal.SIGKILL

    db = sqlite3.connect(project / ".kailash" / "kailash.db")
    assert db.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    db.close()
    listed = json.loads(kailash_e2e("runs", "list", "-o", "json", cwd=project).stdout)
    assert [(r["workflow"], r["status"]) for r in listed] == [("sleepy", "interrupted")]
    killed = listed[0]["run_id"]

    write(project / "wf.yaml", SLEEPY.replace("SECONDS", "0"))  # nap never finished: it may change
    resumed = run_json_e2e(project, "wf.yaml", "--resume", killed)

    assert nodes(resumed, "status", "restored") == {
        "first": ("succeeded", True),
        "nap": ("succeeded", None),
        "last": ("succeeded", None),
    }
    assert [calls(project, n) for n in ("first", "nap", "last")] == [1, 2, 1]
    assert show(project, resumed["run_id"])["resumed_from"] == killed


@pytest.mark.e2e
def test_ctrl_c_exits_130_and_records_the_run_as_interrupted(project: Path) -> None:
    write(project / "wf.yaml", SLEEPY.replace("SECONDS", "30"))
    proc = popen_run(project, "wf.yaml")
    try:
        wait_for(lambda: calls(project, "nap") == 1, "the node to start sleeping")
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=20)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()

    assert proc.returncode == 130
    assert "Traceback" not in err
    assert err.splitlines()[-1].startswith("interrupted: run ")
    listed = json.loads(kailash_e2e("runs", "list", "-o", "json", cwd=project).stdout)
    assert [(r["workflow"], r["status"]) for r in listed] == [("sleepy", "interrupted")]
    stored = show(project, listed[0]["run_id"])
    assert (stored["status"], stored["error"]) == ("interrupted", "interrupted")
    assert nodes(stored, "status") == {"first": ("succeeded",)}


def test_a_corrupt_store_is_one_clear_line_and_exit_2(project: Path) -> None:
    write(project / "wf.yaml", HELLO)
    store = project / ".kailash" / "kailash.db"
    store.parent.mkdir()
    store.write_bytes(b"not a database at all\n" * 200)

    ran = kailash("run", "wf.yaml", cwd=project)
    listed = kailash("runs", "list", cwd=project)

    message = (
        f"error: cannot open the run store {store}: file is not a database; check runtime.store "
        "in kailash.yaml, or move the file away to start a new store"
    )
    for proc in (ran, listed):
        assert proc.returncode == 2
        assert proc.stderr.splitlines() == [message]
        assert proc.stdout == ""


def test_damage_inside_the_store_is_exit_2_not_a_crash(project: Path) -> None:
    write(project / "wf.yaml", HELLO)
    for _ in range(2):
        run_json(project, "wf.yaml")
    store = project / ".kailash" / "kailash.db"
    db = sqlite3.connect(store)
    page_size = db.execute("PRAGMA page_size").fetchone()[0]
    pages = [r[0] for r in db.execute("SELECT rootpage FROM sqlite_master WHERE tbl_name = 'runs'")]
    db.close()
    data = bytearray(store.read_bytes())
    for page in pages:
        data[(page - 1) * page_size : page * page_size] = b"\x5a" * page_size
    store.write_bytes(bytes(data))

    listed = kailash("runs", "list", cwd=project)

    assert listed.returncode == 2
    assert listed.stderr.splitlines() == [
        f"error: the run store {store} failed: database disk image is malformed; if the file is damaged, "
        "move it away to start a new store"
    ]


# -- resume -----------------------------------------------------------------------------

RESUMABLE = """\
name: resumable
params:
  n: {type: integer, default: 1}
nodes:
  first:
    type: PythonCodeNode
    config: {function: "./fns.py:ok", name: first, x: "${params.n}"}
  second:
    type: PythonCodeNode
    config: {function: "./fns.py:needs_file", name: second, path: input.txt}
  third:
    type: PythonCodeNode
    config: {function: "./fns.py:ok", name: third}
connections: ["first.got -> second.x", "second.read -> third.x"]
"""


def test_resume_after_fixing_the_cause_runs_only_what_did_not_succeed(project: Path) -> None:
    write(project / "wf.yaml", RESUMABLE)
    failed = run_json(project, "wf.yaml", "-p", "n=5", code=1)
    assert nodes(failed, "status") == {"first": ("succeeded",), "second": ("failed",), "third": ("skipped",)}

    with_params = kailash("run", "wf.yaml", "--resume", failed["run_id"], "-p", "n=2", cwd=project)
    (project / "input.txt").write_text("fixed")
    write(project / "wf.yaml", RESUMABLE.replace("path: input.txt}", "path: input.txt, x: 0}"))  # failed node
    resumed = run_json(project, "wf.yaml", "--resume", failed["run_id"])
    again = kailash("run", "wf.yaml", "--resume", resumed["run_id"], cwd=project)

    assert with_params.returncode == 2
    assert with_params.stderr.splitlines() == [
        "error: --resume uses the params of the run it resumes; drop -p/--params-file"
    ]
    assert nodes(resumed, "status", "restored") == {
        "first": ("succeeded", True),
        "second": ("succeeded", None),
        "third": ("succeeded", None),
    }
    assert resumed["outputs"]["first"] == {"result": {"got": 5, "by": "first"}}  # the params of the run
    assert resumed["outputs"]["third"] == {"result": {"got": "fixed", "by": "third"}}
    assert [calls(project, n) for n in ("first", "second", "third")] == [1, 2, 1]
    assert nodes(show(project, resumed["run_id"]), "restored") == nodes(resumed, "restored")
    assert again.returncode == 2
    assert again.stderr.splitlines() == [
        f"error: run {resumed['run_id']} succeeded; there is nothing to resume (run it again without "
        "--resume)"
    ]


def test_resume_refuses_another_workflow_and_changed_succeeded_nodes(project: Path) -> None:
    write(project / "wf.yaml", RESUMABLE)
    failed = run_json(project, "wf.yaml", code=1)
    write(project / "other.yaml", RESUMABLE.replace("name: resumable", "name: other"))
    write(project / "changed.yaml", RESUMABLE.replace("name: first, x:", "name: first, y: 1, x:"))

    other = kailash("run", "other.yaml", "--resume", failed["run_id"], cwd=project)
    changed = kailash("run", "changed.yaml", "--resume", failed["run_id"], cwd=project)
    unknown = kailash("run", "wf.yaml", "--resume", "nope", cwd=project)

    run_id = failed["run_id"]
    assert [p.returncode for p in (other, changed, unknown)] == [2, 2, 2]
    assert other.stderr.splitlines() == [
        f"error: run {run_id} is a run of workflow 'resumable', not 'other'; resume it with its own "
        "workflow file"
    ]
    assert changed.stderr.splitlines() == [
        f"error: cannot resume run {run_id}: node(s) first changed since it ran (type, config, condition "
        "or inputs); run the workflow again without --resume"
    ]
    assert unknown.stderr.splitlines() == [
        f"error: unknown run id 'nope'; `kailash runs list` shows the runs in "
        f"{project / '.kailash' / 'kailash.db'}"
    ]
    assert calls(project, "first") == 1


# -- the example ------------------------------------------------------------------------


def test_the_resilient_etl_example_is_deterministic_with_its_params(tmp_path: Path) -> None:
    copy = tmp_path / "workflows"
    shutil.copytree(REPO / "workflows", copy, ignore=shutil.ignore_patterns("out", "__pycache__"))
    example = str(copy / "resilient-etl.yaml")

    healthy = run_json(tmp_path, example, "-p", "failure_rate=0")
    seeded = run_json(tmp_path, example, "-p", "failure_rate=0.5", "-p", "seed=7")
    down = run_json(tmp_path, example, "-p", "failure_rate=1")
    still_down = run_json(tmp_path, example, "-p", "failure_rate=1")

    assert nodes(healthy, "status", "attempts") == {
        "read": ("succeeded", 1),
        "score": ("succeeded", 1),
        "notify": ("succeeded", 1),
        "report": ("succeeded", 1),
    }
    assert healthy["outputs"]["scored"] == 4 and healthy["outputs"]["source"] == "service"
    assert seeded["nodes"]["score"]["attempts"] == 3  # seed 7 fails twice, then succeeds
    assert seeded["outputs"]["source"] == "service"
    # every call fails: 3 failures open the breaker, the 4th attempt is refused, the fallback stands in
    assert nodes(down, "status", "attempts", "fallback") == {
        "read": ("succeeded", 1, None),
        "score": ("failed", 3, "score_offline"),
        "score_offline": ("succeeded", 1, None),
        "notify": ("failed", 1, None),
        "report": ("succeeded", 1, None),
    }
    assert (down["status"], down["outputs"]["source"]) == ("succeeded", "offline")
    assert still_down["nodes"]["score"]["attempts"] == 0  # the breaker, kept in the store, stays open
    assert still_down["nodes"]["score"]["error"].startswith("CircuitOpenError: circuit breaker is open")
    assert json.loads((copy / "out" / "resilient-report.json").read_text())[0]["source"] == "offline"


# -- engine bugs found by these tests (engine.py / workers.py are not this suite's to fix) --


def test_a_timed_out_node_does_not_starve_the_next_node_of_its_worker(project: Path) -> None:
    write(
        project / "wf.yaml",
        """\
        name: starved
        runtime: {max_concurrency: 1}
        nodes:
          slow:
            type: PythonCodeNode
            config: {function: "./fns.py:sleeper", name: slow, seconds: 5}
            timeout: 0.3
          other:
            type: PythonCodeNode
            config: {function: "./fns.py:ok", name: other}
            timeout: 1
        """,
    )

    doc = run_json(project, "wf.yaml", code=1)

    assert nodes(doc, "status") == {"slow": ("failed",), "other": ("succeeded",)}
    assert calls(project, "other") == 1


def test_a_node_whose_retries_open_the_breaker_is_dead_lettered(project: Path) -> None:
    write(
        project / "wf.yaml",
        """\
        name: tripped
        nodes:
          call:
            type: PythonCodeNode
            config: {function: "./fns.py:maybe", name: call, fail: true}
            retry: {max_attempts: 3, strategy: immediate}
            circuit_breaker: {failure_threshold: 2, recovery_timeout: 60}
        """,
    )

    doc = run_json(project, "wf.yaml", code=1)
    letters = json.loads(kailash("dlq", "list", "-o", "json", cwd=project).stdout)

    assert (nodes(doc, "status", "attempts"), calls(project, "call")) == ({"call": ("failed", 2)}, 2)
    assert [(d["node_id"], d["attempts"], d["inputs"]["fail"]) for d in letters] == [("call", 2, True)]

"""Run-time security end to end: the CLI (in-process; the installed ``kailash`` in a subprocess
for tests marked e2e: limits that interrupt or outlive a run, concurrent processes).

Each test sets up a project (``kailash.yaml`` + workflow) in ``tmp_path``, runs the CLI
as a user would, and proves that a rule holds and that attempts to get around it fail:
paths (traversal, absolute, symlinks, size, extension, from params and connections),
secrets (never shown or stored, ``***`` instead), access control (unknown users, RBAC with
inheritance, ABAC ``when`` that cannot be abused), masking, limits (timeout, cpu cores,
memory), command validation and the audit log (tampering, concurrent appends).
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import sqlite3
import subprocess
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest
from helpers import REPO, kailash, kailash_e2e, popen_e2e, write

SECRET = "sk-LIVE-9f8e7d6c5b4a39281706"
_DROP = ("KAILASH_LOG_FORMAT", "KAILASH_USER", "API_KEY", "KAILASH_API_TOKEN")


def _env(extra: Mapping[str, str] | None = None) -> dict[str, str]:
    environ = {k: v for k, v in os.environ.items() if k not in _DROP}
    environ["NO_COLOR"] = "1"
    environ.update(extra or {})
    return environ


def cli(
    cwd: Path, *args: str | Path, env: Mapping[str, str] | None = None, timeout: float = 60
) -> subprocess.CompletedProcess[str]:
    """``kailash ARGS`` in ``cwd``, in-process; stdout/stderr as text."""
    return kailash(*args, cwd=cwd, env=_env(env))


def cli_e2e(
    cwd: Path, *args: str | Path, env: Mapping[str, str] | None = None, timeout: float = 60
) -> subprocess.CompletedProcess[str]:
    """``kailash ARGS`` in ``cwd``, the installed command in a subprocess."""
    return kailash_e2e(*args, cwd=cwd, env=_env(env), timeout=timeout)


def project(root: Path, config: str, workflow: str | None = None, **files: str) -> Path:
    """``root/proj`` with ``kailash.yaml``, optionally ``wf.yaml`` and more files."""
    proj = root / "proj"
    write(proj / "kailash.yaml", config)
    if workflow is not None:
        write(proj / "wf.yaml", workflow)
    for name, text in files.items():
        write(proj / name.replace("__", "/"), text)
    return proj


def no_traceback(proc: subprocess.CompletedProcess[str]) -> None:
    assert "Traceback" not in proc.stdout + proc.stderr, proc.stderr


def audit_entries(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def kailash_bytes(proj: Path) -> bytes:
    """Every byte kailash keeps in the project: store (.db, -wal, -shm) and audit log."""
    found = sorted(p for p in (proj / ".kailash").rglob("*") if p.is_file())
    assert any(p.name == "kailash.db" for p in found), found
    assert any(p.name == "audit.jsonl" for p in found), found
    return b"".join(p.read_bytes() for p in found)


# -- files --------------------------------------------------------------------------------

PATH_CONFIG = """\
runtime: {store: .kailash/kailash.db}
security:
  allowed_directories: [./data, ./out]
  max_file_size: 1KB
  allowed_file_extensions: [.csv, .json]
  enable_path_validation: true
  enable_audit_logging: true
"""

READ_WORKFLOW = """\
name: reads
params:
  path: {type: string, required: true}
nodes:
  ok:          {type: CSVReaderNode, config: {file_path: data/ok.csv}}
  traversal:   {type: CSVReaderNode, config: {file_path: data/../../outside/secret.csv}}
  sibling:     {type: CSVReaderNode, config: {file_path: data/../private.csv}}
  absolute:    {type: CSVReaderNode, config: {file_path: "OUTSIDE/secret.csv"}}
  link:        {type: CSVReaderNode, config: {file_path: data/link.csv}}
  linkdir:     {type: CSVReaderNode, config: {file_path: data/linkdir/secret.csv}}
  oversized:   {type: CSVReaderNode, config: {file_path: data/big.csv}}
  extension:   {type: CSVReaderNode, config: {file_path: data/notes.txt}}
  disguised:   {type: CSVReaderNode, config: {file_path: data/disguised.csv}}
  from_param:  {type: CSVReaderNode, config: {file_path: "${params.path}"}}
  make_path:
    type: PythonCodeNode
    config: {code: "result = prefix + '/secret.csv'", prefix: "OUTSIDE"}
  from_connection: {type: CSVReaderNode}
connections:
  - make_path.result -> from_connection.file_path
"""

CONTENT = "name,token\nhidden,TOPSECRET-CONTENT\n"


def _path_project(tmp_path: Path, workflow: str) -> tuple[Path, Path]:
    root = Path(os.path.realpath(tmp_path))
    outside = root / "outside"
    write(outside / "secret.csv", CONTENT)
    write(outside / "target.json", '"ORIGINAL"\n')
    proj = project(root, PATH_CONFIG, workflow.replace("OUTSIDE", str(outside)))
    write(proj / "private.csv", CONTENT)
    write(proj / "data" / "ok.csv", "a,b\n1,2\n")
    write(proj / "data" / "big.csv", "a\n" + "x" * 1200 + "\n")
    write(proj / "data" / "notes.txt", CONTENT)
    (proj / "data" / "link.csv").symlink_to(outside / "secret.csv")
    (proj / "data" / "linkdir").symlink_to(outside, target_is_directory=True)
    (proj / "data" / "disguised.csv").symlink_to(proj / "data" / "notes.txt")
    (proj / "out").mkdir()
    (proj / "out" / "link.json").symlink_to(outside / "target.json")
    (proj / "out" / "linkdir").symlink_to(outside, target_is_directory=True)
    return proj, outside


def test_reads_outside_the_rules_are_refused_however_the_path_arrives(tmp_path: Path) -> None:
    proj, outside = _path_project(tmp_path, READ_WORKFLOW)
    proc = cli(proj, "run", "wf.yaml", "-p", "path=../outside/secret.csv", "--output", "json")
    no_traceback(proc)
    assert proc.returncode == 1, proc.stderr
    doc = json.loads(proc.stdout)
    data, out_dir = proj / "data", proj / "out"
    dirs = f"[{data}, {out_dir}]"
    secret = outside / "secret.csv"
    errors = {n: r["error"] for n, r in doc["nodes"].items()}
    assert errors == {
        "ok": None,
        "traversal": f"PathDeniedError: path {data}/../../outside/secret.csv resolves to {secret} "
        f"outside allowed_directories {dirs}",
        "sibling": f"PathDeniedError: path {data}/../private.csv resolves to {proj}/private.csv "
        f"outside allowed_directories {dirs}",
        "absolute": f"PathDeniedError: path {secret} resolves outside allowed_directories {dirs}",
        "link": f"PathDeniedError: path {data}/link.csv resolves to {secret} "
        f"outside allowed_directories {dirs}",
        "linkdir": f"PathDeniedError: path {data}/linkdir/secret.csv resolves to {secret} "
        f"outside allowed_directories {dirs}",
        "oversized": f"PathDeniedError: path {data}/big.csv: file is 1.2 kB, over max_file_size 1 kB",
        "extension": f"PathDeniedError: path {data}/notes.txt: extension .txt not in "
        "allowed_file_extensions [.csv, .json]",
        "disguised": f"PathDeniedError: path {data}/disguised.csv: extension .txt not in "
        "allowed_file_extensions [.csv, .json]",
        "from_param": f"PathDeniedError: path {proj}/../outside/secret.csv resolves to {secret} "
        f"outside allowed_directories {dirs}",
        "make_path": None,
        "from_connection": f"PathDeniedError: path {secret} resolves outside allowed_directories {dirs}",
    }
    assert doc["outputs"]["ok"] == {"data": [{"a": "1", "b": "2"}]}
    assert {n: r["status"] for n, r in doc["nodes"].items() if r["error"] is None} == {
        "ok": "succeeded",
        "make_path": "succeeded",
    }
    assert "TOPSECRET-CONTENT" not in proc.stdout + proc.stderr  # refusals never show content
    assert "TOPSECRET-CONTENT" not in kailash_bytes(proj).decode("utf-8", "replace")


WRITE_WORKFLOW = """\
name: writes
nodes:
  ok:        {type: JSONWriterNode, config: {file_path: out/ok.json, data: [1]}}
  traversal: {type: JSONWriterNode, config: {file_path: out/../../outside/evil.json, data: [1]}}
  absolute:  {type: JSONWriterNode, config: {file_path: "OUTSIDE/evil.json", data: [1]}}
  link:      {type: JSONWriterNode, config: {file_path: out/link.json, data: [1]}}
  linkdir:   {type: JSONWriterNode, config: {file_path: out/linkdir/evil.json, data: [1]}}
  extension: {type: JSONWriterNode, config: {file_path: out/evil.txt, data: [1]}}
  big_data:
    type: PythonCodeNode
    config: {code: "result = 'x' * 1500"}
  oversized: {type: JSONWriterNode, config: {file_path: out/big.json}}
connections:
  - big_data.result -> oversized.data
"""


def test_writes_outside_the_rules_are_refused_and_leave_nothing_behind(tmp_path: Path) -> None:
    proj, outside = _path_project(tmp_path, WRITE_WORKFLOW)
    proc = cli(proj, "run", "wf.yaml", "--output", "json")
    no_traceback(proc)
    assert proc.returncode == 1, proc.stderr
    doc = json.loads(proc.stdout)
    out_dir, data = proj / "out", proj / "data"
    dirs = f"[{data}, {out_dir}]"
    errors = {n: r["error"] for n, r in doc["nodes"].items()}
    assert errors == {
        "ok": None,
        "traversal": f"PathDeniedError: path {out_dir}/../../outside/evil.json resolves to "
        f"{outside}/evil.json outside allowed_directories {dirs}",
        "absolute": f"PathDeniedError: path {outside}/evil.json resolves outside allowed_directories {dirs}",
        "link": f"PathDeniedError: path {out_dir}/link.json is a symlink; "
        "writing through a symlink is refused",
        "linkdir": f"PathDeniedError: path {out_dir}/linkdir/evil.json resolves to {outside}/evil.json "
        f"outside allowed_directories {dirs}",
        "extension": f"PathDeniedError: path {out_dir}/evil.txt: extension .txt not in "
        "allowed_file_extensions [.csv, .json]",
        "big_data": None,
        "oversized": f"PathDeniedError: path {out_dir}/big.json: file is 1.5 kB, over max_file_size 1 kB",
    }
    # nothing written outside, the symlink target untouched, no temporary files left
    assert sorted(p.name for p in outside.iterdir()) == ["secret.csv", "target.json"]
    assert (outside / "target.json").read_text(encoding="utf-8") == '"ORIGINAL"\n'
    assert sorted(p.name for p in out_dir.iterdir()) == ["link.json", "linkdir", "ok.json"]
    assert (out_dir / "link.json").is_symlink()
    assert json.loads((out_dir / "ok.json").read_text(encoding="utf-8")) == [1]


# -- secrets ------------------------------------------------------------------------------

SECRETS_CONFIG = """\
runtime: {store: .kailash/kailash.db}
security: {enable_audit_logging: true}
"""

SECRETS_WORKFLOW = """\
name: leaky
secrets:
  api_key: {env: API_KEY}
nodes:
  shout:
    type: PythonCodeNode
    config:
      code: |
        print("the key is", key)
        result = {"token": key, "deep": {"list": [key, "pre-" + key + "-post"]}}
      key: "${secrets.api_key}"
  check:
    type: PythonCodeNode
    config:
      code: |
        result = {"same": token == key, "length": len(token)}
      key: "${secrets.api_key}"
  boom:
    type: PythonCodeNode
    config:
      code: |
        raise ValueError(f"bad key {key}")
      key: "${secrets.api_key}"
connections:
  - shout.token -> check.token
"""


def test_a_secret_printed_returned_or_raised_never_appears_anywhere(tmp_path: Path) -> None:
    proj = project(tmp_path, SECRETS_CONFIG, SECRETS_WORKFLOW)
    env = {"API_KEY": SECRET}
    text = cli(proj, "-v", "run", "wf.yaml", env=env)  # -v: with the failure's traceback
    as_json = cli(proj, "run", "wf.yaml", "--output", "json", env=env)
    json_log = cli(proj, "--log-format", "json", "run", "wf.yaml", env=env)
    seen = [text, as_json, json_log]
    for proc in seen:
        assert proc.returncode == 1, proc.stderr
    assert "Traceback" in text.stderr and "ValueError: bad key ***" in text.stderr.split("Traceback")[1]

    expected_outputs = {
        "shout": {"result": {"token": "***", "deep": {"list": ["***", "pre-***-post"]}}},
        "check": {"result": {"same": True, "length": len(SECRET)}},
    }
    assert json.loads(text.stdout) == expected_outputs  # downstream got the real value
    doc = json.loads(as_json.stdout)
    assert doc["outputs"] == expected_outputs
    assert doc["nodes"]["boom"]["error"] == "ValueError: bad key ***"
    assert "[shout] the key is ***" in text.stderr.splitlines()
    assert "FAIL boom" in text.stderr and "ValueError: bad key ***" in text.stderr
    log_lines = [json.loads(line) for line in json_log.stderr.splitlines()]
    printed = [r["line"] for r in log_lines if r["event"] == "node_output"]
    assert printed == ["the key is ***"]
    assert [r["error"] for r in log_lines if r.get("node") == "boom" and r["event"] == "node_finished"] == [
        "ValueError: bad key ***"
    ]

    run_id = doc["run_id"]
    shown = cli(proj, "runs", "show", run_id, "-o", "json")
    shown_text = cli(proj, "runs", "show", run_id)
    letters = cli(proj, "dlq", "list", "-o", "json")
    seen += [shown, shown_text, letters]
    stored = json.loads(shown.stdout)
    assert stored["outputs"] == expected_outputs
    assert stored["nodes"]["boom"]["error"] == "ValueError: bad key ***"
    listed = json.loads(letters.stdout)
    assert [d["node_id"] for d in listed] == ["boom", "boom", "boom"]
    letter_id = str(next(d["id"] for d in listed if d["run_id"] == run_id))
    letter_json = cli(proj, "dlq", "show", letter_id, "-o", "json")
    letter_text = cli(proj, "dlq", "show", letter_id)
    seen += [letter_json, letter_text]
    letter = json.loads(letter_json.stdout)
    assert letter["inputs"]["key"] == "***"
    assert letter["error"] == "ValueError: bad key ***"
    assert "error: ValueError: bad key ***" in letter_text.stdout

    audit = (proj / ".kailash" / "audit.jsonl").read_text(encoding="utf-8")
    assert audit.count('"event":"secret_accessed"') == 3 and '"secret":"api_key"' in audit
    assert "ValueError: bad key ***" in audit
    for proc in seen:
        assert proc.returncode in (0, 1)
        assert SECRET not in proc.stdout and SECRET not in proc.stderr
    assert SECRET.encode() not in kailash_bytes(proj)
    assert b"***" in kailash_bytes(proj)


def test_a_secret_a_node_writes_to_stderr_is_redacted(tmp_path: Path) -> None:
    workflow = """\
name: stderr-leak
secrets:
  api_key: {env: API_KEY}
nodes:
  p:
    type: PythonCodeNode
    config:
      code: |
        import sys
        print("to stderr", key, file=sys.stderr)
        result = 1
      key: "${secrets.api_key}"
"""
    proj = project(tmp_path, SECRETS_CONFIG, workflow)
    proc = cli(proj, "run", "wf.yaml", env={"API_KEY": SECRET})
    assert proc.returncode == 0, proc.stderr
    assert SECRET not in proc.stderr
    assert "to stderr ***" in proc.stderr


def test_a_param_holding_an_expression_is_data_not_code(tmp_path: Path) -> None:
    workflow = """\
name: inject
secrets:
  api_key: {env: API_KEY}
params:
  text: {type: string, required: true}
nodes:
  echo:
    type: PythonCodeNode
    config: {code: "result = text", text: "${params.text}"}
"""
    proj = project(tmp_path, SECRETS_CONFIG, workflow)
    proc = cli(proj, "run", "wf.yaml", "-p", "text=${secrets.api_key}", env={"API_KEY": SECRET})
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout) == {"echo": {"result": "${secrets.api_key}"}}


# -- access control -----------------------------------------------------------------------

ACCESS_CONFIG = """\
runtime: {store: .kailash/kailash.db}
security: {enable_audit_logging: true}
access_control:
  strategy: rbac
  users:
    boss: {roles: [admin], attributes: {access_level: 9}}
    bob: {roles: [viewer], attributes: {access_level: 9}}
    looper: {roles: [loop_a], attributes: {access_level: 9}}
    low: {roles: [analyst], attributes: {access_level: 1}}
  roles:
    viewer: {permissions: []}
    analyst: {permissions: [execute]}
    senior: {inherits: [analyst]}
    admin: {inherits: [senior]}
    loop_a: {inherits: [loop_b]}
    loop_b: {inherits: [loop_a]}
"""

ACCESS_WORKFLOW = """\
name: guarded
nodes:
  first:
    type: JSONWriterNode
    config: {file_path: out/marker.json, data: ran}
  guarded:
    type: PythonCodeNode
    config: {code: "result = 'secret report'"}
    permissions: {roles: [analyst], when: "${user.attributes.access_level >= 3}"}
"""


def test_rbac_with_inherited_roles_and_denials_before_anything_runs(tmp_path: Path) -> None:
    proj = project(tmp_path, ACCESS_CONFIG, ACCESS_WORKFLOW)
    marker = proj / "out" / "marker.json"
    denied = {
        "bob": "access denied: user 'bob' may not run nodes: none of roles [viewer] grants execute "
        "(add it to a role's permissions in access_control.roles)",
        "looper": "access denied: user 'looper' may not run node 'guarded': needs one of roles [analyst] "
        "(has [loop_a, loop_b])",
        "low": "access denied: user 'low' may not run node 'guarded': condition "
        "${user.attributes.access_level >= 3} is false",
    }
    for user, message in denied.items():
        proc = cli(proj, "run", "wf.yaml", "--user", user, timeout=20)
        no_traceback(proc)
        assert (proc.returncode, proc.stdout, proc.stderr) == (1, "", f"error: {message}\n")
        assert not marker.exists()  # refused before any node ran
    anonymous = cli(proj, "run", "wf.yaml")
    assert (anonymous.returncode, anonymous.stderr) == (
        1,
        "error: access denied: node 'guarded' has permissions; run with --user ID\n",
    )
    assert not marker.exists()
    ok = cli(proj, "run", "wf.yaml", "--user", "boss")  # admin -> senior -> analyst
    assert ok.returncode == 0, ok.stderr
    assert json.loads(ok.stdout)["guarded"] == {"result": "secret report"}
    assert marker.exists()

    entries = audit_entries(proj / ".kailash" / "audit.jsonl")
    denials = [(e["user"], e["reason"]) for e in entries if e["event"] == "access_denied"]
    assert denials == [
        *denied.items(),
        (None, "access denied: node 'guarded' has permissions; run with --user ID"),
    ]
    assert [e["event"] for e in entries if e["user"] == "boss"] == [
        "run_started",
        "node_execution",
        "node_execution",
        "run_finished",
    ]


def test_an_unknown_user_is_refused_and_audited(tmp_path: Path) -> None:
    proj = project(tmp_path, ACCESS_CONFIG, ACCESS_WORKFLOW)
    proc = cli(proj, "run", "wf.yaml", "--user", "ghost")
    no_traceback(proc)
    assert (proc.returncode, proc.stdout) == (1, "")
    assert proc.stderr == (
        "error: access denied: unknown user 'ghost' "
        "(known users: bob, boss, looper, low); "
        "add it under access_control.users in kailash.yaml\n"
    )
    via_env = cli(proj, "run", "wf.yaml", env={"KAILASH_USER": "ghost"})
    assert via_env.returncode == 1 and "access denied: unknown user 'ghost'" in via_env.stderr
    assert not (proj / "out" / "marker.json").exists()
    entries = audit_entries(proj / ".kailash" / "audit.jsonl")
    assert [(e["event"], e["user"], e["reason"]) for e in entries] == [
        ("access_denied", "ghost", "unknown user")
    ] * 2


@pytest.mark.parametrize(
    "expr",
    [
        "${user.__class__}",
        "${().__class__.__bases__}",
        "${user.attributes.__class__.__subclasses__()}",
        "${__import__('os').system('touch pwned')}",
        "${len.__self__}",
    ],
)
def test_code_injection_in_permissions_when_is_refused_before_running(tmp_path: Path, expr: str) -> None:
    workflow = ACCESS_WORKFLOW.replace("${user.attributes.access_level >= 3}", expr)
    proj = project(tmp_path, ACCESS_CONFIG, workflow)
    proc = cli(proj, "run", "wf.yaml", "--user", "boss")
    no_traceback(proc)
    assert proc.returncode == 2, proc.stderr  # the workflow is invalid: could not start
    assert "error KV301: expression" in proc.stderr
    assert proc.stdout == ""
    assert not (proj / "pwned").exists() and not (proj / "out" / "marker.json").exists()


@pytest.mark.parametrize(
    ("expr", "why"),
    [
        (
            "${user.attributes.access_level / 0 > 1}",
            "cannot be evaluated, so it is treated as false: "
            "${user.attributes.access_level / 0 > 1}: division by zero",
        ),
        (
            "${user.attributes.items}",
            "cannot be evaluated, so it is treated as false: "
            "${user.attributes.items}: 'user.attributes' has no key 'items' (keys: access_level)",
        ),
        (
            "${env.HOME != 'x'}",
            "cannot be evaluated, so it is treated as false: ${env.HOME != 'x'}: unknown name 'env'",
        ),
        ("${user.attributes.access_level}", "is 9"),
        (
            "${user.id} == boss",
            "cannot be evaluated, so it is treated as false: condition "
            "'${user.id} == boss' must be one ${...} expression",
        ),
    ],
)
def test_a_permissions_when_that_is_not_exactly_true_denies(tmp_path: Path, expr: str, why: str) -> None:
    workflow = ACCESS_WORKFLOW.replace('"${user.attributes.access_level >= 3}"', json.dumps(expr))
    proj = project(tmp_path, ACCESS_CONFIG, workflow)
    proc = cli(proj, "run", "wf.yaml", "--user", "boss")
    no_traceback(proc)
    assert proc.returncode == 1, proc.stderr
    assert proc.stderr.splitlines()[-1] == (
        f"error: access denied: user 'boss' may not run node 'guarded': condition {expr} {why}"
    )
    assert not (proj / "out" / "marker.json").exists()


# -- masking ------------------------------------------------------------------------------

MASK_CONFIG = """\
runtime: {store: .kailash/kailash.db}
security: {enable_audit_logging: true}
access_control:
  users:
    analyst: {roles: [analyst], attributes: {clearance: confidential}}
    chief: {roles: [analyst], attributes: {clearance: secret}}
  roles: {analyst: {permissions: [execute]}}
  masking_rules:
    ssn: {when: "${user.attributes.clearance != 'secret'}", mask: partial, visible_chars: 4}
    card: {mask: full}
    email: {mask: hash}
    salary: {mask: range, buckets: [0, 50000, 100000]}
"""

MASK_WORKFLOW = """\
name: people
nodes:
  people:
    type: PythonCodeNode
    config:
      code: |
        result = {"team": {"members": [{"name": "Ada", "SSN": "123-45-6789", "card": "4111111111111111",
                                        "contact": {"Email": "ada@example.com"}, "salary": 98000}]},
                  "salary": 120000}
  downstream:
    type: PythonCodeNode
    config:
      code: |
        m = team["members"][0]
        result = {"ssn_real": m["SSN"] == "123-45-6789", "card_real": m["card"] == "4111111111111111",
                  "email_real": m["contact"]["Email"] == "ada@example.com", "pay_plus_one": m["salary"] + 1}
connections:
  - people.team -> downstream.team
"""


def test_masking_rules_apply_at_any_depth_to_what_is_shown_and_stored_not_to_nodes(tmp_path: Path) -> None:
    proj = project(tmp_path, MASK_CONFIG, MASK_WORKFLOW)
    analyst = cli(proj, "run", "wf.yaml", "--user", "analyst", "--output", "json")
    assert analyst.returncode == 0, analyst.stderr
    email_hash = "sha256:" + hashlib.sha256(b"ada@example.com").hexdigest()
    masked = {
        "team": {
            "members": [
                {
                    "name": "Ada",
                    "SSN": "*******6789",
                    "card": "***",
                    "contact": {"Email": email_hash},
                    "salary": "50000-100000",
                }
            ]
        },
        "salary": ">=100000",
    }
    downstream = {"ssn_real": True, "card_real": True, "email_real": True, "pay_plus_one": 98001}
    doc = json.loads(analyst.stdout)
    assert doc["outputs"] == {"people": {"result": masked}, "downstream": {"result": downstream}}

    shown = json.loads(cli(proj, "runs", "show", doc["run_id"], "-o", "json").stdout)
    assert shown["outputs"] == doc["outputs"]
    with sqlite3.connect(proj / ".kailash" / "kailash.db") as db:
        rows = dict(
            db.execute(
                "SELECT node_id, outputs FROM node_executions WHERE run_id = ?", (doc["run_id"],)
            ).fetchall()
        )
    assert json.loads(rows["people"])["result"] == masked
    assert json.loads(rows["people"])["team"] == masked["team"]
    raw = kailash_bytes(proj)
    for clear in (b"123-45-6789", b"4111111111111111", b"ada@example.com"):
        assert clear not in raw

    chief = cli(proj, "run", "wf.yaml", "--user", "chief")  # the ssn rule's when is false for them
    assert chief.returncode == 0, chief.stderr
    seen = json.loads(chief.stdout)["people"]["result"]["team"]["members"][0]
    assert (seen["SSN"], seen["card"], seen["salary"]) == ("123-45-6789", "***", "50000-100000")


# -- limits -------------------------------------------------------------------------------


@pytest.mark.e2e
def test_execution_timeout_is_every_nodes_default_timeout(tmp_path: Path) -> None:
    config = "runtime: {store: .kailash/kailash.db}\nsecurity: {execution_timeout: 1}\n"
    workflow = """\
name: slow
nodes:
  stuck:
    type: PythonCodeNode
    config:
      code: |
        import time
        for _ in range(600):
            time.sleep(0.1)
        result = "finished"
  patient:
    type: PythonCodeNode
    timeout: 20
    config: {code: "import time; time.sleep(1.5); result = 'done'"}
  after:
    type: PythonCodeNode
    config: {code: "result = x", x: "${nodes.stuck.result}"}
"""
    proj = project(tmp_path, config, workflow)
    began = time.monotonic()
    proc = cli(proj, "run", "wf.yaml", "--output", "json")
    assert time.monotonic() - began < 30  # stopped promptly, not after the node's 60 s
    assert proc.returncode == 1, proc.stderr
    doc = json.loads(proc.stdout)
    assert {n: (r["status"], r["error"]) for n, r in doc["nodes"].items()} == {
        "stuck": ("failed", "TimeoutError: timed out after 1s"),
        "patient": ("succeeded", None),  # its own timeout wins over the default
        "after": ("skipped", "input from 'stuck' did not arrive (failed)"),
    }
    assert doc["outputs"] == {"patient": {"result": "done"}}


INTERVALS = """
import threading, time

_lock = threading.Lock()
_state = {"active": 0}

def work(i):
    with _lock:
        _state["active"] += 1
        seen = _state["active"]
        start = time.monotonic()
    time.sleep(0.3)
    with _lock:
        end = time.monotonic()
        _state["active"] -= 1
    return {"start": start, "end": end, "seen": seen}
"""


def _concurrency_workflow(nodes: int) -> str:
    body = "".join(
        f"  n{i}:\n    type: PythonCodeNode\n    config: {{function: './fns.py:work', i: {i}}}\n"
        for i in range(nodes)
    )
    return f"name: cores\nruntime: {{max_concurrency: 8}}\nnodes:\n{body}"


@pytest.mark.parametrize(("cores", "nodes"), [(1, 3), (2, 4)])
def test_cpu_cores_caps_concurrency(tmp_path: Path, cores: int, nodes: int) -> None:
    config = (
        f"runtime:\n  max_concurrency: 16\n  store: .kailash/kailash.db\n"
        f"  resource_limits: {{cpu_cores: {cores}}}\n"
    )
    proj = project(tmp_path, config, _concurrency_workflow(nodes), **{"fns.py": INTERVALS})
    proc = cli(proj, "run", "wf.yaml")
    assert proc.returncode == 0, proc.stderr
    spans = sorted(
        (r["result"]["start"], r["result"]["end"], r["result"]["seen"])
        for r in json.loads(proc.stdout).values()
    )
    assert len(spans) == nodes
    most = max(sum(1 for s, e, _ in spans if s <= point < e) for point, _, _ in spans)
    assert most == cores  # never more than the cap, and the cap is reached (the test can fail)
    assert max(seen for _, _, seen in spans) == cores
    if cores == 1:
        assert all(end <= nxt for (_, end, _), (nxt, _, _) in zip(spans, spans[1:], strict=False))


HOG = """\
name: hog
nodes:
  hog:
    type: PythonCodeNode
    config:
      code: |
        import time
        chunks = []
        for i in range(40):
          BODY
        result = len(chunks)
  after:
    type: JSONWriterNode
    config: {file_path: out/after.json, data: "${nodes.hog.result}"}
"""
ALLOCATE = "chunks.append(bytearray(10_000_000)); time.sleep(0.02)"
SWALLOW = f"""try:
              {ALLOCATE}
          except BaseException:
              pass"""


@pytest.mark.e2e
@pytest.mark.parametrize("variant", ["worker", "inline", "swallows", "memory_mb"])
def test_memory_limit_stops_the_run(tmp_path: Path, variant: str) -> None:
    """Allocating 400 MB under a 200 MB limit stops the run: in a worker thread (a node
    timeout applies), on the main thread, when the node swallows the interruption, and
    with ``resource_limits.memory_mb`` smaller than ``memory_limit`` (the smaller wins)."""
    config = "runtime: {store: .kailash/kailash.db}\nsecurity:\n  memory_limit: 200MB\n"
    config += "  execution_timeout: 60\n" if variant == "worker" else ""
    if variant == "memory_mb":  # 190 MiB = 199.2 MB
        config = (
            "runtime:\n  store: .kailash/kailash.db\n  resource_limits: {memory_mb: 190}\n"
            "security: {memory_limit: 1GB}\n"
        )
    workflow = HOG.replace("BODY", SWALLOW if variant == "swallows" else ALLOCATE)
    proj = project(tmp_path, config, workflow)
    began = time.monotonic()
    proc = cli_e2e(proj, "run", "wf.yaml")
    assert time.monotonic() - began < 30
    no_traceback(proc)
    assert proc.returncode == 1, proc.stderr
    # the hog produced nothing, unless it swallowed the interruption and finished; nothing after it ran
    assert set(json.loads(proc.stdout)) == ({"hog"} if variant == "swallows" else set())
    limit = "199.2 MB" if variant == "memory_mb" else "200 MB"
    [error] = [line for line in proc.stderr.splitlines() if line.startswith("error: ")]
    assert error.startswith(f"error: memory limit {limit} exceeded: the run used ")
    assert error.endswith("; the run was stopped (security.memory_limit / runtime.resource_limits.memory_mb)")
    assert proc.stderr.splitlines()[-1].startswith("run ")  # the summary: the run ended, recorded
    assert not (proj / "out" / "after.json").exists()
    runs = json.loads(cli(proj, "runs", "list", "-o", "json").stdout)
    assert [r["status"] for r in runs] == ["failed"]


@pytest.mark.e2e
def test_memory_limit_runs_no_node_after_the_limit_was_passed(tmp_path: Path) -> None:
    config = "runtime: {store: .kailash/kailash.db}\nsecurity:\n  memory_limit: 200MB\n"
    proj = project(tmp_path, config, HOG.replace("BODY", SWALLOW))
    proc = cli_e2e(proj, "run", "wf.yaml")
    assert proc.returncode == 1, proc.stderr
    assert not (proj / "out" / "after.json").exists()


# -- command validation -------------------------------------------------------------------

SHELL_WORKFLOW = """\
name: shell
nodes:
  run_:
    type: PythonCodeNode
    config: {code: "import subprocess; subprocess.run(['touch', 'm_run']); result = 1"}
  system:
    type: PythonCodeNode
    config: {code: "import os; result = os.system('touch m_system')"}
  popen:
    type: PythonCodeNode
    config: {code: "import os; result = os.popen('touch m_popen').read()"}
  spawn:
    type: PythonCodeNode
    config:
      code: |
        import os, shutil
        pid = os.posix_spawn(shutil.which("touch"), ["touch", "m_spawn"], os.environ)
        result = os.waitpid(pid, 0)[1]
  thread:
    type: PythonCodeNode
    config:
      code: |
        import os, threading
        box = []
        def attempt():
            try:
                box.append(os.system("touch m_thread"))
            except PermissionError as e:
                box.append(str(e))
        t = threading.Thread(target=attempt)
        t.start()
        t.join()
        result = box[0]
"""
SHELL_MARKERS = ["m_popen", "m_run", "m_spawn", "m_system", "m_thread"]


def test_command_validation_refuses_process_creation_from_nodes(tmp_path: Path) -> None:
    config = "runtime: {store: .kailash/kailash.db}\nsecurity: {enable_command_validation: true}\n"
    proj = project(tmp_path, config, SHELL_WORKFLOW)
    proc = cli(proj, "run", "wf.yaml", "--output", "json")
    no_traceback(proc)
    assert proc.returncode == 1, proc.stderr
    nodes = json.loads(proc.stdout)["nodes"]
    refused = "refused by security.enable_command_validation"

    def refusal(node: str, event: str) -> tuple[str, str]:
        return ("failed", f"PermissionError: node '{node}' tried to start a process ({event}); {refused}")

    assert {n: (r["status"], r["error"]) for n, r in nodes.items() if n != "thread"} == {
        "run_": refusal("run_", "subprocess.Popen"),
        "system": refusal("system", "os.system"),
        "popen": refusal("popen", "subprocess.Popen"),
        "spawn": refusal("spawn", "os.posix_spawn"),
    }
    thread_result = json.loads(proc.stdout)["outputs"]["thread"]["result"]
    assert thread_result == (
        f"a thread started during the run tried to start a process (os.system); {refused}"
    )
    assert [m for m in SHELL_MARKERS if (proj / m).exists()] == []


@pytest.mark.e2e
def test_without_command_validation_nodes_may_start_processes(tmp_path: Path) -> None:
    config = "runtime: {store: .kailash/kailash.db}\nsecurity: {enable_command_validation: false}\n"
    proj = project(tmp_path, config, SHELL_WORKFLOW)
    proc = cli_e2e(proj, "run", "wf.yaml", "--output", "json")
    assert proc.returncode == 0, proc.stderr
    assert {n: r["status"] for n, r in json.loads(proc.stdout)["nodes"].items()} == dict.fromkeys(
        ["run_", "system", "popen", "spawn", "thread"], "succeeded"
    )
    assert [m for m in SHELL_MARKERS if (proj / m).exists()] == SHELL_MARKERS


# -- audit log ----------------------------------------------------------------------------

AUDIT_CONFIG = """\
runtime: {store: .kailash/kailash.db}
security: {enable_audit_logging: true, audit_log: logs/trail.jsonl}
"""

AUDIT_WORKFLOW = """\
name: audited
nodes:
  a: {type: PythonCodeNode, config: {code: "result = 1"}}
  b: {type: PythonCodeNode, config: {code: "result = x + 1", x: "${nodes.a.result}"}}
  c: {type: PythonCodeNode, config: {code: "result = x * 2", x: "${nodes.b.result}"}}
"""


def test_a_tampered_audit_entry_is_found(tmp_path: Path) -> None:
    proj = project(tmp_path, AUDIT_CONFIG, AUDIT_WORKFLOW)
    assert cli(proj, "run", "wf.yaml").returncode == 0
    log = proj / "logs" / "trail.jsonl"
    intact = cli(proj, "audit", "verify", log)
    assert (intact.returncode, intact.stdout) == (0, "intact: 5 entries\n")
    lines = log.read_text(encoding="utf-8").splitlines(keepends=True)
    entry = json.loads(lines[2])
    assert (entry["event"], entry["node"], entry["status"]) == ("node_execution", "b", "succeeded")
    entry["status"] = "failed"
    lines[2] = json.dumps(entry, ensure_ascii=False, separators=(",", ":")) + "\n"
    log.write_text("".join(lines), encoding="utf-8")
    proc = cli(proj, "audit", "verify", log)
    assert (proc.returncode, proc.stdout) == (
        1,
        f"{log}: entry 4 is broken: prev does not match the hash "
        "of entry 3: entry 3 was edited, or entries were removed "
        "or reordered\n",
    )
    del lines[2:4]  # removing the edited entry (and its witness) is found too
    log.write_text("".join(lines), encoding="utf-8")
    proc = cli(proj, "audit", "verify", log)
    assert (proc.returncode, proc.stdout.split(": prev")[0]) == (1, f"{log}: entry 3 is broken")


@pytest.mark.e2e
def test_concurrent_runs_append_to_one_audit_log_without_breaking_the_chain(tmp_path: Path) -> None:
    proj = project(tmp_path, AUDIT_CONFIG, AUDIT_WORKFLOW)
    procs = [popen_e2e("run", "wf.yaml", "--output", "json", cwd=proj, env=_env()) for _ in range(4)]
    run_ids = []
    for p in procs:
        out, err = p.communicate(timeout=60)
        assert p.returncode == 0, err
        run_ids.append(json.loads(out)["run_id"])
    proc = cli(proj, "audit", "verify", "logs/trail.jsonl")
    assert (proc.returncode, proc.stdout) == (0, "intact: 20 entries\n")
    entries = audit_entries(proj / "logs" / "trail.jsonl")
    assert sorted(e["run_id"] for e in entries) == sorted(run_ids * 5)
    for run_id in run_ids:
        events = [e["event"] for e in entries if e["run_id"] == run_id]
        assert events == ["run_started", "node_execution", "node_execution", "node_execution", "run_finished"]


# -- the example --------------------------------------------------------------------------


def test_the_secure_example_masks_for_analysts_and_refuses_interns(tmp_path: Path) -> None:
    proj = Path(os.path.realpath(tmp_path)) / "secure"
    shutil.copytree(
        REPO / "workflows" / "secure", proj, ignore=shutil.ignore_patterns(".kailash", "out", "__pycache__")
    )
    env = {"API_KEY": "example-api-key-0123456789abcdef"}
    intern = cli(proj, "run", "report.yaml", "--user", "intern_007", env=env)
    assert intern.returncode == 1
    assert intern.stderr.startswith(
        "error: access denied: user 'intern_007' may not run nodes: none of roles [intern]"
    )
    assert not (proj / "out").exists()
    analyst = cli(proj, "run", "report.yaml", "--user", "analyst_001", env=env)
    assert analyst.returncode == 0, analyst.stderr
    result = json.loads(analyst.stdout)
    assert result["file"] == str(proj / "out" / "payroll.json")
    assert [(e["name"], e["ssn"], e["salary"], e["authenticated"]) for e in result["employees"]][:2] == [
        ("Ada Lovelace", "*******6789", "50000-100000", True),
        ("Alan Turing", "*******4321", ">=100000", True),
    ]
    written = json.loads((proj / "out" / "payroll.json").read_text(encoding="utf-8"))
    assert written[0]["ssn"] == "123-45-6789"  # the nodes work on real values
    assert env["API_KEY"] not in analyst.stdout + analyst.stderr
    assert cli(proj, "audit", "verify").returncode == 0

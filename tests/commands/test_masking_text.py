"""Masking rules in text too: a masked value node code prints or an exception quotes is
masked in every place it goes (stderr, JSON logs, the run document, the store, the dead
letters, the audit log), for the users the rule masks, and shown for the others.

Through the CLI in-process, as a user runs it (``tests/helpers.py``'s ``kailash``).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import subprocess
from collections.abc import Mapping
from pathlib import Path

import pytest
from helpers import kailash, write

SSN, SSN_SHOWN = "123-45-6789", "*******6789"
TAX_ID, TAX_ID_SHOWN = 987654321, "*****4321"  # an int, printed as digits
EMAIL = "ada@example.com"
KEY = "k3y-for-the-tests"
EMAIL_SHOWN = "hmac-sha256:" + hmac.new(KEY.encode(), EMAIL.encode(), hashlib.sha256).hexdigest()
CLEAR = (SSN, str(TAX_ID), EMAIL)

CONFIG = """\
runtime: {store: .kailash/kailash.db}
security: {enable_audit_logging: true}
access_control:
  users:
    analyst: {roles: [analyst], attributes: {clearance: confidential}}
    chief: {roles: [analyst], attributes: {clearance: secret}}
  masking_rules:
    ssn: {when: "${user.attributes.clearance != 'secret'}", mask: partial, visible_chars: 4}
    tax_id: {when: "${user.attributes.clearance != 'secret'}", mask: partial, visible_chars: 4}
    email: {when: "${user.attributes.clearance != 'secret'}", mask: hash, key_env: MASK_KEY}
    code: {mask: full}
    salary: {mask: range, buckets: [0, 50000, 100000]}
"""

WORKFLOW = """\
name: leaky
nodes:
  people:
    type: PythonCodeNode
    config:
      code: |
        result = [{"name": "Ada", "ssn": "123-45-6789", "tax_id": 987654321,
                   "contact": {"email": "ada@example.com"}, "code": "12", "salary": 5000}]
  boom:
    type: PythonCodeNode
    config:
      code: |
        import logging, sys
        row = rows[0]
        print("row:", row)
        print("tax id", row["tax_id"], "code 12 of 120, pay 5000 not 150000", file=sys.stderr)
        logging.getLogger("boom").warning("mail %s", row["contact"]["email"])
        raise ValueError(f"bad ssn {row['ssn']} for {row['contact']['email']}")
connections:
  - people.result -> boom.rows
"""

_DROP = ("KAILASH_LOG_FORMAT", "KAILASH_USER")


def cli(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    environ = {k: v for k, v in os.environ.items() if k not in _DROP}
    environ.update({"NO_COLOR": "1", "MASK_KEY": KEY})
    return kailash(*args, cwd=cwd, env=environ)


def project(tmp_path: Path, workflow: str = WORKFLOW) -> Path:
    write(tmp_path / "kailash.yaml", CONFIG)
    write(tmp_path / "wf.yaml", workflow)
    return tmp_path


def stored_bytes(proj: Path) -> bytes:
    """Every byte kailash keeps in the project: the store (.db, -wal, -shm) and the audit log."""
    return b"".join(p.read_bytes() for p in sorted((proj / ".kailash").rglob("*")) if p.is_file())


def the_dead_letter(proj: Path) -> dict[str, object]:
    """The run's one dead letter, as `kailash dlq show ID -o json` gives it."""
    [letter] = json.loads(cli(proj, "dlq", "list", "-o", "json").stdout)
    return json.loads(cli(proj, "dlq", "show", str(letter["id"]), "-o", "json").stdout)  # type: ignore[no-any-return]


def events(proc: subprocess.CompletedProcess[str], event: str) -> list[Mapping[str, object]]:
    found = [json.loads(line) for line in proc.stderr.splitlines() if line.startswith("{")]
    return [e for e in found if e["event"] == event]


def test_a_masked_input_printed_or_quoted_by_an_exception_is_masked_everywhere(tmp_path: Path) -> None:
    proj = project(tmp_path)
    text = cli(proj, "-v", "run", "wf.yaml", "--user", "analyst")  # -v: the traceback too
    as_json = cli(proj, "run", "wf.yaml", "--user", "analyst", "--output", "json")
    json_log = cli(proj, "--log-format", "json", "run", "wf.yaml", "--user", "analyst")
    seen = [text, as_json, json_log]
    for proc in seen:
        assert proc.returncode == 1, proc.stderr
    error = f"ValueError: bad ssn {SSN_SHOWN} for {EMAIL_SHOWN}"

    lines = text.stderr.splitlines()
    assert (
        f"[boom] row: {{'name': 'Ada', 'ssn': '{SSN_SHOWN}', 'tax_id': {TAX_ID_SHOWN}, "
        + (f"'contact': {{'email': '{EMAIL_SHOWN}'}}, 'code': '12', 'salary': 0-50000}}")
        in lines
    )
    # short values (under 4 characters) stay; a value is replaced only where it stands whole
    assert f"tax id {TAX_ID_SHOWN} code 12 of 120, pay 0-50000 not 150000" in lines
    assert any(line.startswith("FAIL boom") and line.endswith(error) for line in lines)
    assert error in text.stderr.split("Traceback")[1]

    doc = json.loads(as_json.stdout)
    assert doc["nodes"]["boom"]["error"] == error
    printed = [e["line"] for e in events(json_log, "node_output")]
    assert f"tax id {TAX_ID_SHOWN} code 12 of 120, pay 0-50000 not 150000" in printed
    assert any(SSN_SHOWN in line and EMAIL_SHOWN in line for line in printed)
    assert [e["message"] for e in events(json_log, "node_log")] == [f"mail {EMAIL_SHOWN}"]
    finished = [e["error"] for e in events(json_log, "node_finished") if e["node"] == "boom"]
    assert finished == [error]

    run_id = str(doc["run_id"])
    shown, shown_text = cli(proj, "runs", "show", run_id, "-o", "json"), cli(proj, "runs", "show", run_id)
    letters = cli(proj, "dlq", "list", "-o", "json")
    letter_id = str(next(d["id"] for d in json.loads(letters.stdout) if d["run_id"] == run_id))
    letter, letter_text = (
        cli(proj, "dlq", "show", letter_id, "-o", "json"),
        cli(proj, "dlq", "show", letter_id),
    )
    seen += [shown, shown_text, letters, letter, letter_text]
    assert json.loads(shown.stdout)["nodes"]["boom"]["error"] == error
    assert error in shown_text.stdout
    assert json.loads(letter.stdout)["error"] == error
    assert f"error: {error}" in letter_text.stdout
    audit = (proj / ".kailash" / "audit.jsonl").read_text(encoding="utf-8")
    assert f'"error":"{error}"' in audit

    for proc in seen:
        for clear in CLEAR:
            assert clear not in proc.stdout and clear not in proc.stderr, (proc.args, clear)
    for clear in CLEAR:
        assert clear.encode() not in stored_bytes(proj), clear


def test_a_user_the_rules_do_not_mask_for_sees_the_values_in_prints_and_errors(tmp_path: Path) -> None:
    proj = project(tmp_path)
    proc = cli(proj, "run", "wf.yaml", "--user", "chief", "--output", "json")
    assert proc.returncode == 1, proc.stderr
    error = f"ValueError: bad ssn {SSN} for {EMAIL}"
    assert json.loads(proc.stdout)["nodes"]["boom"]["error"] == error
    assert f"tax id {TAX_ID} code 12 of 120, pay 0-50000 not 150000" in proc.stderr.splitlines()
    assert f"[boom] row: {{'name': 'Ada', 'ssn': '{SSN}', 'tax_id': {TAX_ID}, " in proc.stderr
    run_id = str(json.loads(proc.stdout)["run_id"])
    assert (
        json.loads(cli(proj, "runs", "show", run_id, "-o", "json").stdout)["nodes"]["boom"]["error"] == error
    )
    assert error in (proj / ".kailash" / "audit.jsonl").read_text(encoding="utf-8")


RETURNED = """\
name: returned
nodes:
  lookup:
    type: PythonCodeNode
    config:
      code: |
        result = {"ssn": "123-45-6789"}
  later:
    type: PythonCodeNode
    config:
      given: "${nodes.lookup.result.ssn}"
      code: |
        print("got", given)
        result = given
"""


@pytest.mark.parametrize("user", ["analyst", "chief"])
def test_a_value_learned_from_a_nodes_outputs_is_masked_where_a_later_node_prints_it(
    tmp_path: Path, user: str
) -> None:
    proj = project(tmp_path, RETURNED)  # ``given`` matches no rule: the value was learned from lookup
    proc = cli(proj, "run", "wf.yaml", "--user", user)
    assert proc.returncode == 0, proc.stderr
    assert f"[later] got {SSN_SHOWN if user == 'analyst' else SSN}" in proc.stderr.splitlines()


RETRIED = """\
name: retried
nodes:
  people:
    type: PythonCodeNode
    config:
      code: |
        result = {"ssn": "123-45-6789"}
  flaky:
    type: PythonCodeNode
    config:
      code: |
        raise ConnectionError(f"no answer for {row['ssn']}")
    retry: {max_attempts: 2, strategy: immediate}
  alert:
    type: PythonCodeNode
    config:
      why: "${failure.error}"
      code: |
        print("alert:", why)
        result = why
connections:
  - people.result -> flaky.row
on_failure: [alert]
"""


def test_a_retried_error_and_an_alerts_failure_error_are_masked(tmp_path: Path) -> None:
    proj = project(tmp_path, RETRIED)
    proc = cli(proj, "--log-format", "json", "run", "wf.yaml", "--user", "analyst")
    assert proc.returncode == 1, proc.stderr
    error = f"ConnectionError: no answer for {SSN_SHOWN}"
    assert [e["error"] for e in events(proc, "node_retrying")] == [error]
    assert [e["line"] for e in events(proc, "node_output")] == [f"alert: {error}"]
    assert SSN not in proc.stderr
    assert SSN.encode() not in stored_bytes(proj)  # the alert's own outputs hold the masked error


PASSED_ON = """\
name: passed-on
nodes:
  lookup:
    type: PythonCodeNode
    config: {code: "result = {'ssn': '123-45-6789'}"}
  later:
    type: PythonCodeNode
    config:
      given: "${nodes.lookup.result.ssn}"
      code: "raise ValueError('no')"
    batch: {on_item_error: dead_letter}
    foreach: "${[1]}"
"""


def test_a_masked_value_passed_on_under_another_key_is_masked_in_the_dead_letter(tmp_path: Path) -> None:
    proj = project(tmp_path, PASSED_ON)
    proc = cli(proj, "run", "wf.yaml", "--user", "analyst")
    assert proc.returncode == 0, proc.stderr
    shown = the_dead_letter(proj)
    assert shown["inputs"]["given"] == SSN_SHOWN
    assert SSN.encode() not in stored_bytes(proj)


PASSED_ON_INT = """\
name: passed-on-int
params:
  ssn: {type: string, default: "123-45-6789"}
nodes:
  lookup:
    type: PythonCodeNode
    config: {code: "result = {'tax_id': 987654321}"}
  later:
    type: PythonCodeNode
    config:
      given: "${nodes.lookup.result.tax_id}"
      code: "raise ValueError('no')"
    batch: {on_item_error: dead_letter}
    foreach: "${[1]}"
"""


def test_a_masked_number_passed_on_and_a_masked_param_are_masked_in_dead_letters_and_logs(
    tmp_path: Path,
) -> None:
    proj = project(tmp_path, PASSED_ON_INT)
    proc = cli(proj, "run", "wf.yaml", "--user", "analyst", "--log-format", "json")
    assert proc.returncode == 0, proc.stderr
    [started] = events(proc, "run_started")
    assert started["params"] == {"ssn": SSN_SHOWN}
    shown = the_dead_letter(proj)
    assert shown["inputs"]["given"] == TAX_ID_SHOWN
    assert str(TAX_ID) not in proc.stderr and SSN not in proc.stderr


PARAM_PASSED_ON = """\
name: param-passed-on
params:
  ssn: {type: string}
nodes:
  later:
    type: PythonCodeNode
    config:
      other: "${params.ssn}"
      code: "raise ValueError(f'no {other}')"
    batch: {on_item_error: dead_letter}
    foreach: "${[1]}"
"""


def test_a_masked_param_passed_on_under_another_key_is_masked_too(tmp_path: Path) -> None:
    proj = project(tmp_path, PARAM_PASSED_ON)
    proc = cli(proj, "run", "wf.yaml", "--user", "analyst", "-p", f"ssn={SSN}")
    assert proc.returncode == 0, proc.stderr
    shown = the_dead_letter(proj)
    assert shown["inputs"]["other"] == SSN_SHOWN
    assert shown["error"] == f"ValueError: no {SSN_SHOWN}"
    assert SSN.encode() not in stored_bytes(proj)

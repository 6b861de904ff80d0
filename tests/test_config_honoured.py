"""Issue 13, item 4: every config key the schema takes does something."""

from __future__ import annotations

import hashlib
import hmac
from pathlib import Path

import pytest
from helpers import first_finding, kailash, write

from kailash_cli.errors import UsageError
from kailash_cli.security.access import AccessControl, User, mask_value

CONFIG = """\
access_control:
  strategy: {strategy}
  users:
    bob: {{roles: [viewer]}}
    ann: {{roles: [analyst]}}
    free: {{roles: [unlisted]}}
  roles:
    viewer: {{permissions: []}}
    analyst: {{permissions: [execute], inherits: [viewer]}}
"""
WORKFLOW = """\
name: plain
nodes:
  a: {type: PythonCodeNode, config: {code: "result = 1"}}
"""


@pytest.mark.parametrize(
    ("strategy", "user", "code", "stderr"),
    [
        (
            "rbac",
            "bob",
            1,
            "error: access denied: user 'bob' may not run nodes: none of roles [viewer] grants execute "
            "(add it to a role's permissions in access_control.roles)\n",
        ),
        ("rbac", "ann", 0, ""),
        ("rbac", "free", 0, ""),  # a role with no entry in roles: needs none
        ("abac", "bob", 0, ""),  # abac: the nodes' own rules decide
    ],
)
def test_role_permissions_gate_every_node(
    tmp_path: Path, strategy: str, user: str, code: int, stderr: str
) -> None:
    write(tmp_path / "kailash.yaml", CONFIG.format(strategy=strategy))
    write(tmp_path / "wf.yaml", WORKFLOW)

    proc = kailash("run", "wf.yaml", "--user", user, "-q", cwd=tmp_path)

    assert (proc.returncode, proc.stderr) == (code, stderr)


def test_a_keyed_hash_mask_needs_its_key_and_uses_it() -> None:
    rules = {"ssn": {"mask": "hash", "key_env": "MASK_KEY"}}

    with pytest.raises(UsageError) as missing:
        AccessControl.from_config({"masking_rules": rules}, environ={})
    access = AccessControl.from_config(
        {"masking_rules": rules, "users": {"u": {}}}, environ={"MASK_KEY": "k" * 32}
    )

    assert str(missing.value) == (
        "masking rule 'ssn': environment variable MASK_KEY (key_env) is not set; "
        "set it to a long random secret"
    )
    expected = hmac.new(b"k" * 32, b"123-45-6789", hashlib.sha256).hexdigest()
    assert access.mask({"ssn": "123-45-6789"}, User("u")) == {"ssn": "hmac-sha256:" + expected}
    assert mask_value("x", {"mask": "hash"}) == "sha256:" + hashlib.sha256(b"x").hexdigest()


def test_an_unkeyed_hash_mask_is_a_warning(tmp_path: Path) -> None:
    config = "access_control:\n  masking_rules:\n    email: {mask: hash}\n"

    assert first_finding(tmp_path, "kailash.yaml", config) == (
        "kailash.yaml:3:19: warning KV503: masking rule 'email' has mask: hash without key_env: anyone can "
        "hash the likely values (every SSN, every email of a list) and find the masked one; "
        "fix: add key_env: NAME, an environment variable holding a long random key"
    )


def test_a_config_beside_the_workflow_that_is_not_used_is_a_warning(tmp_path: Path) -> None:
    write(tmp_path / "proj" / "kailash.yaml", "runtime: {max_concurrency: 2}\n")
    write(tmp_path / "proj" / "wf.yaml", WORKFLOW)
    (tmp_path / "elsewhere").mkdir()

    away = kailash("run", "../proj/wf.yaml", cwd=tmp_path / "elsewhere")
    home = kailash("run", "wf.yaml", cwd=tmp_path / "proj")

    assert away.returncode == 0
    assert away.stderr.splitlines()[0] == (
        "warning: ../proj/kailash.yaml is not used (no config is in use); "
        "run from ../proj or pass -c ../proj/kailash.yaml"
    )
    assert "is not used" not in home.stderr
    piped = kailash("run", "../proj/wf.yaml", "-c", "-", cwd=tmp_path / "elsewhere", input="runtime: {}\n")
    assert piped.stderr.splitlines()[0] == (
        "warning: ../proj/kailash.yaml is not used (the config in use is standard input); "
        "run from ../proj or pass -c ../proj/kailash.yaml"
    )


def test_monitoring_off_keeps_metrics_in(tmp_path: Path) -> None:
    from tests.serve_helpers import Client, app

    write(tmp_path / "kailash.yaml", "runtime: {store: .kailash/kailash.db, enable_monitoring: false}\n")
    write(tmp_path / "workflows" / "wf.yaml", WORKFLOW)

    with Client(app(tmp_path)) as client:
        response = client.get("/metrics")
    refused = kailash("run", "workflows/wf.yaml", "--metrics-file", "m.prom", cwd=tmp_path)
    plain = kailash("run", "workflows/wf.yaml", cwd=tmp_path)

    assert (response.status_code, response.json()) == (
        404,
        {"error": {"message": "metrics are off: runtime.enable_monitoring is false in the config"}},
    )
    assert (refused.returncode, refused.stderr) == (
        2,
        "error: --metrics-file / --push-gateway: runtime.enable_monitoring is false in the config; "
        "drop the option or set enable_monitoring: true\n",
    )
    assert plain.returncode == 0

"""``kailash serve``: what refuses the start (exit 2, one line each), in-process."""

from __future__ import annotations

import socket
import sys
from pathlib import Path

import pytest

from tests.helpers import kailash, no_traceback, write
from tests.serve_helpers import HELLO, project


def test_without_the_extra_one_line_says_what_to_install(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "uvicorn", None)

    proc = kailash("serve", project(tmp_path) / "workflows", cwd=tmp_path)

    assert proc.returncode == 2
    assert proc.stderr == (
        "error: kailash serve needs uvicorn, which is not installed; pip install 'kailash-cli[serve]'\n"
    )


def test_an_invalid_workflow_refuses_the_start_with_its_findings(tmp_path: Path) -> None:
    root = project(tmp_path, hello=HELLO)
    write(root / "workflows" / "bad.yaml", "name: bad\nnodes:\n  a: {type: NoSuchNode}\n")

    proc = kailash("serve", "workflows", cwd=root)

    assert proc.returncode == 2
    lines = proc.stderr.splitlines()
    assert lines[0].startswith("workflows/bad.yaml:3:13: error KV202: node 'a': unknown node type")
    assert lines[-1] == ("error: the workflows in workflows is invalid: 1 error(s); fix them and try again")


def test_a_token_for_an_unknown_user_is_a_config_finding_that_refuses_the_start(tmp_path: Path) -> None:
    config = "serve:\n  tokens: [{env: TOKEN_X, user: bob}]\naccess_control: {users: {ana: {roles: [a]}}}\n"
    root = project(tmp_path, config, hello=HELLO)
    proc = kailash("serve", "workflows", cwd=root, extra_env={"TOKEN_X": "abc"})

    assert proc.returncode == 2
    assert "error KV104: serve.tokens[0].user: 'bob' is not in access_control.users" in proc.stderr
    assert proc.stderr.splitlines()[-1] == "error: the config is invalid: 1 error(s); fix them and try again"


@pytest.mark.parametrize(
    ("config", "env", "message"),
    [
        (
            "serve:\n  tokens: [{env: TOKEN_X, user: ana}]\naccess_control: {users: {ana: {roles: [a]}}}\n",
            {},
            "error: serve.tokens[0]: environment variable TOKEN_X is not set; export the token in it",
        ),
        (
            "serve:\n  tokens: [{env: TOKEN_X, user: ana}]\naccess_control: {users: {ana: {roles: [a]}}}\n",
            {"TOKEN_X": "same", "KAILASH_API_TOKEN": "same"},
            "error: two token variables hold the same token for different users; give each its own",
        ),
        (
            "serve: {grace_period: 0s}\n",
            {},
            "error: serve.grace_period: duration '0s' must be more than 0 seconds",
        ),
        (
            "serve: {trusted_proxies: [proxy.local]}\n",
            {},
            "error: serve.trusted_proxies: 'proxy.local' is not an IP address or network; "
            "write e.g. 10.0.0.0/8",
        ),
    ],
)
def test_a_serve_section_that_cannot_work_refuses_the_start(
    tmp_path: Path, config: str, env: dict[str, str], message: str
) -> None:
    root = project(tmp_path, config, hello=HELLO)

    proc = kailash("serve", "workflows", cwd=root, extra_env=env)

    assert (proc.returncode, proc.stderr) == (2, message + "\n")


def test_an_unknown_serve_key_is_a_config_error(tmp_path: Path) -> None:
    root = project(tmp_path, "serve: {max_bodies: 1MB}\n", hello=HELLO)

    proc = kailash("serve", "workflows", cwd=root)

    assert proc.returncode == 2
    assert "unknown field 'max_bodies'" in proc.stderr


def test_the_serve_section_validates(tmp_path: Path) -> None:
    config = """\
    serve:
      workflows: ./workflows
      max_body: 2MB
      cors_origins: ['https://ui.example.com']
      max_concurrency: 4
      grace_period: 45s
      trusted_proxies: [10.0.0.0/8]
      tokens: [{env: KAILASH_TOKEN_ANALYST, user: analyst_001}]
    access_control: {users: {analyst_001: {roles: [analyst]}}, roles: {analyst: {permissions: [execute]}}}
    """
    proc = kailash("validate", write(tmp_path / "kailash.yaml", config))

    assert proc.returncode == 0, proc.stderr


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["missing"], "error: missing: no such folder; give the folder of the workflows to serve"),
        (["empty"], "error: empty: no workflow to serve; give the folder that holds them"),
    ],
)
def test_a_folder_without_workflows_refuses_the_start(tmp_path: Path, args: list[str], message: str) -> None:
    (tmp_path / "empty").mkdir()

    proc = kailash("serve", *args, cwd=tmp_path)

    assert (proc.returncode, proc.stderr) == (2, message + "\n")


def test_two_workflows_of_one_name_refuse_the_start(tmp_path: Path) -> None:
    root = project(tmp_path, hello=HELLO)
    write(root / "workflows" / "again.yaml", HELLO)

    proc = kailash("serve", "workflows", cwd=root)

    assert proc.returncode == 2
    assert "workflow name 'hello' is also the name of" in proc.stderr


def test_a_port_in_use_is_one_line(tmp_path: Path) -> None:
    root = project(tmp_path, hello=HELLO)
    with socket.socket() as taken:
        taken.bind(("0.0.0.0", 0))
        taken.listen(1)
        port = taken.getsockname()[1]
        proc = kailash("serve", "workflows", "--host", "0.0.0.0", "--port", str(port), cwd=root)

    assert proc.returncode == 2
    assert proc.stderr.splitlines() == [
        f"error: cannot listen on 0.0.0.0:{port}: Address already in use; choose another --port",
    ]
    assert no_traceback(proc)


def test_a_host_that_does_not_resolve_is_one_line(tmp_path: Path) -> None:
    root = project(tmp_path, hello=HELLO)

    proc = kailash("serve", "workflows", "--host", "no such host", cwd=root)

    assert proc.returncode == 2
    assert proc.stderr.startswith("error: --host no such host: not an address to listen on (")

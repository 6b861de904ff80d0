"""``kailash health``: the table, the JSON document, the exit codes; a probe's view."""

from __future__ import annotations

import json
import socket
import time
from pathlib import Path

import pytest
from helpers import kailash, kailash_e2e, no_traceback, write

REDIS = "{name: cache, type: redis, url: 'redis://127.0.0.1:6379/0'}"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def project(tmp_path: Path, *checks: str, extra: str = "") -> Path:
    lines = "".join(f"    - {c}\n" for c in checks)
    write(tmp_path / "kailash.yaml", f"health:\n  timeout: 5s\n  checks:\n{lines}{extra}", dedent=False)
    return tmp_path


def test_healthy_table(tmp_path: Path) -> None:
    project(tmp_path, REDIS, "{name: mem, type: memory, max_used_percent: 100}")
    proc = kailash("health", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    assert lines[0].split() == ["NAME", "TYPE", "STATUS", "TIME", "DETAIL"]
    assert lines[1].split()[:3] == ["cache", "redis", "pass"]
    assert lines[1].endswith("PONG from 127.0.0.1:6379")
    assert lines[2].split()[:3] == ["mem", "memory", "pass"]
    assert lines[3] == "healthy: 2 checks passed"
    assert proc.stderr == ""
    assert "\x1b[" not in proc.stdout  # no colour when not a terminal


def test_unhealthy_exit_1_and_retries_shown(tmp_path: Path) -> None:
    port = free_port()
    project(tmp_path, REDIS, f"{{name: api, type: tcp, host: 127.0.0.1, port: {port}, retries: 1}}")
    proc = kailash("health", "-c", str(tmp_path / "kailash.yaml"))
    assert proc.returncode == 1
    lines = proc.stdout.splitlines()
    assert lines[2].endswith(f"connection to 127.0.0.1:{port} refused (after 2 attempts)")
    assert lines[-1] == "unhealthy: 1 of 2 checks failed (api)"


def test_json_document(tmp_path: Path) -> None:
    project(tmp_path, REDIS, "{name: full, type: memory, max_used_percent: 0}")
    proc = kailash("health", "--output", "json", cwd=tmp_path)
    assert proc.returncode == 1
    document = json.loads(proc.stdout)
    assert document["status"] == "unhealthy"
    assert [(c["name"], c["type"], c["status"], c["attempts"]) for c in document["checks"]] == [
        ("cache", "redis", "pass", 1),
        ("full", "memory", "fail", 1),
    ]
    assert all(isinstance(c["duration_ms"], float) and c["detail"] for c in document["checks"])


def test_check_subset(tmp_path: Path) -> None:
    project(tmp_path, REDIS, "{name: full, type: memory, max_used_percent: 0}")
    proc = kailash("health", "--check", "cache", "-o", "json", cwd=tmp_path)
    assert proc.returncode == 0
    assert [c["name"] for c in json.loads(proc.stdout)["checks"]] == ["cache"]
    unknown = kailash("health", "--check", "cahce", cwd=tmp_path)
    assert unknown.returncode == 2
    assert unknown.stderr == (
        "error: --check cahce: no health check of that name (did you mean 'cache'?); "
        "the config's checks: cache, full\n"
    )


def test_no_checks_is_healthy(tmp_path: Path) -> None:
    write(tmp_path / "kailash.yaml", "runtime: {max_concurrency: 2}\n")
    proc = kailash("health", cwd=tmp_path)
    assert proc.returncode == 0
    assert proc.stdout.startswith("healthy: no health checks configured in ")
    as_json = kailash("health", "-o", "json", cwd=tmp_path)
    assert json.loads(as_json.stdout) == {"status": "healthy", "checks": []}


def test_no_config_and_invalid_config_are_usage_errors(tmp_path: Path) -> None:
    proc = kailash("health", cwd=tmp_path)
    assert (proc.returncode, proc.stdout) == (2, "")
    assert proc.stderr == "error: no kailash.yaml in the current directory; give the config with -c CONFIG\n"
    missing = kailash("health", "-c", "nope.yaml", cwd=tmp_path)
    assert missing.returncode == 2 and "config file nope.yaml not found" in missing.stderr
    project(tmp_path, "{name: a, type: tcp, host: x}")
    invalid = kailash("health", cwd=tmp_path)
    assert invalid.returncode == 2
    assert invalid.stderr.splitlines()[0] == (
        f"{tmp_path / 'kailash.yaml'}:4:7: error KV101: health.checks[0] (tcp check): "
        "missing required field 'port'; fix: add 'port:' to health.checks[0]"
    )
    assert no_traceback(invalid)


def test_passwords_never_printed(tmp_path: Path) -> None:
    port = free_port()
    project(
        tmp_path,
        "{name: db, type: database, database: main}",
        f"{{name: pg, type: database, url: 'postgresql://postgres:Lit3ral-pw@127.0.0.1:{port}/test'}}",
        extra="databases:\n  main: {url: '${DATABASE_URL}'}\n",
    )
    env = {"DATABASE_URL": f"mysql://root:Env-pw-s3cret@127.0.0.1:{port}/test"}
    for output in ("text", "json"):
        proc = kailash("health", "-o", output, cwd=tmp_path, extra_env=env)
        assert proc.returncode == 1
        assert "Env-pw-s3cret" not in proc.stdout + proc.stderr
        assert "Lit3ral-pw" not in proc.stdout + proc.stderr
        assert f"mysql://root:***@127.0.0.1:{port}/test" in proc.stdout


def test_unset_variable_fails_its_check_only(tmp_path: Path) -> None:
    project(tmp_path, "{name: db, type: database, url: '${KAILASH_TEST_UNSET_URL}'}", REDIS)
    proc = kailash("health", "-o", "json", cwd=tmp_path, env={"PATH": "/usr/bin:/bin"})
    assert proc.returncode == 1
    checks = json.loads(proc.stdout)["checks"]
    assert checks[0]["detail"] == "url: environment variable KAILASH_TEST_UNSET_URL is not set"
    assert checks[1]["status"] == "pass"


@pytest.mark.e2e
def test_installed_command_as_a_probe(tmp_path: Path) -> None:
    port = free_port()
    project(
        tmp_path,
        "{name: pg, type: database, url: 'postgresql://postgres@127.0.0.1:5432/test'}",
        "{name: maria, type: database, url: 'mysql://root@127.0.0.1:3306/test'}",
        REDIS,
        f"{{name: down, type: tcp, host: 127.0.0.1, port: {port}, timeout: 1s}}",
    )
    started = time.monotonic()
    proc = kailash_e2e("health", "-o", "json", cwd=tmp_path, timeout=60)
    assert time.monotonic() - started < 30  # bounded by the checks' timeouts (a generous upper bound)
    assert proc.returncode == 1, proc.stderr
    document = json.loads(proc.stdout)
    assert [(c["name"], c["status"]) for c in document["checks"]] == [
        ("pg", "pass"),
        ("maria", "pass"),
        ("cache", "pass"),
        ("down", "fail"),
    ]
    healthy = kailash_e2e("health", "--check", "pg", "--check", "cache", cwd=tmp_path)
    assert healthy.returncode == 0 and healthy.stdout.splitlines()[-1] == "healthy: 2 checks passed"

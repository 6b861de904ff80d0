"""``kailash_cli.health.run_checks`` against the real services of this machine: PostgreSQL,
MariaDB and Redis on their usual ports, a local HTTP server, SQLite files, a down port."""

from __future__ import annotations

import json
import os
import socket
import threading
import time
import uuid
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any

import pytest
from helpers import http_server

from kailash_cli.health import CHECK_TYPES, CheckResult, HealthReport, run_checks
from kailash_cli.health import runner as health_runner
from kailash_cli.health.network import open_socket
from kailash_cli.health.resp import command
from kailash_cli.load.config import Config, check_config
from kailash_cli.load.yaml_io import load_text

POSTGRES = "postgresql://postgres@127.0.0.1:5432/test"
MARIADB = "mysql://root@127.0.0.1:3306/test"
REDIS_HOST, REDIS_PORT = "127.0.0.1", 6379


def free_port() -> int:
    """A port nothing listens on: bound once by us, then closed."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def config(*checks: dict[str, Any], base: Path | None = None, **sections: Any) -> Config:
    data = {"health": {"checks": list(checks)}, **sections}
    return Config(data=data, path=(base / "kailash.yaml") if base else None)


def one(check: dict[str, Any], base: Path | None = None, **kwargs: Any) -> CheckResult:
    report = run_checks(config({"name": "c", **check}, base=base), **kwargs)
    assert len(report.checks) == 1
    return report.checks[0]


# -- a local HTTP server ----------------------------------------------------------------


class _Handler(BaseHTTPRequestHandler):
    release: threading.Event  # set on the class by the fixture
    seen: list[tuple[str, str, str | None]]

    def _answer(self) -> None:
        self.seen.append((self.command, self.path, self.headers.get("X-Token")))
        if self.path == "/slow":
            self.release.wait(30)
        status = {"/ok": 200, "/created": 201, "/down": 503, "/slow": 200, "/moved": 302}.get(self.path, 404)
        if self.path == "/token":
            status = 200 if self.headers.get("X-Token") == "t0ken" else 401
        self.send_response(status)
        self.send_header("Content-Length", "0")
        if status == 302:
            self.send_header("Location", "/ok")
        self.end_headers()

    do_GET = do_HEAD = do_POST = _answer  # noqa: N815 - http.server's naming

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture
def http() -> Iterator[tuple[str, list[tuple[str, str, str | None]]]]:
    release = threading.Event()
    seen: list[tuple[str, str, str | None]] = []
    handler = type("Handler", (_Handler,), {"release": release, "seen": seen})
    with http_server(handler) as url:
        try:
            yield url, seen
        finally:
            release.set()  # before the server stops: a handler may be waiting for it


def test_http_pass_fail_and_expected_status(http: Any) -> None:
    base, seen = http
    assert one({"type": "http", "url": f"{base}/ok"}).detail == "HTTP 200 OK"
    moved = one({"type": "http", "url": f"{base}/moved"})
    assert (moved.status, moved.detail) == ("pass", "HTTP 302 Found")  # redirects are not followed
    down = one({"type": "http", "url": f"{base}/down"})
    assert (down.status, down.detail) == ("fail", "HTTP 503 Service Unavailable, expected a status below 400")
    listed = one({"type": "http", "url": f"{base}/ok", "expected_status": [201, 204]})
    assert (listed.status, listed.detail) == ("fail", "HTTP 200 OK, expected 201 or 204")
    created = one({"type": "http", "url": f"{base}/created", "method": "POST", "expected_status": [201]})
    assert created.status == "pass" and seen[-1][:2] == ("POST", "/created")


def test_http_headers_come_from_the_environment_and_never_show(http: Any) -> None:
    base, seen = http
    check = {"type": "http", "url": f"{base}/token", "headers": {"X-Token": "${env.API_TOKEN}"}}
    assert one(check, environ={"API_TOKEN": "t0ken"}).status == "pass"
    wrong = one({**check, "expected_status": [204]}, environ={"API_TOKEN": "t0ken"})
    assert seen[-1][2] == "t0ken"
    assert wrong.detail == "HTTP 200 OK, expected 204"
    refused = one(check, environ={"API_TOKEN": "wrong"})
    assert refused.detail == "HTTP 401 Unauthorized, expected a status below 400"


def test_http_timeout_fails_within_its_bound(http: Any) -> None:
    base, _ = http
    started = time.monotonic()
    result = one({"type": "http", "url": f"{base}/slow", "timeout": "300ms"})
    assert (result.status, result.detail) == ("fail", "no answer within 0.3 s")
    assert time.monotonic() - started < 20  # an upper bound only: the slow page waits 30 s


def test_http_connection_refused_and_bad_url() -> None:
    refused = one({"type": "http", "url": f"http://127.0.0.1:{free_port()}/"})
    assert refused.status == "fail" and refused.detail.startswith("GET failed: ")
    assert "refused" in refused.detail.lower()
    bad = one({"type": "http", "url": "ftp://example.invalid/"})
    assert bad.status == "fail" and bad.detail.startswith("GET failed: ")


def test_http_password_in_url_is_hidden() -> None:
    port = free_port()
    result = one({"type": "http", "url": f"http://admin:hunter2@127.0.0.1:{port}/"})
    assert result.status == "fail"
    assert "hunter2" not in json.dumps(result.to_dict())


# -- tcp, retries, the overall bound ----------------------------------------------------


def test_tcp_pass_and_down_port() -> None:
    assert one({"type": "tcp", "host": REDIS_HOST, "port": REDIS_PORT}).detail == (
        f"{REDIS_HOST}:{REDIS_PORT} accepts connections"
    )
    port = free_port()
    down = one({"type": "tcp", "host": "127.0.0.1", "port": port})
    assert (down.status, down.attempts, down.detail) == ("fail", 1, f"connection to 127.0.0.1:{port} refused")


def test_tcp_unknown_host() -> None:
    result = one({"type": "tcp", "host": "no-such-host.invalid", "port": 80})
    assert result.detail == "cannot resolve host 'no-such-host.invalid'"


def test_retries_are_counted() -> None:
    down = one({"type": "tcp", "host": "127.0.0.1", "port": free_port(), "retries": 2})
    assert (down.status, down.attempts) == ("fail", 3)
    up = one({"type": "tcp", "host": REDIS_HOST, "port": REDIS_PORT, "retries": 2})
    assert (up.status, up.attempts) == ("pass", 1)


def test_a_retry_can_pass(tmp_path: Path) -> None:
    # the first attempt finds no pid file; the file appears before the second attempt
    pid_file = tmp_path / "app.pid"
    attempts: list[int] = []
    real = health_runner.PROBES["process"]

    def probe(target: Any) -> str:
        attempts.append(1)
        if len(attempts) == 2:
            pid_file.write_text(str(os.getpid()))
        return real(target)

    health_runner.PROBES["process"] = probe
    try:
        result = one({"type": "process", "pid_file": "app.pid", "retries": 3}, base=tmp_path)
    finally:
        health_runner.PROBES["process"] = real
    assert (result.status, result.attempts) == ("pass", 2)


def test_a_check_that_ignores_its_timeout_is_reported_and_left(monkeypatch: Any) -> None:
    release = threading.Event()
    monkeypatch.setitem(health_runner.PROBES, "memory", lambda target: str(release.wait(60)))
    monkeypatch.setattr(health_runner, "GRACE", 0.05)
    try:
        started = time.monotonic()
        result = one({"type": "memory", "timeout": "100ms", "retries": 1})
        assert time.monotonic() - started < 30
    finally:
        release.set()
    assert (result.status, result.detail) == ("fail", "no answer within 0.4 s (timeout 0.1 s, 2 attempts)")


def test_checks_run_in_parallel() -> None:
    # each tcp attempt to a down port fails at once; 20 checks of 4 attempts (0.6 s of retry
    # delays each) take ~0.6 s in parallel, 12 s in a row
    port = free_port()
    checks = [
        {"name": f"c{i}", "type": "tcp", "host": "127.0.0.1", "port": port, "retries": 3} for i in range(20)
    ]
    started = time.monotonic()
    report = run_checks(config(*checks))
    assert [c.name for c in report.checks] == [f"c{i}" for i in range(20)]
    assert all(c.attempts == 4 for c in report.checks)
    assert time.monotonic() - started < 10


def test_run_checks_from_many_threads_at_once() -> None:
    cfg = config({"name": "cache", "type": "redis", "host": REDIS_HOST}, {"name": "m", "type": "memory"})
    reports: list[HealthReport] = []
    threads = [threading.Thread(target=lambda: reports.append(run_checks(cfg))) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert len(reports) == 8 and all(r.healthy for r in reports)


# -- the report --------------------------------------------------------------------------


def test_no_checks_is_healthy() -> None:
    assert run_checks(Config()).to_dict() == {"status": "healthy", "checks": []}
    assert run_checks(Config()).healthy


def test_report_document_and_only() -> None:
    cfg = config(
        {"name": "mem", "type": "memory", "max_used_percent": 100},
        {"name": "full", "type": "memory", "max_used_percent": 0},
    )
    document = run_checks(cfg).to_dict()
    assert document["status"] == "unhealthy"
    assert [sorted(c) for c in document["checks"]] == [
        ["attempts", "detail", "duration_ms", "name", "status", "type"]
    ] * 2
    assert [(c["name"], c["type"], c["status"]) for c in document["checks"]] == [
        ("mem", "memory", "pass"),
        ("full", "memory", "fail"),
    ]
    assert run_checks(cfg, only=["mem"]).to_dict()["status"] == "healthy"


def test_every_type_has_a_probe() -> None:
    assert set(CHECK_TYPES) == {"http", "tcp", "database", "redis", "disk", "memory", "process"}


# -- environment references ---------------------------------------------------------------


def test_env_references_resolve_at_check_time() -> None:
    check = {"type": "tcp", "host": "${HOST}", "port": REDIS_PORT}
    assert one(check, environ={"HOST": REDIS_HOST}).status == "pass"
    unset = one(check, environ={})
    assert (unset.status, unset.attempts, unset.detail) == (
        "fail",
        1,
        "host: environment variable HOST is not set",
    )
    other = one({**check, "host": "${params.host}"}, environ={})
    assert other.detail == "host: '${params.host}' is not an environment variable; write ${NAME}"


def test_a_port_from_the_environment() -> None:
    check = {"type": "tcp", "host": REDIS_HOST, "port": "${REDIS_PORT}"}
    assert one(check, environ={"REDIS_PORT": str(REDIS_PORT)}).status == "pass"
    assert one({**check, "type": "redis"}, environ={"REDIS_PORT": str(REDIS_PORT)}).status == "pass"
    bad = one(check, environ={"REDIS_PORT": "63x9"})
    assert (bad.status, bad.detail) == ("fail", "port: '63x9' is not a port number (1-65535)")
    assert (
        one(check, environ={"REDIS_PORT": "70000"}).detail == "port: '70000' is not a port number (1-65535)"
    )
    text = 'health: {checks: [{name: c, type: tcp, host: h, port: "${REDIS_PORT}"}]}'
    assert check_config(load_text(text, "kailash.yaml")) == []


def test_the_process_environment_is_the_default(monkeypatch: Any) -> None:
    monkeypatch.setenv("KAILASH_TEST_REDIS_HOST", REDIS_HOST)
    assert one({"type": "tcp", "host": "${env.KAILASH_TEST_REDIS_HOST}", "port": REDIS_PORT}).status == "pass"


# -- disk, memory, process ----------------------------------------------------------------


def test_disk_thresholds(tmp_path: Path) -> None:
    assert one({"type": "disk", "path": ".", "min_free_percent": 0}, base=tmp_path).status == "pass"
    full = one({"type": "disk", "path": str(tmp_path), "min_free_percent": 100})
    assert full.status == "fail" and full.detail.endswith(f"at {tmp_path}, need 100%")
    missing = one({"type": "disk", "path": "nope"}, base=tmp_path)
    assert missing.detail == f"path {tmp_path / 'nope'} does not exist"


def test_memory_thresholds() -> None:
    assert one({"type": "memory", "max_used_percent": 100}).status == "pass"
    used = one({"type": "memory", "max_used_percent": 0})
    assert used.status == "fail" and used.detail.endswith("limit 0%")


def test_process_by_name_and_pid_file(tmp_path: Path) -> None:
    assert one({"type": "process", "process_name": "redis-server"}).status == "pass"
    many = one({"type": "process", "process_name": "redis-server", "min_count": 1000})
    assert many.status == "fail" and many.detail.endswith("need 1000")
    none = one({"type": "process", "process_name": "no-such-program-kailash"})
    assert none.detail == "0 processes named 'no-such-program-kailash', need 1"
    (tmp_path / "me.pid").write_text(f"{os.getpid()}\n")
    mine = one({"type": "process", "pid_file": "me.pid"}, base=tmp_path)
    assert mine.status == "pass" and mine.detail.startswith(f"process {os.getpid()} (")


def test_process_pid_file_problems(tmp_path: Path) -> None:
    assert one({"type": "process", "pid_file": "x.pid"}, base=tmp_path).detail == (
        f"pid file {tmp_path / 'x.pid'} does not exist"
    )
    (tmp_path / "junk.pid").write_text("abc")
    assert one({"type": "process", "pid_file": "junk.pid"}, base=tmp_path).detail == (
        f"pid file {tmp_path / 'junk.pid'} holds no process id"
    )
    (tmp_path / "gone.pid").write_text(str(_dead_pid()))
    gone = one({"type": "process", "pid_file": "gone.pid"}, base=tmp_path)
    assert gone.status == "fail" and gone.detail.endswith("is not running")
    (tmp_path / "me.pid").write_text(str(os.getpid()))
    other = one({"type": "process", "pid_file": "me.pid", "process_name": "redis-server"}, base=tmp_path)
    assert other.status == "fail" and other.detail.endswith("not 'redis-server'")


def _dead_pid() -> int:
    import subprocess
    import sys

    proc = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True
    )
    return int(proc.stdout)


# -- databases ---------------------------------------------------------------------------


def test_database_servers() -> None:
    assert one({"type": "database", "url": POSTGRES}).detail == f"{POSTGRES} answered"
    assert one({"type": "database", "url": MARIADB}).detail == f"{MARIADB} answered"
    assert one({"type": "database", "url": MARIADB.replace("mysql:", "mariadb:")}).status == "pass"
    assert one({"type": "database", "url": POSTGRES.replace("postgresql:", "postgres:")}).status == "pass"


def test_database_down_port_hides_the_password() -> None:
    port = free_port()
    for url in (
        f"postgresql://postgres:pw-s3cret@127.0.0.1:{port}/test",
        f"mysql://root:pw-s3cret@127.0.0.1:{port}/test",
    ):
        result = one({"type": "database", "url": url, "timeout": 3})
        assert result.status == "fail"
        assert result.detail.startswith(f"cannot connect to {url.replace('pw-s3cret', '***')}: ")
        assert "pw-s3cret" not in json.dumps(result.to_dict())


def test_database_by_name_with_env(tmp_path: Path) -> None:
    cfg = config(
        {"name": "main", "type": "database", "database": "main"},
        {"name": "local", "type": "database", "database": "local"},
        base=tmp_path,
        databases={"main": {"url": "${DATABASE_URL}"}, "local": {"url": "sqlite:///data/app.db"}},
    )
    (tmp_path / "data").mkdir()
    import sqlite3

    sqlite3.connect(tmp_path / "data" / "app.db").close()
    report = run_checks(cfg, {"DATABASE_URL": POSTGRES})
    assert [(c.name, c.status) for c in report.checks] == [("main", "pass"), ("local", "pass")]
    assert run_checks(cfg, {}).checks[0].detail == "url: environment variable DATABASE_URL is not set"
    unknown = one({"type": "database", "database": "nope"})
    assert unknown.detail == "database 'nope' is not defined under databases: in the config"


def test_sqlite_files(tmp_path: Path) -> None:
    import sqlite3

    sqlite3.connect(tmp_path / "ok.db").execute("CREATE TABLE t (x)").connection.close()
    (tmp_path / "text.db").write_text("this is not a database, but it is long enough to be read" * 20)
    assert one({"type": "database", "url": "sqlite:///ok.db"}, base=tmp_path).status == "pass"
    assert one({"type": "database", "url": f"sqlite:///{tmp_path}/ok.db"}).status == "pass"
    missing = one({"type": "database", "url": "sqlite:///missing.db"}, base=tmp_path)
    assert missing.detail == f"SQLite database {tmp_path / 'missing.db'} does not exist"
    assert not (tmp_path / "missing.db").exists()  # never created
    bad = one({"type": "database", "url": "sqlite:///text.db"}, base=tmp_path)
    assert bad.status == "fail" and bad.detail.endswith("query failed: file is not a database")


def test_database_bad_url() -> None:
    result = one({"type": "database", "url": "mongodb://x/y"})
    assert result.detail.startswith("unsupported database URL scheme 'mongodb'")


# -- redis -------------------------------------------------------------------------------


def test_redis_ping() -> None:
    assert one({"type": "redis", "url": f"redis://{REDIS_HOST}:{REDIS_PORT}/0"}).detail == (
        f"PONG from {REDIS_HOST}:{REDIS_PORT}"
    )
    assert one({"type": "redis", "url": f"redis://{REDIS_HOST}/2"}).detail == (
        f"PONG from {REDIS_HOST}:{REDIS_PORT} (db 2)"
    )
    assert one({"type": "redis", "host": REDIS_HOST}).status == "pass"


def test_redis_down_not_redis_and_bad_urls(http: Any) -> None:
    port = free_port()
    assert one({"type": "redis", "host": "127.0.0.1", "port": port}).detail == (
        f"connection to 127.0.0.1:{port} refused"
    )
    web_port = int(http[0].rsplit(":", 1)[1])
    assert one({"type": "redis", "host": "127.0.0.1", "port": web_port}).detail.startswith(
        "not a Redis server"
    )
    assert one({"type": "redis", "url": "rediss://x"}).detail.startswith("TLS (rediss://) is not supported")
    assert one({"type": "redis", "url": "http://x"}).detail.startswith(
        "url must be redis://host[:port][/db], with"
    )
    assert one({"type": "redis", "url": "redis://x/zero"}).detail.startswith("url: the port and the /db")
    assert one({"type": "redis", "url": f"redis://{REDIS_HOST}/99999"}).detail.startswith(
        "SELECT 99999 refused"
    )


def test_redis_auth_with_a_real_user() -> None:
    user, password = f"kailash_test_{uuid.uuid4().hex[:8]}", "pw-" + uuid.uuid4().hex
    with open_socket(REDIS_HOST, REDIS_PORT, 5) as sock:
        reader = sock.makefile("rb")
        assert command(sock, reader, ["ACL", "SETUSER", user, "on", f">{password}", "+ping"]) == "OK"
        try:
            good = one({"type": "redis", "url": f"redis://{user}:{password}@{REDIS_HOST}:{REDIS_PORT}"})
            bad = one({"type": "redis", "url": f"redis://{user}:wrong-{password}@{REDIS_HOST}:{REDIS_PORT}"})
        finally:
            command(sock, reader, ["ACL", "DELUSER", user])
    assert (good.status, good.detail) == ("pass", f"PONG from {REDIS_HOST}:{REDIS_PORT}")
    assert bad.status == "fail" and bad.detail.startswith("AUTH refused: WRONGPASS")
    assert password not in json.dumps(bad.to_dict())


def test_redis_password_option_is_sent_and_hidden() -> None:
    # the server has no password for the default user: it refuses the AUTH, so we know it was sent
    result = one(
        {"type": "redis", "host": REDIS_HOST, "password": "${REDIS_PASSWORD}"},
        environ={"REDIS_PASSWORD": "redis-s3cret"},
    )
    assert result.status == "fail" and result.detail.startswith("AUTH refused: ")
    assert "redis-s3cret" not in result.detail


def test_redis_empty_password_means_no_auth() -> None:
    check = {"type": "redis", "url": f"redis://:${{REDIS_PASSWORD}}@{REDIS_HOST}:{REDIS_PORT}/0"}
    assert one(check, environ={"REDIS_PASSWORD": ""}).status == "pass"


def test_an_unforeseen_probe_error_fails_its_check_with_secrets_hidden(monkeypatch: Any) -> None:
    def probe(target: Any) -> str:
        raise RuntimeError(f"boom with {target.options['password']} and {target.options['url']}")

    monkeypatch.setitem(health_runner.PROBES, "redis", probe)
    result = one({"type": "redis", "url": "redis://u:url-pw@h", "password": "opt-pw"})
    assert (result.status, result.detail) == ("fail", "RuntimeError: boom with *** and redis://u:***@h")


def test_resp_replies() -> None:
    with open_socket(REDIS_HOST, REDIS_PORT, 5) as sock:
        reader = sock.makefile("rb")
        assert command(sock, reader, ["ECHO", "hé"]) == "hé"
        assert isinstance(command(sock, reader, ["DBSIZE"]), int)
        time_ = command(sock, reader, ["TIME"])
        assert isinstance(time_, list) and len(time_) == 2
        assert command(sock, reader, ["GET", f"kailash-missing-{uuid.uuid4().hex}"]) is None


NAMED = """
import ctypes, sys
ctypes.CDLL(None).prctl(15, sys.argv[1].encode(), 0, 0, 0)  # PR_SET_NAME: the process's name
if sys.argv[2] == "wait":
    print("ready", flush=True)
    sys.stdin.read()
else:
    from pathlib import Path
    from kailash_cli.health.spec import CheckFailed, Target
    from kailash_cli.health.system import process
    try:
        print(process(Target({"process_name": sys.argv[1]}, 5.0, Path("."))))
    except CheckFailed as e:
        print(e)
"""


def test_process_by_name_leaves_this_process_out(tmp_path: Path) -> None:
    """A probe of `kailash` run by `kailash health` must not find itself (issue 9 review)."""
    import subprocess
    import sys

    name = f"kprobe{os.getpid() % 100000}"

    def probe() -> str:
        done = subprocess.run([sys.executable, "-c", NAMED, name, "check"], capture_output=True, text=True)
        return done.stdout.strip() + done.stderr

    assert probe() == f"0 processes named '{name}', need 1"
    with subprocess.Popen(
        [sys.executable, "-c", NAMED, name, "wait"], stdin=subprocess.PIPE, stdout=subprocess.PIPE
    ) as other:
        try:
            assert other.stdout is not None and other.stdout.readline() == b"ready\n"
            assert probe() == f"1 process named '{name}', need 1"
        finally:
            other.communicate(b"")

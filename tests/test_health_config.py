"""``health:`` and ``databases:`` in kailash.yaml: what `kailash validate` says about them."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from helpers import kailash, write

from kailash_cli.load.config import check_config
from kailash_cli.load.yaml_io import load_text


def findings(text: str) -> list[tuple[str, int | None, str]]:
    return [(p.id, p.line, p.message) for p in check_config(load_text(text, "kailash.yaml"))]


def test_every_check_type_valid() -> None:
    text = """\
health:
  timeout: 3s
  checks:
    - {name: api, type: http, url: "https://api.example.com/health", method: HEAD,
       expected_status: [200, 204], headers: {Authorization: "Bearer ${API_TOKEN}"},
       retries: 2, timeout: 500ms}
    - {name: db, type: database, url: "${DATABASE_URL}"}
    - {name: main, type: database, database: main}
    - {name: cache, type: redis, url: "redis://:${REDIS_PASSWORD}@redis:6379/0"}
    - {name: cache2, type: redis, host: redis, port: 6380, password: "${REDIS_PASSWORD}"}
    - {name: port, type: tcp, host: redis, port: 6379}
    - {name: disk, type: disk, path: /, min_free_percent: 10}
    - {name: memory, type: memory, max_used_percent: 90}
    - {name: worker, type: process, process_name: celery, min_count: 2}
    - {name: pid, type: process, pid_file: run/app.pid}
databases:
  main: {url: "postgresql://app@db:5432/app"}
  local: {url: "sqlite:///data/app.db"}
"""
    assert findings(text) == []


def test_each_type_needs_its_keys_and_takes_no_others() -> None:
    text = """\
health:
  checks:
    - {name: a, type: tcp, host: x}
    - {name: b, type: http, url: "http://x", port: 3}
    - {name: c, type: database}
    - {name: d, type: database, url: "sqlite:///x.db", database: main}
    - {name: e, type: redis, url: "redis://x", password: y}
    - {name: f, type: process}
    - {name: g, type: disk}
    - {name: h, type: redis, host: x, pid_file: y}
    - {name: i, type: process, pid_file: y, min_count: 2}
databases:
  main: {url: "sqlite:///x.db"}
"""
    assert findings(text) == [
        ("KV101", 3, "health.checks[0] (tcp check): missing required field 'port'"),
        ("KV102", 4, "health.checks[1] (http check): field 'port' is not used by http checks"),
        ("KV101", 5, "health.checks[2] (database check): needs 'url' or 'database'"),
        ("KV104", 6, "health.checks[3] (database check): give 'url' or 'database', not both"),
        (
            "KV104",
            7,
            "health.checks[4] (redis check): 'password' goes with 'host'; a url holds its own password",
        ),
        ("KV101", 8, "health.checks[5] (process check): needs 'process_name' or 'pid_file'"),
        ("KV101", 9, "health.checks[6] (disk check): missing required field 'path'"),
        ("KV102", 10, "health.checks[7] (redis check): field 'pid_file' is not used by redis checks"),
        (
            "KV104",
            11,
            "health.checks[8] (process check): 'min_count' counts the processes named by 'process_name', "
            "without 'pid_file'",
        ),
    ]


def test_unknown_database_name_gets_a_did_you_mean() -> None:
    text = """\
health:
  checks:
    - {name: db, type: database, database: mian}
databases:
  main: {url: "sqlite:///x.db"}
"""
    assert findings(text) == [
        (
            "KV104",
            3,
            "health.checks[0].database: 'mian' is not defined under databases: (did you mean 'main'?)",
        )
    ]
    no_section = "health:\n  checks:\n    - {name: db, type: database, database: main}\n"
    assert findings(no_section) == [
        (
            "KV104",
            3,
            "health.checks[0].database: 'main' is not defined: the config has no databases: section",
        )
    ]


def test_database_urls_must_parse_unless_from_the_environment() -> None:
    text = """\
databases:
  bad: {url: "mongodb://u:s3cret@x/y"}
  env: {url: "${DATABASE_URL}"}
health:
  checks:
    - {name: db, type: database, url: "not a url"}
"""
    assert findings(text) == [
        (
            "KV104",
            2,
            "databases.bad.url: unsupported database URL scheme 'mongodb' in mongodb://u:***@x/y; use "
            "sqlite:///relative/path, sqlite:////absolute/path, postgresql://user@host/db or mysql://user@host/db",
        ),
        (
            "KV104",
            6,
            "health.checks[0].url: 'not a url' is not a database URL; use sqlite:///relative/path, "
            "sqlite:////absolute/path, postgresql://user@host/db or mysql://user@host/db",
        ),
    ]


def test_duplicate_names() -> None:
    text = "health:\n  checks:\n    - {name: m, type: memory}\n    - {name: m, type: memory}\n"
    assert findings(text) == [
        ("KV104", 4, "health.checks[1].name: 'm' is already the name of health.checks[0]")
    ]


def test_schema_findings() -> None:
    text = """\
health:
  checks:
    - {name: a, type: ping}
    - {name: b, type: tcp, host: x, port: 70000, retries: -1}
    - {name: c, type: memory, colour: red}
databases:
  main: {url: "sqlite:///x.db", pool_size: 3}
  1st: {url: "sqlite:///y.db"}
"""
    assert [(i, line) for i, line, _ in findings(text)] == [
        ("KV104", 3),
        ("KV104", 4),
        ("KV104", 4),
        ("KV102", 5),
        ("KV102", 7),
        ("KV104", 8),
    ]


def _readme_section() -> str:
    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")
    return readme.split("### Health checks", 1)[1].split("\n## ", 1)[0].split("\n### ", 1)[0]


def test_readme_example_is_valid() -> None:
    example = re.search(r"```yaml\n(.*?)```", _readme_section(), re.S)
    assert example is not None and "type: process" in example.group(1)
    assert findings(example.group(1)) == []


def test_readme_python_example_runs(tmp_path: Path, monkeypatch: Any, capsys: Any) -> None:
    code = re.search(r"```python\n(.*?)```", _readme_section(), re.S)
    assert code is not None
    (tmp_path / "kailash.yaml").write_text(
        "health:\n  checks:\n    - {name: m, type: memory, max_used_percent: 100}\n"
    )
    monkeypatch.chdir(tmp_path)
    exec(compile(code.group(1), "README.md", "exec"), {})  # noqa: S102 - our own documentation
    assert capsys.readouterr().out == "True healthy\n"


HTTP = "health.checks[0] (http check)"


@pytest.mark.parametrize(
    ("check", "message"),
    [
        (
            "{name: a, type: http, url: 'ftp://x'}",
            "health.checks[0] (http check): url must start with http:// or https://",
        ),
        (
            "{name: a, type: http, url: notaurl}",
            "health.checks[0] (http check): url must start with http:// or https://",
        ),
        (
            "{name: a, type: redis, url: 'rediss://h'}",
            "health.checks[0] (redis check): url must start with redis://",
        ),
    ],
)
def test_a_literal_url_of_the_wrong_scheme_is_a_finding(tmp_path: Path, check: str, message: str) -> None:
    write(tmp_path / "kailash.yaml", f"health:\n  checks:\n    - {check}\n")
    proc = kailash("validate", "kailash.yaml", "--format", "json", cwd=tmp_path)
    assert proc.returncode == 1
    assert [(f["id"], f["message"]) for f in json.loads(proc.stdout)] == [("KV104", message)]


def test_a_url_from_the_environment_is_checked_when_known(tmp_path: Path) -> None:
    write(tmp_path / "kailash.yaml", "health:\n  checks:\n    - {name: a, type: http, url: '${API_URL}'}\n")
    assert kailash("validate", "kailash.yaml", cwd=tmp_path).returncode == 0


def test_a_serve_token_for_a_user_who_is_not_in_access_control_is_a_finding(tmp_path: Path) -> None:
    write(
        tmp_path / "kailash.yaml",
        "access_control: {users: {ana: {roles: [analyst]}}, roles: {analyst: {permissions: [execute]}}}\n"
        "serve: {tokens: [{env: TOKEN_ANA, user: ana}, {env: TOKEN_BOB, user: bob}]}\n",
    )
    proc = kailash("validate", "kailash.yaml", "--format", "json", cwd=tmp_path)
    assert proc.returncode == 1
    assert [(f["id"], f["message"], f["line"]) for f in json.loads(proc.stdout)] == [
        ("KV104", "serve.tokens[1].user: 'bob' is not in access_control.users", 2)
    ]

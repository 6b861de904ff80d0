"""The parts of check-deploy one at a time: dotenv, names, URLs, Dockerfile parsing, edge cases."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import write_file
from deploy_helpers import check, located

from kailash_cli.checks.dependencies import is_pinned
from kailash_cli.checks.distributions import Resolver
from kailash_cli.checks.env_files import parse_env
from kailash_cli.checks.literals import dockerfile_instructions, env_pairs
from kailash_cli.checks.registry import CHECKS
from kailash_cli.checks.secret_names import is_placeholder, is_secret_name
from kailash_cli.checks.secrets import looks_random
from kailash_cli.checks.transport import insecure_db_url
from kailash_cli.load.discovery import is_test_path, walk

CONFIG = "security: {allowed_directories: [./data], enable_audit_logging: true}\n"


def make(tmp_path: Path, files: dict[str, str]) -> Path:
    write_file(tmp_path, "kailash.yaml", CONFIG)
    for name, text in files.items():
        write_file(tmp_path, name, text)
    return tmp_path


def test_every_check_is_complete_and_in_its_family() -> None:
    for id_, c in CHECKS.items():
        assert id_ == c.id and c.severity in ("error", "warning", "info")
        assert c.title and c.rationale.endswith(".") and c.fix


def test_parse_env_reads_dotenv_syntax(tmp_path: Path) -> None:
    text = (
        "# comment\n\nexport A=1\nB = \"two words\" # note\nC='single # kept'\nD=plain # comment\n"
        'E="esc\\"aped\\nline"\nF="multi\nline"\nnot a line\nG=\n'
    )

    entries = parse_env(text, tmp_path / ".env")

    assert [(e.key, e.value, e.line, e.column) for e in entries] == [
        ("A", "1", 3, 10),
        ("B", "two words", 4, 5),
        ("C", "single # kept", 5, 3),
        ("D", "plain", 6, 3),
        ("E", 'esc"aped\nline', 7, 3),
        ("F", "multi\nline", 8, 3),
        ("G", "", 11, 3),
    ]


@pytest.mark.parametrize(
    ("name", "secret"),
    [
        ("JWT_SECRET_KEY", True),
        ("token", True),
        ("API_KEY", True),
        ("dbPassword", True),
        ("GITHUB_TOKEN", True),
        ("secretName", False),
        ("TOKEN_URL", False),
        ("PUBLIC_KEY", False),
        ("KEY", False),
        ("monkey", False),
        ("SECRET_KEY_FILE", False),
        ("REPORT_BUCKET", False),
    ],
)
def test_secret_like_names(name: str, secret: bool) -> None:
    assert is_secret_name(name) is secret


@pytest.mark.parametrize(
    ("value", "placeholder"),
    [
        ("changeme", True),
        ("change-in-production", True),
        ("<your key>", True),
        ("xxxx", True),
        ("your-api-key", True),
        ("secret", True),
        ("s3cr3t-Value-99", False),
    ],
)
def test_placeholders(value: str, placeholder: bool) -> None:
    assert is_placeholder(value) is placeholder


def test_walk_leaves_out_hidden_venv_and_build_folders(tmp_path: Path) -> None:
    for name in (
        "app/a.py",
        ".git/x.py",
        "venv/lib/x.py",
        "build/x.py",
        "pkg.egg-info/x.py",
        "other/x.py",
        ".env.example",
    ):
        write_file(tmp_path, name, "")
    write_file(tmp_path, "myenv/pyvenv.cfg", "")

    assert [p.relative_to(tmp_path).as_posix() for p in walk(tmp_path)] == [
        ".env.example",
        "app/a.py",
        "other/x.py",
    ]
    assert is_test_path(Path("pkg/tests/x.py")) and is_test_path(Path("x_test.py"))
    assert not is_test_path(Path("app/contest.py"))


@pytest.mark.parametrize(
    ("url", "why"),
    [
        ("postgresql://db.example.com/app?sslmode=require", None),
        (
            "postgresql+psycopg://u@db.example.com/app?sslmode=disable",
            "postgresql URL to db.example.com with sslmode=disable",
        ),
        ("postgres://localhost/app", None),
        ("mysql://db.example.com/app?ssl=true", None),
        ("mongodb://db.example.com/app?tls=true", None),
        ("mongodb://db.example.com/app", "mongodb URL to db.example.com with no TLS parameter"),
        ("redis://127.0.0.1:6379", None),
        ("postgresql://${DB_HOST}/app", None),
        ("postgresql://[bad/app", "postgresql URL to a remote host with no TLS parameter"),
        ("postgresql://user@host/db", None),
        ("mysql://...;", None),
        ("postgresql:///app", None),  # the server's Unix socket: local
        ("postgresql://u@/app", None),  # usage text, as in a help message
        ("postgresql://user[:password]@host[:port]/db", None),
        ("redis://[[user]:password@]host[:port][/db]", None),
        (
            "postgresql://u@hostel.example.net/db",
            "postgresql URL to hostel.example.net with no TLS parameter",
        ),
    ],
)
def test_insecure_db_url(url: str, why: str | None) -> None:
    assert insecure_db_url(url) == why


@pytest.mark.parametrize(
    ("spec", "pinned"),
    [
        ("==1.2.3", True),
        ("===1.0", True),
        ("@ https://x/y.whl", True),
        (">=1", False),
        ("==1.*", False),
        ("", False),
        ("==1.0,<2", False),
    ],
)
def test_is_pinned(spec: str, pinned: bool) -> None:
    assert is_pinned(spec) is pinned


def test_distribution_names_for_imports() -> None:
    resolver = Resolver()
    assert resolver.candidates("yaml") == ["PyYAML"]
    assert resolver.candidates("werkzeug.security") == ["Werkzeug"]
    assert resolver.candidates("acme_internal.client") == []  # no name is made up
    assert resolver.provided_by("google.cloud.storage", {"google-cloud-storage"})
    assert resolver.provided_by("opentelemetry.trace", {"opentelemetry-api"})
    assert resolver.provided_by("github", {"pygithub"})
    assert not resolver.provided_by("flask", {"flask-cors"})


def test_looks_random() -> None:
    assert looks_random("9fQ2xL7pZk4Rt8Vw1Ys6Ub3Nc5Md0Ae2")
    assert looks_random("3f9a1c0e7b2d4a6f8e1c3b5d7f9a0c2e")
    assert not looks_random("https://example.com/a/b/c/d/e")
    assert not looks_random("app/templates/index_v2.html")
    assert not looks_random("short1")
    assert not looks_random("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa")


def test_dockerfile_parsing() -> None:
    text = (
        "# syntax=docker/dockerfile:1\nFROM python:3.12 \\\n  # comment inside\n  AS base\n"
        'env A=1 B="two words"\n'
    )

    instructions = dockerfile_instructions(text)

    assert [(i.line, i.keyword, i.args) for i in instructions] == [
        (2, "FROM", "python:3.12 AS base"),
        (5, "ENV", 'A=1 B="two words"'),
    ]
    assert env_pairs('A=1 B="two words" C') == [("A", "1"), ("B", "two words"), ("C", "")]
    assert env_pairs("API_SECRET legacy value") == [("API_SECRET", "legacy value")]


def test_dockerfile_edge_cases(tmp_path: Path) -> None:
    root = make(
        tmp_path,
        {
            "Dockerfile": "ARG BASE=python:3.12\nFROM $BASE AS build\nFROM build\n"
            "ENV DB_PASSWORD ${DB_PASSWORD}\n"
            "ENV API_TOKEN legacy-value-here\nUSER 1000\nHEALTHCHECK CMD true\n",
            "empty.Dockerfile": "# nothing\n",
            "Containerfile": "FROM scratch\nFROM --platform=linux/amd64 alpine@sha256:abc\nUSER 0:0\n"
            "HEALTHCHECK CMD true\n",
        },
    )

    assert located(check(root, select=["KD6"])) == [("KD601", "Containerfile", 3), ("KD604", "Dockerfile", 5)]


def test_kubernetes_edge_cases(tmp_path: Path) -> None:
    root = make(
        tmp_path,
        {
            "k8s/other.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\ndata: {a: b}\n",
            "k8s/empty.yaml": "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: d}\n",
            "k8s/job.yaml": "apiVersion: batch/v1\nkind: Job\nmetadata: {name: j}\n"
            "spec:\n  template:\n    spec:\n"
            "      initContainers:\n        - name: init\n          securityContext: {runAsNonRoot: true,"
            " allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: "
            "{drop: [all]}}\n          resources: {limits: {cpu: 1, memory: 1Gi}}\n"
            "      containers: []\n",
            "k8s/broken.yaml": "apiVersion: v1\nkind: [\n",
        },
    )

    assert check(root, select=["KD6"]) == []


def test_imports_edge_cases(tmp_path: Path) -> None:
    root = make(
        tmp_path,
        {
            "requirements.in": "requests\n",
            "requirements.txt": "-r requirements-base.txt\n--index-url https://pypi.example.com\n"
            "git+https://github.com/a/b.git#egg=b\n\\\n",
            "pyproject.toml": "[project]\nname='svc'\ndependencies=['httpx==0.27.0']\n"
            "[project.optional-dependencies]\n"
            "pdf=['reportlab==4.0']\n[dependency-groups]\ndev=['pytest']\n"
            "[tool.poetry.dependencies]\npython='^3.11'\nattrs='^23'\n"
            "[tool.poetry.group.lint.dependencies]\nruff='*'\n",
            "src/svc/__init__.py": "",
            "src/svc/core.py": "from __future__ import annotations\nimport typing\nif typing.TYPE_CHECKING:\n"
            "    import pandas\nimport requests, httpx, reportlab, attr\nfrom svc import util\n"
            "from . import util as u2\nfrom .. import outside\nimport sibling\n"
            "def f():\n    import svc.core\n    import numpy\n",
            "src/svc/util.py": "from svc.core import f\nfrom svc import core\n",
            "src/svc/sibling.py": "",
            "scripts/tool.py": "import helper\nimport ruff\n",
            "scripts/helper.py": "x = 1\n",
            "scripts/nul.py": "x = 1\x00\n",
            "tests/requirements.txt": "pytest\n",
        },
    )

    assert located(check(root, select=["KD1"])) == [
        ("KD104", "scripts/nul.py", 1),
        ("KD102", "scripts/tool.py", 2),
        ("KD103", "src/svc/core.py", 6),
        ("KD101", "src/svc/core.py", 7),
        ("KD101", "src/svc/core.py", 8),
        ("KD102", "src/svc/core.py", 12),
    ]


def test_env_from_the_process_environment(tmp_path: Path) -> None:
    root = make(
        tmp_path, {"kailash.yaml": CONFIG + "deploy:\n  required_env: [API_TOKEN, SIGNING_KEY, URL]\n"}
    )
    environ = {"API_TOKEN": "changeme", "SIGNING_KEY": "too-short", "URL": "${OTHER}", "DEBUG": "1"}

    problems = check(root, select=["KD2"], environ=environ)

    assert [(p.id, p.line, p.message) for p in problems] == [
        ("KD204", 2, "DEBUG is on in the environment this check runs in"),
        ("KD202", 3, "API_TOKEN (environment) holds a placeholder value, not a real secret"),
        ("KD203", 3, "SIGNING_KEY (environment) is 9 characters long; secrets need at least 32"),
    ]


def test_secrets_in_many_shapes(tmp_path: Path) -> None:
    root = make(
        tmp_path,
        {
            "app/conf.py": "class C:\n    '''Doc: password = 'not-a-finding'.'''\n"
            "    api_token: str = 'tok-4f9a1c0e7b2d'\n"
            "def connect(password='Hunter22!', *, secret_key='kw-secret-1'):\n    pass\n"
            "self_password = None\nobj = C()\nobj.db_password = 'attr-pass-1'\ncfg = {}\n"
            "cfg['auth_token'] = 'sub-tok-99'\nPASSWORD_HELP = 'enter the password you chose'\n"
            "import os\nos.getenv('API_KEY', 'default-key-42')\n"
            "SESSION_COOKIE = '3f9a1c0e7b2d4a6f8e1c3b5d7f9a0c2e'\n",
            "settings.ini": "[db]\npassword = ini-pass-77\nurl = https://u:pw-in-url-1@host.example.com/\n"
            "; comment\nplain text line with http://files.example.net/x\n",
            "k8s/env.yaml": "env:\n  - name: DB_PASSWORD\n    value: yaml-pass-88\n"
            "  - name: MODE\n    value: fast\n",
        },
    )

    found = [(p.id, p.file, p.line) for p in check(root, select=["KD3", "KD402"])]

    assert found == [
        ("KD302", "app/conf.py", 3),
        ("KD302", "app/conf.py", 4),  # one secret finding per line
        ("KD302", "app/conf.py", 8),
        ("KD302", "app/conf.py", 10),
        ("KD302", "app/conf.py", 13),
        ("KD304", "app/conf.py", 14),
        ("KD302", "k8s/env.yaml", 3),
        ("KD302", "settings.ini", 2),
        ("KD303", "settings.ini", 3),
        ("KD402", "settings.ini", 5),
    ]


def test_env_file_outside_the_project_is_checked_for_transport(tmp_path: Path) -> None:
    root = make(tmp_path / "p", {})
    write_file(tmp_path, "outside.env", "DB_URL=mysql://db.example.com/x\n")

    problems = check(root, select=["KD4"], env_files=["../outside.env"])

    assert [(p.id, p.line) for p in problems] == [("KD401", 1)]
    assert problems[0].file is not None and problems[0].file.endswith("outside.env")


def test_config_edge_cases(tmp_path: Path) -> None:
    root = make(tmp_path, {"kailash.yaml": "security: {allowed_directories: []}\nruntime: [\n"})
    assert [p.id for p in check(root, select=["KD7"])] == ["KD701", "KD705"]

    root2 = make(
        tmp_path / "b",
        {
            "kailash.yaml": "security: {enable_audit_logging: true, allowed_directories: []}\n",
            "wf.yaml": "name: x\nnodes: [\n",
        },
    )
    assert [(p.id, p.file, p.line) for p in check(root2, select=["KD7"])] == [
        ("KD704", "kailash.yaml", 1),
        ("KD705", "wf.yaml", 3),
    ]


def test_conventions_edge_cases(tmp_path: Path) -> None:
    root = make(
        tmp_path,
        {
            "app/n.py": "import kailash\nif True:\n    class Outer(kailash.Node):\n"
            "        class Inner:\n            pass\n"
            "try:\n    @kailash.register_node\n    class Deco:\n        pass\nexcept ImportError:\n    pass\n"
            "class Plain(object):\n    pass\n",
            "wf.yaml": 'name: x\nnodes:\n  a: {type: PythonCodeNode, config: {code: "result = 1"}}\n  b: 3\n'
            "  c: {type: CSVReaderNode, config: [1]}\n",
        },
    )

    assert located(check(root, select=["KD8"])) == [("KD801", "app/n.py", 3), ("KD801", "app/n.py", 8)]


def test_lookup_keys_and_urls_in_prose_are_not_findings(tmp_path: Path) -> None:
    root = make(
        tmp_path,
        {
            "app/keys.py": "_PARAM_KEY = 'param'\nCACHE_KEY = 'session:user'\nSIGNING_KEY = 'k3y-value-9'\n",
            "docs/api.json": '{"description": "see [site](http://swagger.io/about) or http://[::1]:80/"}\n',
        },
    )

    found = [(p.id, p.file, p.line, p.message) for p in check(root, select=["KD3", "KD4"])]

    assert found == [
        ("KD302", "app/keys.py", 3, "hard-coded secret assigned to 'SIGNING_KEY'"),
        ("KD402", "docs/api.json", 1, "http:// endpoint swagger.io is not encrypted"),
    ]


def test_python_files_python_cannot_decode_do_not_parse(tmp_path: Path) -> None:
    root = make(tmp_path, {})
    (root / "app").mkdir()
    (root / "app" / "latin.py").write_bytes(b'x = "caf\xe9"\n')  # not UTF-8, no coding cookie
    cookie = b'# -*- coding: latin-1 -*-\nimport missingdist\nx = "caf\xe9"\n'
    (root / "app" / "cookie.py").write_bytes(cookie)

    assert located(check(root, select=["KD1"])) == [
        ("KD102", "app/cookie.py", 2),
        ("KD104", "app/latin.py", 1),
    ]


def test_pyproject_of_a_test_fixture_is_not_a_production_declaration(tmp_path: Path) -> None:
    root = make(
        tmp_path,
        {
            "app/main.py": "import httpx\n",
            "tests/fixtures/p/pyproject.toml": "[project]\nname='f'\n"
            "dependencies=['httpx==0.27.0', 'mypy']\n",
        },
    )

    assert located(check(root, select=["KD1", "KD5"])) == [("KD102", "app/main.py", 1)]


def test_private_key_file_without_suffix_is_scanned(tmp_path: Path) -> None:
    body = "b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAAAMwAAAAtzc2gtZW"
    root = make(
        tmp_path,
        {
            "deploy/id_rsa": f"-----BEGIN OPENSSH PRIVATE KEY-----\n{body}\n",
            "app/inline.py": f'KEY = "-----BEGIN EC PRIVATE KEY-----\\n{body}\\n"\n',
            # a header alone is a constant, as in every library that parses keys
            "app/ssh.py": '_SK_START = b"-----BEGIN OPENSSH PRIVATE KEY-----"\n_SK_END = b"-----END"\n',
        },
    )

    assert located(check(root, select=["KD301"])) == [
        ("KD301", "app/inline.py", 1),
        ("KD301", "deploy/id_rsa", 1),
    ]


def test_secret_in_docker_env_is_reported_once(tmp_path: Path) -> None:
    root = make(
        tmp_path,
        {
            "Dockerfile": "FROM python:3.12-slim\nUSER app\nHEALTHCHECK CMD true\n"
            "ENV API_TOKEN=Zk39fLq0pW8mX2nR7vT5yB1cD4\n"
        },
    )

    assert located(check(root, select=["KD3", "KD6"])) == [("KD604", "Dockerfile", 4)]


def test_templates_prompts_and_patterns_named_after_secrets_are_not_secrets(tmp_path: Path) -> None:
    root = make(
        tmp_path,
        {
            "app/settings.py": 'PASSWORD_RESET_TEMPLATE = "emails/password_reset.html"\n'
            'password_prompt = "Enter your password: "\n'
            'token_regex = r"^[A-Za-z0-9_-]{20,}$"\n'
            'DB_PASSWORD = "Tr0ub4dor-3xyzQ"\n'
        },
    )

    assert located(check(root, select=["KD3"])) == [("KD302", "app/settings.py", 4)]


def test_files_the_checks_cannot_read_are_reported(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    manifest = (
        "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: api}\nspec:\n  template:\n"
        "    spec:\n      containers:\n        - name: api\n          image: [api:1.0\n"
        "          securityContext: {privileged: true}\n"
    )
    helm = "apiVersion: v1\nkind: Pod\nmetadata:\n  name: {{ .Values.name }}\n{{- if .Values.x }}\n"
    root = make(
        tmp_path,
        {
            "k8s/deployment.yaml": manifest,
            "chart/Chart.yaml": "apiVersion: v2\nname: api\nversion: 1.0.0\n",
            "chart/templates/pod.yaml": helm,  # Go templates: never parses, skipped on purpose
            "chart/templates/sub/job.yaml": helm,
            "notachart/templates/pod.yaml": helm,  # no Chart.yaml above: reported
            "tests/broken.yaml": helm,  # test files are not checked at all
            "wf.yaml": "name: x\nnodes: [\n",  # a workflow: KD705 reports it
            "app/ok.txt": "fine\n",
            "app/locked.ini": "password = p4ss-w0rd-9\n",
        },
    )
    (root / "data.json").write_text("[" + "1," * 600_000 + "1]\n", encoding="utf-8")
    (root / "app" / "latin.txt").write_bytes(b"first line\ncaf\xe9\n")
    real_read_bytes = Path.read_bytes

    def read_bytes(self: Path) -> bytes:
        if self.name == "locked.ini":
            raise PermissionError(13, "Permission denied")
        return real_read_bytes(self)

    monkeypatch.setattr(Path, "read_bytes", read_bytes)

    problems = [p for p in check(root, select=["KD707", "KD705"])]

    assert [(p.id, p.file, p.line, p.column, p.message) for p in problems] == [
        ("KD707", "app/latin.txt", 2, None, "this file was not checked: it is not UTF-8 text (byte 0xe9)"),
        (
            "KD707",
            "app/locked.ini",
            None,
            None,
            "this file was not checked: it cannot be read (Permission denied)",
        ),
        ("KD707", "data.json", None, None, "this file was not checked: it is larger than 1 MB"),
        (
            "KD707",
            "k8s/deployment.yaml",
            9,
            22,
            "this file was not checked: it is not valid YAML (found unexpected ':')",
        ),
        (
            "KD707",
            "notachart/templates/pod.yaml",
            5,
            1,
            "this file was not checked: it is not valid YAML (could not find expected ':')",
        ),
        ("KD705", "wf.yaml", 3, 1, problems[-1].message),
    ]
    # YAML that does not parse (a manifest) fails the gate; other unread files are warnings
    assert [p.severity for p in problems[:-1]] == ["warning", "warning", "warning", "error", "error"]
    assert all(p.fix for p in problems)
    assert problems[3].fix == "fix the YAML syntax at this line"


def test_a_camel_case_key_the_validator_rejects_is_reported_once(tmp_path: Path) -> None:
    root = make(
        tmp_path,
        {
            "wf.yaml": "name: x\nnodes:\n  read:\n    type: CSVReaderNode\n    config:\n"
            "      file_path: in.csv\n      hasHeader: true\n"
            "  mine:\n    type: my_pkg.nodes:ShapeNode\n    config: {shapeName: square}\n",
        },
    )

    found = [(p.id, p.line, p.message) for p in check(root, select=["KD705", "KD803"])]
    only_conventions = [(p.id, p.line) for p in check(root, select=["KD803"])]

    assert [(i, line) for i, line, _ in found if line == 7] == [("KD705", 7)]
    assert "unknown field 'hasHeader'" in next(m for i, line, m in found if line == 7)
    assert only_conventions == [("KD803", 7), ("KD803", 10)]  # KD705 not selected: KD803 tells


def test_cache_keys_and_namespaces_are_not_secrets_but_credentials_are(tmp_path: Path) -> None:
    root = make(
        tmp_path,
        {
            "app/cache.py": 'cache_key = "orders:v1:list"\n'
            'CART_KEY = "tenant:42:cart"\n'
            'lock_key = "jobs.nightly:run-2"\n'
            'api_key = "sk_live_9f8a7b6c5d4e3f2a1b0c"\n'
            'password = "hunter2hunter2"\n'
            'session_key = "user:9f8a7b6c5d4e3f2a1b0c"\n'
            'SIGNING_KEY = "k3y-value-9"\n',
        },
    )

    assert located(check(root, select=["KD3"])) == [
        ("KD301", "app/cache.py", 4),  # a Stripe live key: its provider pattern says more
        ("KD302", "app/cache.py", 5),
        ("KD302", "app/cache.py", 6),
        ("KD302", "app/cache.py", 7),
    ]


def test_kd616_fix_names_only_the_probes() -> None:
    # there is no `kailash serve` to point the probes at
    assert CHECKS["KD616"].fix == "add livenessProbe and readinessProbe"


def test_typed_env_needs_only_the_variables_without_a_default(tmp_path: Path) -> None:
    workflow = (
        "name: typed\nenv:\n  DB_URL: {type: string}\n  WORKERS: {type: integer, default: 4}\n"
        "  REGION: {type: string, default: eu, required: true}\n"
        "nodes:\n  a: {type: PythonCodeNode, config: {code: 'result = 1'}}\n"
    )
    root = make(tmp_path, {"kailash.yaml": CONFIG, "wf.yaml": workflow})

    problems = check(root, select=["KD201"], environ={})

    assert [(p.id, p.file, p.line, p.message.split(" is ")[0]) for p in problems] == [
        ("KD201", "wf.yaml", 3, "DB_URL"),
        ("KD201", "wf.yaml", 5, "REGION"),
    ]

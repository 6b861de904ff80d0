"""Each check is found on its bad fixture at (id, file, line) and is silent on the fixed twin."""

from __future__ import annotations

import pytest
from deploy_helpers import FIXTURES, check, located

ENV = {"REPORT_BUCKET": "reports", "ANALYTICS_DB_URL": "postgresql://analytics.example.com/db"}
FIXED_ENV = {
    "REPORT_BUCKET": "reports",
    "ANALYTICS_DB_URL": "postgresql://analytics.example.com/db?sslmode=require",
}

CASES = {
    "imports": (
        "KD1",
        (),
        [
            ("KD104", "app/broken.py", 1),
            ("KD103", "app/cycle_a.py", 1),
            ("KD102", "app/main.py", 4),
            ("KD101", "app/main.py", 5),
            ("KD102", "app/main.py", 6),
        ],
    ),
    "env_vars": (
        "KD2",
        ("deploy/prod.env",),
        [
            ("KD204", "app/settings.py", 1),
            ("KD202", "deploy/prod.env", 3),
            ("KD203", "deploy/prod.env", 4),
            ("KD204", "deploy/prod.env", 5),
            ("KD203", "deploy/prod.env", 6),
            ("KD201", "kailash.yaml", 5),
        ],
    ),
    "secrets": (
        "KD3",
        (),
        [
            ("KD302", ".env.example", 1),
            ("KD301", "app/settings.py", 4),
            ("KD302", "app/settings.py", 5),
            ("KD302", "app/settings.py", 6),
            ("KD302", "app/settings.py", 7),
            ("KD303", "app/settings.py", 8),
            ("KD304", "app/settings.py", 9),
            ("KD301", "app/settings.py", 10),
            ("KD301", "deploy/compose.yaml", 4),
            ("KD302", "deploy/compose.yaml", 5),
            ("KD301", "keys/server.pem", 1),
        ],
    ),
    "transport": (
        "KD4",
        ("deploy/prod.env",),
        [
            ("KD401", "app/db.py", 1),
            ("KD401", "app/db.py", 2),
            ("KD401", "app/db.py", 3),
            ("KD402", "app/db.py", 4),
            ("KD401", "app/db.py", 6),
            ("KD402", "config/services.yaml", 2),
            ("KD401", "deploy/prod.env", 1),
            ("KD401", "kailash.yaml", 6),
        ],
    ),
    "dependencies": (
        "KD5",
        (),
        [
            ("KD502", "pyproject.toml", 6),
            ("KD501", "requirements.txt", 3),
            ("KD501", "requirements.txt", 4),
            ("KD502", "requirements.txt", 5),
            ("KD501", "requirements.txt", 7),
        ],
    ),
    "containers": (
        "KD6",
        (),
        [
            ("KD603", "Dockerfile", 1),
            ("KD604", "Dockerfile", 2),
            ("KD601", "Dockerfile", 5),
            ("KD602", "Dockerfile", 5),
            ("KD603", "Dockerfile", 5),
            ("KD604", "Dockerfile", 6),
            ("KD601", "docker/worker.Dockerfile", 2),
            ("KD602", "docker/worker.Dockerfile", 3),
            ("KD615", "k8s/app.yaml", 13),
            ("KD616", "k8s/app.yaml", 13),
            ("KD612", "k8s/app.yaml", 15),
            ("KD613", "k8s/app.yaml", 15),
            ("KD614", "k8s/app.yaml", 15),
            ("KD611", "k8s/app.yaml", 30),
            ("KD612", "k8s/app.yaml", 30),
            ("KD613", "k8s/app.yaml", 30),
            ("KD614", "k8s/app.yaml", 30),
            ("KD615", "k8s/app.yaml", 32),
            ("KD616", "k8s/db.yaml", 9),
            ("KD612", "k8s/pod.yaml", 9),
        ],
    ),
    # kind: List items, runAsUser 0 under a pod's runAsNonRoot, image tags in manifests and compose
    # files, and a CronJob / run-once Pod held to no probe
    "manifests": (
        "KD6",
        (),
        [
            ("KD621", "compose.yaml", 3),
            ("KD621", "compose.yaml", 5),
            ("KD617", "k8s/jobs.yaml", 14),
            ("KD617", "k8s/list.yaml", 13),
            ("KD611", "k8s/list.yaml", 14),
            ("KD611", "k8s/list.yaml", 34),
            ("KD612", "k8s/list.yaml", 34),
            ("KD613", "k8s/list.yaml", 34),
            ("KD614", "k8s/list.yaml", 34),
            ("KD616", "k8s/list.yaml", 34),
            ("KD617", "k8s/list.yaml", 35),
        ],
    ),
    # provider keys beyond AWS/GitHub/Slack; empty-user URLs, key-value DSNs, auth tuples, compose
    # list-form environment, ENV copying an ARG, systemd Environment=, placeholder fallbacks; and
    # their twins: prose, templates, one-word settings, XXXX placeholders, ${VAR:?} and ${VAR}
    "secret_forms": (
        "KD3,KD6",
        (),
        [
            ("KD604", "Dockerfile", 2),
            ("KD604", "Dockerfile", 3),
            ("KD305", "app/settings.py", 5),
            ("KD302", "app/settings.py", 10),
            ("KD303", "app/settings.py", 11),
            ("KD303", "app/settings.py", 12),
            *[("KD301", "app/settings.py", line) for line in range(13, 21)],
            ("KD303", "app/settings.py", 21),  # a percent-encoded password
            ("KD303", "app/settings.py", 22),  # a token as the user name
            ("KD631", "deploy/api.service", 6),
            ("KD302", "deploy/compose.yaml", 6),
            ("KD305", "deploy/compose.yaml", 7),
            ("KD632", "deploy/worker.service", 4),
        ],
    ),
    # mongodb+srv:// is TLS unless tls=false; http://${env.HOST} is plain http all the same
    "transport_forms": (
        "KD4",
        (),
        [("KD401", "config/services.yaml", 2), ("KD402", "workflows/fetch.yaml", 6)],
    ),
    # distributions named unlike their modules (PyGithub, google-cloud-*, opentelemetry-api), no
    # invented distribution name in a fix, importlib.import_module(".x", __package__)
    "imports_meta": (
        "KD1",
        (),
        [("KD102", "app/main.py", 6), ("KD102", "app/main.py", 7), ("KD101", "app/main.py", 9)],
    ),
    "kailash_config": (
        "KD7",
        (),
        [
            ("KD704", "kailash.yaml", 3),
            ("KD702", "kailash.yaml", 4),
            ("KD703", "kailash.yaml", 5),
            ("KD706", "kailash.yaml", 7),
            ("KD706", "kailash.yaml", 7),
            ("KD705", "workflows/broken.yaml", 4),
        ],
    ),
    "conventions": (
        "KD8",
        (),
        [
            ("KD801", "app/nodes.py", 4),
            ("KD801", "app/nodes.py", 9),
            ("KD803", "workflows/etl.yaml", 7),
            ("KD802", "workflows/etl.yaml", 11),
        ],
    ),
}


@pytest.mark.parametrize("family", sorted(CASES))
def test_bad_fixture_has_each_finding_at_its_line(family: str) -> None:
    select, env_files, expected = CASES[family]

    problems = check(FIXTURES / family / "bad", select=[select], environ=ENV, env_files=env_files)

    assert located(problems) == expected


@pytest.mark.parametrize("family", sorted(CASES))
def test_fixed_twin_is_silent(family: str) -> None:
    select, env_files, _ = CASES[family]

    problems = check(FIXTURES / family / "fixed", select=[select], environ=FIXED_ENV, env_files=env_files)

    assert located(problems) == []


def test_config_without_security_section() -> None:
    problems = check(FIXTURES / "kailash_config" / "bad-no-security", select=["KD7"])

    assert located(problems) == [("KD701", "kailash.yaml", 1), ("KD705", "kailash.yaml", 2)]
    assert problems[1].message.startswith("KV102: runtime: unknown field 'max_concurency'")


def test_clean_project_passes_every_check() -> None:
    environ = {"DATABASE_URL": "postgresql://db.example.com/app?sslmode=verify-full"}

    assert check(FIXTURES / "clean", environ=environ) == []


def test_kubernetes_findings_point_at_the_container_and_security_context() -> None:
    problems = check(FIXTURES / "containers" / "bad", select=["KD61"])

    by_id = {(p.id, p.line): (p.column, p.message) for p in problems if p.file == "k8s/app.yaml"}
    assert by_id[("KD612", 15)] == (
        11,
        "Deployment api, container api: allowPrivilegeEscalation is not false",
    )
    assert by_id[("KD611", 30)] == (15, "CronJob nightly, container etl: runAsNonRoot is not true")
    assert by_id[("KD615", 32)] == (15, "CronJob nightly, container etl: no memory limit")

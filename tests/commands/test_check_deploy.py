"""``kailash check-deploy`` as CI runs it, through the CLI in-process (``run_cli``)."""

from __future__ import annotations

import json
import shutil
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from helpers import RunCli, write_file

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "deploy"
CLEAN_ENV = {"DATABASE_URL": "postgresql://db.example.com/app?sslmode=verify-full", "GITHUB_ACTIONS": ""}
NO_CI = {"GITHUB_ACTIONS": ""}
#: every secret value written in the fixtures (placeholders such as change-in-production are
#: public knowledge: the catalogue names them, and scrubbing them would garble its text)
SECRETS = [
    "AKIAIOSFODNN7EXAMPLE",
    "hunter2-prod",
    "q8Zr2LmX0vTy7Wk3",
    "s3cr3t-Value-99",
    "Sup3rS3cret",
    "9fQ2xL7pZk4Rt8Vw1Ys6Ub3Nc5Md0Ae2",
    "ghp_aBcDeFgHiJkLmNoPqRsTuVwXyZ0123456789",
    "xoxb-1234567890-abcdefghij",
    "Pr0duction!Pass",
    "Zm9vYmFyYmF6cXV4MTIzNDU2Nzg5",
    "MIIBOgIBAAJBAKj34GkxFhD90vcNLYLInFEX6Ppy1tPf9Cnzj4p4WGeKLs1Pt8Qu",
    "short-token-123",
    "Tr0ub4dor-and-3",
    "Wd9-pLx2qR7z",
    "Rk8w-Zq3p-Lm5x",
    "Zx81-QmP4-Tr7k-Lw2c",
    "Pk7-Wq2-Zr9x-Mm4v",
    "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",
    "sk-proj-UW5xcJ6MV8YWkGP1mxFyp9yIJX6uF68NcpP7BEXvfqZgimdS",
    "abc123def456ghi",
    "multi\nline value",
]


def project(tmp_path: Path, name: str) -> Path:
    target = tmp_path / "project"
    shutil.copytree(FIXTURES / name, target)
    return target


def test_clean_project_exits_0_with_summary(run_cli: RunCli) -> None:
    result = run_cli("check-deploy", "--fail-level", "info", cwd=FIXTURES / "clean", extra_env=CLEAN_ENV)

    assert (result.returncode, result.stdout, result.stderr) == (0, "", "0 errors\n0 warnings\n0 info\n")


def test_findings_exit_1_sorted_by_file_and_line(run_cli: RunCli) -> None:
    result = run_cli(
        "check-deploy", ".", "--select", "KD5", cwd=FIXTURES / "dependencies" / "bad", extra_env=NO_CI
    )

    assert result.returncode == 0  # warnings only: below the default fail level
    assert result.stdout.splitlines() == [
        "pyproject.toml:6:5: warning KD502: 'mypy' is a development tool but is listed in production "
        "dependencies; fix: move it to requirements-dev.txt or a dev dependency group",
        "requirements.txt:3:1: warning KD501: 'flask>=3.0' is not pinned to one version; fix: pin it: "
        "flask==<version>",
        "requirements.txt:4:1: warning KD501: 'PyYAML' is not pinned to one version; fix: pin it: "
        "PyYAML==<version>",
        "requirements.txt:5:1: warning KD502: 'pytest' is a development tool but is listed in production "
        "dependencies; fix: move it to requirements-dev.txt or a dev dependency group",
        "requirements.txt:7:1: warning KD501: 'numpy==1.*' is not pinned to one version; fix: pin it: "
        "numpy==<version>",
    ]
    assert result.stderr == "0 errors\n5 warnings: KD501, KD502\n0 info\n"
    failing = run_cli(
        "check-deploy",
        "--select",
        "KD5",
        "--fail-level",
        "warning",
        cwd=FIXTURES / "dependencies" / "bad",
        extra_env=NO_CI,
    )
    assert failing.returncode == 1


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["missing-dir"], "error: directory missing-dir not found; give the project directory to check\n"),
        (["-c", "nope.yaml"], "error: config file nope.yaml not found; check the path given to -c\n"),
        (
            ["--env-file", "prod.env"],
            "error: env file prod.env not found; check the path given to --env-file\n",
        ),
        (
            ["--select", "KD999"],
            "error: --select: unknown check id or prefix 'KD999'; `kailash check-deploy "
            "--list` shows the ids\n",
        ),
        (["--fail-level", "fatal"], "error: --fail-level: 'fatal' is not one of info, warning, error\n"),
        (
            ["--baseline", "none.json"],
            "error: baseline file none.json not found; create it with --write-baseline\n",
        ),
    ],
)
def test_usage_errors_exit_2_naming_the_file(
    tmp_path: Path, run_cli: RunCli, args: list[str], message: str
) -> None:
    write_file(tmp_path, "kailash.yaml", "security: {enable_audit_logging: true}\n")

    result = run_cli("check-deploy", *args, cwd=tmp_path, extra_env=NO_CI)

    assert (result.returncode, result.stdout, result.stderr) == (2, "", message)


def test_bad_format_is_a_usage_error(tmp_path: Path, run_cli: RunCli) -> None:
    result = run_cli("check-deploy", "--format", "xml", cwd=tmp_path, env=NO_CI)

    assert (result.returncode, result.stdout) == (2, "")
    assert result.stderr.startswith("error: kailash check-deploy: --format: 'xml' is not one of 'text'")
    assert "'xml' is not one of 'text', 'json', 'github', 'sarif', 'junit'" in result.stderr


def test_missing_default_config_exits_2(tmp_path: Path, run_cli: RunCli) -> None:
    result = run_cli("check-deploy", str(tmp_path), extra_env=NO_CI)

    assert result.returncode == 2
    assert result.stderr == (
        f"error: config file {tmp_path / 'kailash.yaml'} not found; create it or pass -c CONFIG\n"
    )


def test_explicit_config(tmp_path: Path, run_cli: RunCli) -> None:
    write_file(tmp_path, "conf/prod.yaml", "runtime: {max_concurrency: 2}\n")

    result = run_cli(
        "check-deploy", "-c", "conf/prod.yaml", "--select", "KD701", cwd=tmp_path, extra_env=NO_CI
    )

    assert (result.returncode, result.stdout) == (
        1,
        "conf/prod.yaml:1:1: error KD701: the config has no "
        "security section; fix: add a security: section with "
        "allowed_directories, enable_audit_logging and "
        "enable_path_validation\n",
    )


def test_list_prints_the_catalogue(run_cli: RunCli) -> None:
    text = run_cli("check-deploy", "--list")
    as_json = run_cli("check-deploy", "--list", "--format", "json")

    assert text.returncode == as_json.returncode == 0
    assert "  KD301  error    provider credential in a file\n" in text.stdout
    assert text.stdout.startswith("KD1xx  Imports\n  KD101  error    relative import in production code\n")
    checks = json.loads(as_json.stdout)
    assert [c["id"] for c in checks][:4] == ["KD101", "KD102", "KD103", "KD104"]
    assert len(checks) == 42
    assert all(c["title"] and c["rationale"] and c["fix"] for c in checks)


def test_json_format(run_cli: RunCli) -> None:
    result = run_cli(
        "check-deploy",
        "--select",
        "KD703",
        "-f",
        "json",
        cwd=FIXTURES / "kailash_config" / "bad",
        extra_env=NO_CI,
    )

    assert result.returncode == 1
    assert json.loads(result.stdout) == [
        {
            "id": "KD703",
            "severity": "error",
            "message": "security.enable_path_validation is false",
            "file": "kailash.yaml",
            "line": 5,
            "column": 27,
            "fix": "set security.enable_path_validation: true (the default)",
        }
    ]
    assert result.stderr == ""


def test_sarif_has_one_rule_per_id_and_a_location_on_every_result(run_cli: RunCli) -> None:
    result = run_cli(
        "check-deploy", "--select", "KD6", "-f", "sarif", cwd=FIXTURES / "containers" / "bad", extra_env=NO_CI
    )

    run = json.loads(result.stdout)["runs"][0]
    rule_ids = [r["id"] for r in run["tool"]["driver"]["rules"]]
    assert rule_ids == sorted(set(rule_ids)) == sorted({r["ruleId"] for r in run["results"]})
    assert run["tool"]["driver"]["rules"][0]["shortDescription"]["text"] == "container runs as root"
    assert len(run["results"]) == 20
    for res in run["results"]:
        location = res["locations"][0]["physicalLocation"]
        assert location["artifactLocation"]["uri"] and location["region"]["startLine"] >= 1


def test_github_and_junit_formats(run_cli: RunCli) -> None:
    where = FIXTURES / "dependencies" / "bad"
    github = run_cli("check-deploy", "--select", "KD502", "-f", "github", cwd=where, extra_env=NO_CI)
    junit = run_cli("check-deploy", "--select", "KD502", "-f", "junit", cwd=where, extra_env=NO_CI)

    assert github.stdout.splitlines()[0] == (
        "::warning file=pyproject.toml,line=6,col=5,title=KD502::'mypy' is a development tool but is "
        "listed in production dependencies; fix: move it to requirements-dev.txt or a dev dependency group"
    )
    suite = ET.fromstring(junit.stdout).find("testsuite")
    assert suite is not None and suite.get("failures") == "2"
    cases = suite.findall("testcase")
    assert [c.get("name") for c in cases] == ["KD502 pyproject.toml:6:5", "KD502 requirements.txt:5:1"]


def test_junit_without_findings_has_a_passing_case(run_cli: RunCli) -> None:
    result = run_cli("check-deploy", "-f", "junit", cwd=FIXTURES / "clean", extra_env=CLEAN_ENV)

    suite = ET.fromstring(result.stdout).find("testsuite")
    assert suite is not None and (suite.get("tests"), suite.get("failures")) == ("1", "0")


def test_github_actions_adds_annotations_on_stderr(run_cli: RunCli) -> None:
    result = run_cli(
        "check-deploy",
        "--select",
        "KD703",
        "-f",
        "json",
        cwd=FIXTURES / "kailash_config" / "bad",
        extra_env={"GITHUB_ACTIONS": "true"},
    )

    assert json.loads(result.stdout)[0]["id"] == "KD703"
    assert result.stderr == (
        "::error file=kailash.yaml,line=5,col=27,title=KD703::security.enable_path_"
        "validation is false; fix: set security.enable_path_validation: true (the "
        "default)\n"
    )


@pytest.mark.parametrize("fmt", ["text", "json", "github", "sarif", "junit"])
def test_no_output_format_contains_a_secret(tmp_path: Path, run_cli: RunCli, fmt: str) -> None:
    outputs = []
    for name, args in (
        ("secrets/bad", []),
        ("secret_forms/bad", []),
        ("env_vars/bad", ["--env-file", "deploy/prod.env"]),
        ("containers/bad", []),
        ("transport/bad", ["--env-file", "deploy/prod.env"]),
    ):
        baseline = tmp_path / f"{name.replace('/', '-')}-{fmt}.json"
        result = run_cli(
            "check-deploy",
            "-f",
            fmt,
            "--fail-level",
            "info",
            "--write-baseline",
            baseline,
            *args,
            cwd=FIXTURES / name,
            extra_env={"GITHUB_ACTIONS": "true"},
        )
        assert result.returncode == 1, result.stderr
        outputs += [result.stdout, result.stderr, baseline.read_text()]
    everything = "\n".join(outputs)
    for secret in SECRETS:
        assert secret not in everything
        assert json.dumps(secret)[1:-1] not in everything


def test_select_and_ignore(run_cli: RunCli) -> None:
    where = FIXTURES / "containers" / "bad"

    selected = run_cli("check-deploy", "--select", "KD601,KD602", "-f", "json", cwd=where, extra_env=NO_CI)
    ignored = run_cli(
        "check-deploy",
        "--select",
        "KD60",
        "--ignore",
        "KD603",
        "--ignore",
        "kd604",
        "-f",
        "json",
        cwd=where,
        extra_env=NO_CI,
    )

    assert {p["id"] for p in json.loads(selected.stdout)} == {"KD601", "KD602"}
    assert {p["id"] for p in json.loads(ignored.stdout)} == {"KD601", "KD602"}


def test_deploy_ignore_and_severity_in_the_config(tmp_path: Path, run_cli: RunCli) -> None:
    where = project(tmp_path, "containers/bad")
    write_file(
        where,
        "kailash.yaml",
        "security: {allowed_directories: [./data], enable_audit_logging: true}\n"
        "deploy:\n  ignore: [KD601, KD603, KD604]\n  severity: {KD602: error}\n",
    )

    result = run_cli("check-deploy", "--select", "KD60", "-f", "json", cwd=where, extra_env=NO_CI)

    assert result.returncode == 1
    assert [(p["id"], p["severity"], p["line"]) for p in json.loads(result.stdout)] == [
        ("KD602", "error", 5),
        ("KD602", "error", 3),
    ]


def test_inline_ignore_on_the_line_or_the_comment_line_above(tmp_path: Path, run_cli: RunCli) -> None:
    where = project(tmp_path, "dependencies/bad")
    write_file(
        where,
        "requirements.txt",
        "requests==2.32.3\nflask>=3.0  # kailash: ignore[KD501]\n"
        "# kailash: ignore[KD502, KD501]\npytest\nPyYAML  # kailash: ignore[KD502]\n",
    )
    dockerfile = "# kailash: ignore[KD603]\nFROM python:latest\nUSER app\nHEALTHCHECK CMD true\n"
    write_file(where, "Dockerfile", dockerfile)
    write_file(where, "pyproject.toml", "[project]\nname = 'x'\n")

    result = run_cli("check-deploy", "--select", "KD5,KD6", "-f", "json", cwd=where, extra_env=NO_CI)

    assert [(p["id"], p["file"], p["line"]) for p in json.loads(result.stdout)] == [
        ("KD501", "requirements.txt", 5)
    ]


def test_baseline_accepts_existing_findings_and_fails_new_ones(tmp_path: Path, run_cli: RunCli) -> None:
    where = project(tmp_path, "kailash_config/bad")

    written = run_cli("check-deploy", "--write-baseline", "baseline.json", cwd=where, extra_env=NO_CI)
    accepted = run_cli("check-deploy", "--baseline", "baseline.json", cwd=where, extra_env=NO_CI)
    (where / "kailash.yaml").write_text("\n\n" + (where / "kailash.yaml").read_text())  # lines move
    moved = run_cli("check-deploy", "--baseline", "baseline.json", cwd=where, extra_env=NO_CI)
    write_file(where, "workflows/new.yaml", "name: new\nnodes:\n  a: {type: NopeNode}\n")
    new = run_cli("check-deploy", "--baseline", "baseline.json", cwd=where, extra_env=NO_CI)

    assert written.returncode == 1
    assert "baseline with 6 finding(s) written to baseline.json\n" in written.stderr
    entry = json.loads((where / "baseline.json").read_text())["findings"][0]
    assert sorted(entry) == ["file", "hash", "id", "message"]
    assert (accepted.returncode, accepted.stdout) == (0, "")
    assert (moved.returncode, moved.stdout) == (0, "")
    assert new.returncode == 1
    assert new.stdout.startswith("workflows/new.yaml:3:")


def test_broken_baseline_exits_2(tmp_path: Path, run_cli: RunCli) -> None:
    where = project(tmp_path, "clean")
    write_file(where, "baseline.json", "[]")

    result = run_cli("check-deploy", "--baseline", "baseline.json", cwd=where, extra_env=CLEAN_ENV)

    assert result.returncode == 2
    assert result.stderr.startswith("error: baseline file baseline.json is not a kailash baseline (")


def test_unwritable_baseline_exits_2_naming_it(tmp_path: Path, run_cli: RunCli) -> None:
    where = project(tmp_path, "clean")

    result = run_cli("check-deploy", "--write-baseline", "no/such/dir/b.json", cwd=where, extra_env=CLEAN_ENV)

    assert result.returncode == 2
    assert result.stderr.startswith("error: baseline file no/such/dir/b.json cannot be written (")
    assert "Traceback" not in result.stderr


def test_sarif_rules_carry_rationale_fix_and_family(run_cli: RunCli) -> None:
    result = run_cli(
        "check-deploy", "--select", "KD6", "-f", "sarif", cwd=FIXTURES / "containers" / "bad", extra_env=NO_CI
    )

    rules = {r["id"]: r for r in json.loads(result.stdout)["runs"][0]["tool"]["driver"]["rules"]}
    assert rules["KD601"] | {"help": None} == {
        "id": "KD601",
        "name": "ContainerRunsAsRoot",
        "shortDescription": {"text": "container runs as root"},
        "fullDescription": {
            "text": "A process running as root in the container turns any code execution bug into "
            "root on the container and a step away from the host."
        },
        "help": None,
        "helpUri": "https://github.com/kailash-cli/kailash/blob/main/README.md#kd6xx-containers",
        "defaultConfiguration": {"level": "error"},
        "properties": {"tags": ["KD6xx", "Containers", "security"], "security-severity": "8.0"},
    }
    assert rules["KD601"]["help"]["text"].startswith(
        "container runs as root. A process running as root"
    ) and rules["KD601"]["help"]["text"].endswith(
        "Fix: add a user and switch to it: RUN useradd --uid 10001 app, then USER app\n\n"
        "Documentation: https://github.com/kailash-cli/kailash/blob/main/README.md#kd6xx-containers"
    )
    assert all(r["fullDescription"]["text"] and r["help"]["text"] for r in rules.values())


def test_sarif_uris_are_relative_to_the_checkout_and_file_uris_outside_it(
    tmp_path: Path, run_cli: RunCli
) -> None:
    """Code scanning resolves a relative URI from the repository root: the working directory of
    the CI job, not DIR (``check-deploy services/api`` in a monorepo)."""
    root = project(tmp_path, "transport/bad")
    outside = write_file(
        tmp_path.parent / f"{tmp_path.name}-secrets",
        "prod.env",
        "CACHE_URL=redis://cache.example.com:6379/0\n",
    )
    args = ("--select", "KD401", "-f", "sarif", "--env-file", outside)

    result = run_cli("check-deploy", root, *args, cwd=tmp_path, extra_env=NO_CI)

    run = json.loads(result.stdout)["runs"][0]
    uris = {r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] for r in run["results"]}
    assert "project/app/db.py" in uris and outside.resolve().as_uri() in uris
    assert run["originalUriBaseIds"] == {"%SRCROOT%": {"uri": tmp_path.resolve().as_uri() + "/"}}
    for res in run["results"]:
        artifact = res["locations"][0]["physicalLocation"]["artifactLocation"]
        assert artifact.get("uriBaseId") == (None if artifact["uri"].startswith("file:") else "%SRCROOT%")

    # run from DIR itself: relative to it
    inside = run_cli("check-deploy", *args, cwd=root, extra_env=NO_CI)
    results = json.loads(inside.stdout)["runs"][0]["results"]
    assert "app/db.py" in {r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] for r in results}
    # DIR outside the working directory: relative to DIR
    elsewhere = run_cli("check-deploy", root, *args, cwd=outside.parent, extra_env=NO_CI)
    results = json.loads(elsewhere.stdout)["runs"][0]["results"]
    assert "app/db.py" in {r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] for r in results}


def test_placeholders_are_not_scrubbed_out_of_ordinary_words(tmp_path: Path, run_cli: RunCli) -> None:
    root = project(tmp_path, "clean")
    write_file(root, "prod.env", "JWT_SECRET=secret\nAPI_TOKEN=test\nDATABASE_URL=sqlite:///data/app.db\n")

    result = run_cli(
        "check-deploy", ".", "--env-file", "prod.env", "--select", "KD2", cwd=root, extra_env=NO_CI
    )

    fix = "fix: generate a real value, e.g. python -c 'import secrets; print(secrets.token_urlsafe(48))'"
    assert result.stdout.splitlines() == [
        f"prod.env:1:12: error KD202: JWT_SECRET holds a placeholder value, not a real secret; {fix}",
        f"prod.env:2:11: error KD202: API_TOKEN holds a placeholder value, not a real secret; {fix}",
    ]


def test_env_file_dash_reads_standard_input(tmp_path: Path) -> None:
    from helpers import kailash

    root = project(tmp_path, "env_vars/bad")
    env_file = root / "deploy" / "prod.env"
    from_file = kailash("check-deploy", root, "--env-file", env_file, cwd=tmp_path, extra_env=NO_CI)
    piped = kailash("check-deploy", root, "--env-file", "-", input=env_file.read_text(), extra_env=NO_CI)
    assert piped.returncode == from_file.returncode == 1

    def env_findings(out: str, name: str) -> list[str]:
        return [line.split(":", 1)[1] for line in out.splitlines() if line.startswith(name + ":")]

    assert env_findings(from_file.stdout, "project/deploy/prod.env")
    assert env_findings(piped.stdout, "<stdin>") == env_findings(from_file.stdout, "project/deploy/prod.env")
    twice = kailash("check-deploy", root, "--env-file", "-", "--env-file", "-", input="", extra_env=NO_CI)
    assert twice.returncode == 2
    assert twice.stderr == "error: --env-file - is given twice; standard input can be read once\n"


def test_baseline_from_standard_input(tmp_path: Path, run_cli: RunCli) -> None:
    from helpers import kailash

    where = project(tmp_path, "kailash_config/bad")
    run_cli("check-deploy", "--write-baseline", "baseline.json", cwd=where, extra_env=NO_CI)
    piped = kailash(
        "check-deploy",
        "--baseline",
        "-",
        input=(where / "baseline.json").read_text(),
        cwd=where,
        extra_env=NO_CI,
    )
    assert (piped.returncode, piped.stdout) == (0, "")
    dash = kailash("check-deploy", "--write-baseline", "-", cwd=where, extra_env=NO_CI)
    assert dash.returncode == 2 and "--write-baseline -: give a file" in dash.stderr

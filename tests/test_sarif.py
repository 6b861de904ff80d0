"""SARIF from ``validate`` and ``check-deploy`` against the OASIS 2.1.0 schema (with format
checks) and against GitHub code scanning's documented requirements
(https://docs.github.com/en/code-security/code-scanning/integrating-with-code-scanning/sarif-support-for-code-scanning).
"""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path
from typing import Any

import pytest
from helpers import RunCli, write_file
from jsonschema import Draft7Validator

from kailash_cli.checks.catalogue import sarif_rules
from kailash_cli.model.result import Problem
from kailash_cli.report.findings import ReportContext
from kailash_cli.report.sarif import SarifReporter
from kailash_cli.report.sarif_rules import Rule, slug, validate_rules

FIXTURES = Path(__file__).resolve().parent / "fixtures"
README = Path(__file__).resolve().parents[1] / "README.md"
#: tests/fixtures/sarif/README.md says where the schema comes from
SCHEMA = json.loads((FIXTURES / "sarif" / "sarif-schema-2.1.0.json").read_text(encoding="utf-8"))
OASIS = Draft7Validator(SCHEMA, format_checker=Draft7Validator.FORMAT_CHECKER)
NO_CI = {"GITHUB_ACTIONS": ""}
#: GitHub's limits on an upload (rules and results per run, tags per rule, description length)
MAX_TAGS, MAX_DESCRIPTION, MAX_LOCATIONS = 20, 1024, 1000


def oasis_errors(doc: dict[str, Any]) -> list[str]:
    return [f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in OASIS.iter_errors(doc)]


def _github_rule_errors(rule: dict[str, Any]) -> list[str]:
    where = f"rule {rule.get('id')}"
    errors = [f"{where}: no {key}" for key in ("id", "name", "helpUri") if not rule.get(key)]
    for key in ("shortDescription", "fullDescription"):
        text = rule.get(key, {}).get("text", "")
        if not text or len(text) > MAX_DESCRIPTION:
            errors.append(f"{where}: {key}.text missing or over {MAX_DESCRIPTION} characters")
    if not (rule.get("help", {}).get("text") and rule.get("help", {}).get("markdown")):
        errors.append(f"{where}: help needs text and markdown")
    if not str(rule.get("helpUri", "")).startswith("https://"):
        errors.append(f"{where}: helpUri is not an https URL")
    properties = rule.get("properties", {})
    tags = properties.get("tags", [])
    if len(tags) > MAX_TAGS or len(set(tags)) != len(tags):
        errors.append(f"{where}: tags repeat or exceed {MAX_TAGS}")
    score = properties.get("security-severity")
    if score is not None and not (
        "security" in tags and isinstance(score, str) and 0.0 <= float(score) <= 10.0
    ):
        errors.append(f"{where}: security-severity must be a string 0.0-10.0 on a 'security' rule")
    return errors


def _github_result_errors(result: dict[str, Any], rule_ids: list[str], bases: dict[str, Any]) -> list[str]:
    where = f"result {result.get('ruleId')}"
    errors = []
    if result.get("ruleId") not in rule_ids or rule_ids[result.get("ruleIndex", -1)] != result["ruleId"]:
        errors.append(f"{where}: ruleId/ruleIndex do not name a rule")
    if not result.get("message", {}).get("text"):
        errors.append(f"{where}: no message.text")
    if not result.get("partialFingerprints"):
        errors.append(f"{where}: no partialFingerprints")
    locations = result.get("locations", [])
    if not 1 <= len(locations) <= MAX_LOCATIONS:
        errors.append(f"{where}: needs 1 to {MAX_LOCATIONS} locations")
    for location in locations:
        physical = location.get("physicalLocation", {})
        artifact = physical.get("artifactLocation", {})
        if not artifact.get("uri") or physical.get("region", {}).get("startLine", 0) < 1:
            errors.append(f"{where}: a location needs artifactLocation.uri and region.startLine")
        base = artifact.get("uriBaseId")
        if base is not None and not str(bases.get(base, {}).get("uri", "")).endswith("/"):
            errors.append(f"{where}: uriBaseId {base} is not in originalUriBaseIds (ending in /)")
    return errors


def github_errors(doc: dict[str, Any]) -> list[str]:
    """What GitHub code scanning's SARIF documentation asks of an upload, beyond the schema."""
    errors = [] if doc.get("version") == "2.1.0" else ["version is not 2.1.0"]
    for run in doc.get("runs", []):
        driver = run.get("tool", {}).get("driver", {})
        rules = driver.get("rules", [])
        errors += [] if driver.get("name") else ["tool.driver.name is missing"]
        errors += [] if run.get("automationDetails", {}).get("id") else ["automationDetails.id is missing"]
        for rule in rules:
            errors += _github_rule_errors(rule)
        ids = [r.get("id") for r in rules]
        for result in run.get("results", []):
            errors += _github_result_errors(result, ids, run.get("originalUriBaseIds", {}))
    return errors


def assert_accepted(doc: dict[str, Any]) -> None:
    assert oasis_errors(doc) == []
    assert github_errors(doc) == []


def test_the_validators_fail_what_github_and_the_schema_refuse() -> None:
    doc = SarifReporter().document([Problem("KV201", "error", "m", "a.yaml", 1, 1)], ReportContext())
    doc["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] = "a b.yaml"
    doc["runs"][0]["tool"]["driver"]["rules"][0].pop("help")
    doc["runs"][0]["results"][0].pop("partialFingerprints")

    assert oasis_errors(doc) == [
        "runs/0/results/0/locations/0/physicalLocation/artifactLocation/uri: "
        "'a b.yaml' is not a 'uri-reference'"
    ]
    assert github_errors(doc) == [
        "rule KV201: help needs text and markdown",
        "result KV201: no partialFingerprints",
    ]


ODD_NAMES = ["my flows/bad 100%.yaml", "my flows/café.yaml", "wf:colon.yaml"]


def test_validate_sarif_is_accepted_with_odd_file_names(tmp_path: Path, run_cli: RunCli) -> None:
    for name in ODD_NAMES:
        write_file(tmp_path, name, "name: x\nnodes:\n  a: {type: PythonCodeNod}\n")

    result = run_cli("validate", ".", "--format", "sarif", cwd=tmp_path)

    assert result.returncode == 1
    doc = json.loads(result.stdout)
    assert_accepted(doc)
    run = doc["runs"][0]
    artifacts = [r["locations"][0]["physicalLocation"]["artifactLocation"] for r in run["results"]]
    assert artifacts == [
        {"uri": "my%20flows/bad%20100%25.yaml", "uriBaseId": "%SRCROOT%"},
        {"uri": "my%20flows/caf%C3%A9.yaml", "uriBaseId": "%SRCROOT%"},
        {"uri": "wf%3Acolon.yaml", "uriBaseId": "%SRCROOT%"},
    ]
    assert run["originalUriBaseIds"] == {"%SRCROOT%": {"uri": tmp_path.resolve().as_uri() + "/"}}
    assert run["automationDetails"] == {"id": "kailash-validate/"}


def test_check_deploy_sarif_is_accepted_and_security_rules_are_ranked(
    tmp_path: Path, run_cli: RunCli
) -> None:
    root = tmp_path / "deploy dir ü"
    shutil.copytree(FIXTURES / "deploy" / "secrets" / "bad", root)
    shutil.copytree(FIXTURES / "deploy" / "containers" / "bad", root / "ops")

    result = run_cli("check-deploy", root, "-f", "sarif", cwd=tmp_path, extra_env=NO_CI)

    doc = json.loads(result.stdout)
    assert_accepted(doc)
    run = doc["runs"][0]
    assert run["automationDetails"] == {"id": "kailash-check-deploy/"}
    rules = {r["id"]: r for r in run["tool"]["driver"]["rules"]}
    assert rules["KD301"]["properties"] == {
        "tags": ["KD3xx", "Secrets", "security"],
        "security-severity": "9.0",
    }
    assert rules["KD601"]["properties"] == {
        "tags": ["KD6xx", "Containers", "security"],
        "security-severity": "8.0",
    }
    assert rules["KD601"]["name"] == "ContainerRunsAsRoot"
    assert rules["KD601"]["helpUri"].endswith("README.md#kd6xx-containers")
    assert rules["KD601"]["defaultConfiguration"] == {"level": "error"}


def test_every_rule_of_both_commands_is_accepted() -> None:
    rules: dict[str, Rule] = {**validate_rules(), **sarif_rules()}
    problems = [Problem(i, "warning", f"finding {i}", "a.yaml", 1, 1, "fix") for i in rules]

    doc = SarifReporter().document(problems, ReportContext(rules=rules))

    assert_accepted(doc)
    assert len(doc["runs"][0]["tool"]["driver"]["rules"]) == len(rules)


def test_every_help_uri_is_a_readme_heading() -> None:
    headings = {slug(h) for h in re.findall(r"^#+ (.+)$", README.read_text(encoding="utf-8"), re.M)}
    rules: dict[str, Rule] = {**validate_rules(), **sarif_rules()}

    assert {r.anchor for r in rules.values()} - headings == set()


def test_an_unknown_id_still_gets_a_complete_rule() -> None:
    doc = SarifReporter().document([Problem("KX999", "info", "m", None, None, None)], ReportContext())

    assert_accepted(doc)
    assert doc["runs"][0]["results"][0]["level"] == "note"


def fingerprints(problems: list[Problem]) -> list[str]:
    results = SarifReporter().document(problems, ReportContext())["runs"][0]["results"]
    return [r["partialFingerprints"]["kailashFindingHash/v1"] for r in results]


def test_fingerprints_survive_moved_lines_and_tell_repeats_apart() -> None:
    before = fingerprints([Problem("KD301", "error", "AWS key in app.py", "app.py", 3, 1)])
    after = fingerprints(
        [Problem("KD301", "error", "AWS key in app.py", "app.py", 9, 5)] * 2
        + [Problem("KD301", "error", "AWS key in app.py", "other.py", 9, 5)]
    )

    assert after[0] == before[0]
    assert re.fullmatch(r"[0-9a-f]{16}:1", after[0])
    assert len(set(after)) == 3


@pytest.mark.parametrize(
    ("fix", "markdown"),
    [
        ("set `a_b: *x*` in <file>", "set `a_b: *x*` in \\<file\\>"),
        ("one ` backtick and *", "one \\` backtick and \\*"),
    ],
)
def test_help_markdown_escapes_outside_code(fix: str, markdown: str) -> None:
    rule = Rule("KV999", "t", "r", fix, "a")
    doc = SarifReporter().document(
        [Problem("KV999", "error", "m", "a.yaml", 1)], ReportContext({"KV999": rule})
    )

    help_ = doc["runs"][0]["tool"]["driver"]["rules"][0]["help"]
    assert f"**Fix:** {markdown}\n" in help_["markdown"]

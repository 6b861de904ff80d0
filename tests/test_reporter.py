from __future__ import annotations

import json
from pathlib import Path

import pytest

from kailash_cli import __version__
from kailash_cli.model.result import Problem
from kailash_cli.report.findings import (
    REPORTER_BY_NAME,
    GithubReporter,
    JsonReporter,
    JunitReporter,
    ReportContext,
    SarifReporter,
    TextReporter,
    location,
    render,
    summary,
    summary_lines,
    text_line,
)
from kailash_cli.report.sarif_rules import Rule

ERROR = Problem(
    "KV201",
    "error",
    "connection target 'procesor.input' names unknown node 'procesor' (did you mean 'processor'?)",
    "wf/etl.yaml",
    12,
    5,
    "use one of the node ids under nodes:",
)
WARNING = Problem("KV307", "warning", "${REGION} reads environment variable REGION", "etl.yaml", 3, 9, None)
NO_PLACE = Problem(
    "KV001", "error", "cannot read file: No such file or directory", "gone.yaml", None, None, "check the path"
)
INFO = Problem("KD999", "info", "note this", None, 4, None, None)
CONTEXT = ReportContext()


def render_text(problems: list[Problem]) -> str:
    return TextReporter().render(problems, CONTEXT)


def render_json(problems: list[Problem]) -> str:
    return JsonReporter().render(problems, CONTEXT)


def render_github(problems: list[Problem]) -> str:
    return GithubReporter().render(problems, CONTEXT)


def test_text_line_is_path_line_col_severity_id_message_fix() -> None:
    assert text_line(ERROR) == (
        "wf/etl.yaml:12:5: error KV201: connection target 'procesor.input' names unknown node 'procesor' "
        "(did you mean 'processor'?); fix: use one of the node ids under nodes:"
    )


@pytest.mark.parametrize(
    ("problem", "text"),
    [
        (WARNING, "etl.yaml:3:9: warning KV307: ${REGION} reads environment variable REGION"),
        (
            NO_PLACE,
            "gone.yaml: error KV001: cannot read file: No such file or directory; fix: check the path",
        ),
        (INFO, "-:4: info KD999: note this"),
    ],
)
def test_text_line_without_some_parts(problem: Problem, text: str) -> None:
    assert text_line(problem) == text


def test_location() -> None:
    assert [location(p) for p in (ERROR, NO_PLACE, INFO)] == ["wf/etl.yaml:12:5", "gone.yaml", "-:4"]


def test_render_text_is_one_line_per_problem() -> None:
    assert render_text([ERROR, WARNING]) == text_line(ERROR) + "\n" + text_line(WARNING) + "\n"
    assert render_text([]) == ""


def test_render_json_is_a_list_of_findings() -> None:
    assert json.loads(render_json([ERROR, NO_PLACE])) == [
        {
            "id": "KV201",
            "severity": "error",
            "message": ERROR.message,
            "file": "wf/etl.yaml",
            "line": 12,
            "column": 5,
            "fix": "use one of the node ids under nodes:",
        },
        {
            "id": "KV001",
            "severity": "error",
            "message": "cannot read file: No such file or directory",
            "file": "gone.yaml",
            "line": None,
            "column": None,
            "fix": "check the path",
        },
    ]
    assert json.loads(render_json([])) == []


def test_render_github_annotations() -> None:
    assert render_github([ERROR, WARNING, NO_PLACE, INFO]).splitlines() == [
        "::error file=wf/etl.yaml,line=12,col=5,title=KV201::connection target 'procesor.input' names "
        "unknown node 'procesor' (did you mean 'processor'?); fix: use one of the node ids under nodes:",
        "::warning file=etl.yaml,line=3,col=9,title=KV307::${REGION} reads environment variable REGION",
        "::error file=gone.yaml,title=KV001::cannot read file: No such file or directory; "
        "fix: check the path",
        "::notice file=,line=4,title=KD999::note this",
    ]


def test_render_github_escapes_data_and_properties() -> None:
    problem = Problem("KV:1,2", "error", "100% sure\nsecond line\r", "dir,a:b/100%.yaml", 1, 2, None)

    assert render_github([problem]) == (
        "::error file=dir%2Ca%3Ab/100%25.yaml,line=1,col=2,title=KV%3A1%2C2::100%25 sure%0Asecond line%0D\n"
    )


def sarif_of(problems: list[Problem]) -> dict:
    return json.loads(SarifReporter().render(problems, CONTEXT))


def test_sarif_header_and_tool() -> None:
    doc = sarif_of([ERROR])

    assert doc["version"] == "2.1.0"
    assert doc["$schema"] == "https://json.schemastore.org/sarif-2.1.0.json"
    assert len(doc["runs"]) == 1
    driver = doc["runs"][0]["tool"]["driver"]
    assert (driver["name"], driver["version"]) == ("kailash", __version__)
    assert driver["informationUri"].startswith("https://")


def test_sarif_has_one_rule_per_id_and_results_point_at_them() -> None:
    doc = sarif_of([ERROR, WARNING, ERROR, INFO])
    run = doc["runs"][0]
    rules = run["tool"]["driver"]["rules"]

    assert [r["id"] for r in rules] == ["KD999", "KV201", "KV307"]
    assert all(r["shortDescription"]["text"] for r in rules)
    assert [(r["ruleId"], r["ruleIndex"]) for r in run["results"]] == [
        ("KV201", 1),
        ("KV307", 2),
        ("KV201", 1),
        ("KD999", 0),
    ]
    for result in run["results"]:
        assert rules[result["ruleIndex"]]["id"] == result["ruleId"]


def test_sarif_rule_descriptions_can_be_given() -> None:
    rule = Rule("KV201", "connections name existing nodes", "why", "fix", "anchor")
    doc = SarifReporter().document([ERROR], ReportContext(rules={"KV201": rule}))

    assert doc["runs"][0]["tool"]["driver"]["rules"][0]["shortDescription"] == {
        "text": "connections name existing nodes"
    }


def test_sarif_levels() -> None:
    results = sarif_of([ERROR, WARNING, INFO])["runs"][0]["results"]

    assert [r["level"] for r in results] == ["error", "warning", "note"]


def test_sarif_result_message_and_location() -> None:
    result = sarif_of([ERROR])["runs"][0]["results"][0]

    assert result["message"] == {"text": f"{ERROR.message}; fix: use one of the node ids under nodes:"}
    assert result["locations"] == [
        {
            "physicalLocation": {
                "artifactLocation": {"uri": "wf/etl.yaml", "uriBaseId": "%SRCROOT%"},
                "region": {"startLine": 12, "startColumn": 5},
            }
        }
    ]


def test_sarif_every_result_has_a_start_line() -> None:
    # GitHub code scanning rejects a result without a location and region.startLine
    results = sarif_of([NO_PLACE, INFO])["runs"][0]["results"]

    assert [r["locations"][0]["physicalLocation"]["region"] for r in results] == [
        {"startLine": 1},
        {"startLine": 4},
    ]
    assert [r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] for r in results] == [
        "gone.yaml",
        "unknown",
    ]


def test_sarif_absolute_paths(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    inside = Problem("KV202", "error", "m", str(tmp_path / "wf" / "a.yaml"), 1, 1, None)
    outside = Problem("KV202", "error", "m", "/elsewhere/b.yaml", 1, 1, None)

    results = sarif_of([inside, outside])["runs"][0]["results"]

    assert [r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] for r in results] == [
        "wf/a.yaml",
        "file:///elsewhere/b.yaml",
    ]


def test_sarif_without_problems_is_still_a_complete_run() -> None:
    doc = sarif_of([])

    assert doc["runs"][0]["results"] == []
    assert doc["runs"][0]["tool"]["driver"]["rules"] == []


def test_reporter_by_name_covers_every_format() -> None:
    assert list(REPORTER_BY_NAME) == ["text", "json", "github", "sarif", "junit"]
    assert render([ERROR], "text") == render_text([ERROR])
    for name, reporter in REPORTER_BY_NAME.items():
        assert render([ERROR, INFO], name, CONTEXT) == reporter.render([ERROR, INFO], CONTEXT)


def test_junit_is_one_failed_case_per_finding() -> None:
    assert JunitReporter().render([ERROR, INFO], CONTEXT) == (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<testsuites name="kailash" tests="2" failures="2">\n'
        '  <testsuite name="kailash" tests="2" failures="2" errors="0">\n'
        '    <testcase classname="KV201" name="KV201 wf/etl.yaml:12:5" file="wf/etl.yaml">\n'
        '      <failure type="error" message="connection target \'procesor.input\' names unknown node '
        "'procesor' (did you mean 'processor'?)\">" + text_line(ERROR) + "</failure>\n"
        "    </testcase>\n"
        '    <testcase classname="KD999" name="KD999 -:4" file="">\n'
        '      <failure type="info" message="note this">-:4: info KD999: note this</failure>\n'
        "    </testcase>\n"
        "  </testsuite>\n</testsuites>\n"
    )


def test_junit_without_findings_is_one_passing_case() -> None:
    assert '<testcase classname="kailash" name="no findings"/>' in JunitReporter().render([], CONTEXT)


def test_sarif_with_a_root_gives_relative_uris_and_the_base(tmp_path: Path) -> None:
    inside = Problem("KD101", "error", "m", str(tmp_path / "app" / "a.py"), 1, 1, None)
    outside = Problem("KD101", "error", "m", "/elsewhere/b.py", 1, 1, None)

    run = SarifReporter().document([inside, outside], ReportContext(root=tmp_path))["runs"][0]

    assert [r["locations"][0]["physicalLocation"]["artifactLocation"] for r in run["results"]] == [
        {"uri": "app/a.py", "uriBaseId": "%SRCROOT%"},
        {"uri": "file:///elsewhere/b.py"},
    ]
    assert run["originalUriBaseIds"] == {"%SRCROOT%": {"uri": tmp_path.resolve().as_uri() + "/"}}


def test_summary_lines_count_each_severity_with_its_ids() -> None:
    assert summary_lines([ERROR, ERROR, WARNING]) == ["2 errors: KV201", "1 warning: KV307", "0 info"]
    assert summary_lines([]) == ["0 errors", "0 warnings", "0 info"]


@pytest.mark.parametrize(
    ("problems", "text"),
    [
        ([], "3 file(s) checked, no problems"),
        ([ERROR], "1 error in 3 file(s) checked"),
        ([ERROR, ERROR, WARNING], "2 errors, 1 warning in 3 file(s) checked"),
        ([WARNING, WARNING, INFO], "2 warnings, 1 info in 3 file(s) checked"),
    ],
)
def test_summary(problems: list[Problem], text: str) -> None:
    assert summary(problems, 3) == text

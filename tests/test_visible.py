"""Control characters in user text are shown as escapes in every text format."""

from __future__ import annotations

import io
import json
from pathlib import Path
from xml.dom import minidom

import pytest
from helpers import RunCli, write_file

from kailash_cli.model.result import Problem
from kailash_cli.report.findings import ReportContext, render
from kailash_cli.report.output import Output
from kailash_cli.report.visible import visible

HOSTILE = Problem(
    "KV202",
    "error",
    "node 'x\x1b]0;pwned\x07': unknown node type 'Foo\x1b[2JNode'",
    "dir\nname/wf.yaml",
    4,
    11,
    "see \u202etxt.exe",
)


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        ("plain text, tabs\tand all", "plain text, tabs\\tand all"),
        ("\x1b[31mred\x1b[0m", "\\x1b[31mred\\x1b[0m"),
        ("line\nbreak\r", "line\\nbreak\\r"),
        ("bidi \u202e and \u2028 separators", "bidi \\u202e and \\u2028 separators"),
        ("C1 \x9b control, DEL \x7f", "C1 \\x9b control, DEL \\x7f"),
        ("unicode stays: café, 東京, naïve", "unicode stays: café, 東京, naïve"),
    ],
)
def test_visible(text: str, shown: str) -> None:
    assert visible(text) == shown


def test_visible_keeps_what_it_is_told() -> None:
    assert visible("a\nb\x1b", keep="\n") == "a\nb\\x1b"


def test_text_findings_are_one_line_without_control_characters() -> None:
    assert render([HOSTILE], "text") == (
        "dir\\nname/wf.yaml:4:11: error KV202: node 'x\\x1b]0;pwned\\x07': unknown node type "
        "'Foo\\x1b[2JNode'; fix: see \\u202etxt.exe\n"
    )


def test_github_annotations_escape_control_characters() -> None:
    assert render([HOSTILE], "github") == (
        "::error file=dir%0Aname/wf.yaml,line=4,col=11,title=KV202::node 'x\\x1b]0;pwned\\x07': "
        "unknown node type 'Foo\\x1b[2JNode'; fix: see \\u202etxt.exe\n"
    )


def test_junit_is_well_formed_xml() -> None:
    document = minidom.parseString(render([HOSTILE], "junit", ReportContext()))

    failure = document.getElementsByTagName("failure")[0]
    assert failure.getAttribute("message") == (
        "node 'x\\x1b]0;pwned\\x07': unknown node type 'Foo\\x1b[2JNode'"
    )


def test_json_keeps_the_text_as_it_is() -> None:
    """JSON escapes control characters itself; a consumer gets the exact text back."""
    assert json.loads(render([HOSTILE], "json"))[0]["message"] == HOSTILE.message


def test_stderr_lines_escape_control_characters_but_keep_line_breaks() -> None:
    stderr = io.StringIO()
    output = Output(stderr=stderr)

    output.err("error: node 'a\x1b[2J' failed\nsecond line")
    output.finding(HOSTILE)

    assert stderr.getvalue() == (
        "error: node 'a\\x1b[2J' failed\nsecond line\n"
        "dir\\nname/wf.yaml:4:11: error KV202: node 'x\\x1b]0;pwned\\x07': unknown node type "
        "'Foo\\x1b[2JNode'; fix: see \\u202etxt.exe\n"
    )


def test_validate_escapes_a_key_in_every_text_format(tmp_path: Path, run_cli: RunCli) -> None:
    write_file(tmp_path, "wf.yaml", 'name: wf\nnodes:\n  "x\\e[2J":\n    type: "A\\e]0;t\\aNode"\n')

    for format_ in ("text", "github", "junit"):
        result = run_cli("validate", "wf.yaml", "-f", format_, cwd=tmp_path)

        assert result.returncode == 1
        assert "\x1b" not in result.stdout and "\x07" not in result.stdout
        assert "x\\x1b[2J" in result.stdout


def test_stdout_results_escape_control_characters_but_keep_layout() -> None:
    stdout = io.StringIO()

    Output(stdout=stdout).out("node a failed: \x1b]0;owned\x07\n\tindented")

    assert stdout.getvalue() == "node a failed: \\x1b]0;owned\\x07\n\tindented\n"

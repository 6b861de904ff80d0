"""Issue 13, item 3: results that were silently wrong are now findings or failures."""

from __future__ import annotations

from pathlib import Path

import pytest
from helpers import first_finding, kailash, run_workflow, statuses, write


def test_an_outputs_expression_error_fails_the_run(tmp_path: Path) -> None:
    result = run_workflow(
        tmp_path,
        """\
        name: outs
        nodes:
          a: {type: PythonCodeNode, config: {code: "result = {'x': 1}"}}
        outputs:
          bad: "${nodes.a.result.nope}"
          good: "${nodes.a.result.x}"
        """,
    )

    assert (result.status, result.outputs) == ("failed", {"bad": None, "good": 1})
    assert result.error == "outputs.bad: ${nodes.a.result.nope}: 'nodes.a.result' has no key 'nope' (keys: x)"


def test_an_output_over_a_node_that_did_not_run_is_null(tmp_path: Path) -> None:
    result = run_workflow(
        tmp_path,
        """\
        name: outs
        nodes:
          a: {type: PythonCodeNode, when: false, config: {code: "result = 1"}}
        outputs:
          selected: "${nodes.a.result}"
        """,
    )

    assert (result.status, result.outputs, result.error) == ("succeeded", {"selected": None}, None)


@pytest.mark.parametrize(
    ("code", "error"),
    [
        ("result = {'x': float('nan')}", "result.x: NaN is not a JSON number (return None, or the text)"),
        ("result = [float('-inf')]", "result[0]: -Infinity is not a JSON number (return None, or the text)"),
        ("result = (i for i in range(3))", "result: a generator (return a list: list(...))"),
        ("result = {'m': map(str, [1])}", "result.m: a map (return a list: list(...))"),
    ],
)
def test_non_finite_numbers_fail_the_node(tmp_path: Path, code: str, error: str) -> None:
    result = run_workflow(
        tmp_path, f'name: x\nnodes:\n  a: {{type: PythonCodeNode, config: {{code: "{code}"}}}}\n'
    )

    assert (
        result.nodes["a"].error
        == f"NotStorableError: {error}; the run store keeps JSON data (text keys, no cycles)"
    )


def test_an_expression_making_infinity_fails(tmp_path: Path) -> None:
    result = run_workflow(
        tmp_path,
        'name: x\nnodes:\n  a: {type: PythonCodeNode, config: {code: "result = v", v: "${1e308 * 10}"}}\n',
    )

    assert result.nodes["a"].error == "${1e308 * 10}: the result is inf, not a finite number"


def test_when_as_text_is_a_finding(tmp_path: Path) -> None:
    workflow = 'name: x\nnodes:\n  a: {type: PythonCodeNode, when: "yes", config: {code: "result = 1"}}\n'

    assert first_finding(tmp_path, "wf.yaml", workflow) == (
        "wf.yaml:3:35: error KV214: node 'a': when is the text 'yes', not true, false or one ${...} "
        "expression; fix: write true or false without quotes, or one ${...} expression"
    )


def test_when_giving_the_text_false_fails_the_node(tmp_path: Path) -> None:
    result = run_workflow(
        tmp_path,
        "name: x\nnodes:\n  a: {type: PythonCodeNode, when: \"${'false'}\", config: {code: 'result = 1'}}\n",
    )

    assert statuses(result) == {"a": "failed"}
    assert result.nodes["a"].error == "when gave 'false', not true or false; compare it: ${x == 'yes'}"


def test_broken_json_in_a_param_is_refused(tmp_path: Path) -> None:
    write(
        tmp_path / "wf.yaml",
        """\
        name: p
        params:
          tags: {type: array}
        nodes:
          a: {type: PythonCodeNode, config: {code: "result = t", t: "${params.tags}"}}
        """,
    )

    proc = kailash("run", "wf.yaml", "-p", "tags=[1,2", cwd=tmp_path)

    assert (proc.returncode, proc.stderr) == (
        2,
        "error: -p tags: '[1,2' looks like JSON but does not parse: Expecting ',' delimiter at character 5\n",
    )


def test_a_fallback_without_an_output_that_is_read_is_a_finding(tmp_path: Path) -> None:
    write(
        tmp_path / "wf.yaml",
        """\
        name: fb
        nodes:
          a:
            type: CSVReaderNode
            config: {file_path: x.csv}
            fallback: b
          b:
            type: HTTPRequestNode
            config: {url: "http://localhost:1/"}
          c:
            type: PythonCodeNode
            config: {code: "result = rows"}
        connections:
          - a.data -> c.rows
        """,
    )

    proc = kailash("validate", "wf.yaml", cwd=tmp_path)

    assert proc.stdout.splitlines()[0] == (
        "wf.yaml:14:5: error KV215: connection source 'a.data': 'a' may be replaced by its fallback 'b', "
        "and HTTPRequestNode has no output 'data'; fix: use a fallback with the same outputs "
        "(it has: response, status_code, headers)"
    )

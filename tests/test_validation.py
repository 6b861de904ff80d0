from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from conftest import RunCli

from kailash_cli.compile.validation import check_document, load_workflow
from kailash_cli.errors import WorkflowValidationError
from kailash_cli.load.yaml_io import load_text
from kailash_cli.model.result import Problem

INVALID = Path(__file__).parent / "fixtures" / "invalid"
CASES = sorted(p.stem for p in INVALID.glob("*.yaml"))


def test_there_is_an_expected_output_for_every_case() -> None:
    assert len(CASES) >= 15
    assert sorted(p.name.removesuffix(".expected.txt") for p in INVALID.glob("*.expected.txt")) == CASES


@pytest.mark.parametrize("case", CASES)
def test_invalid_case_reports_exactly_the_expected_text(case: str, run_cli: RunCli) -> None:
    expected = (INVALID / f"{case}.expected.txt").read_text(encoding="utf-8")

    result = run_cli("validate", f"{case}.yaml", cwd=INVALID)

    assert result.stdout == expected
    assert "Traceback" not in result.stderr
    has_error = any(line.split(": ")[1].startswith("error ") for line in expected.splitlines())
    assert result.returncode == (1 if has_error else 0), result.stderr


def check(text: str) -> list[Problem]:
    return check_document(load_text(text, "wf.yaml"))


VALID = """\
name: ok
params:
  n: {type: integer, default: 2}
  path: {type: string, default: out.json}
env: [API_URL]
secrets:
  token: {env: TOKEN}
nodes:
  read:
    type: JSONReaderNode
    config: {file_path: in.json}
  code:
    type: PythonCodeNode
    config: {code: "result = {'total': len(rows)}", limit: "${params.n}"}
    when: "${params.n > 1 and len(env.API_URL) > 0}"
  write:
    type: JSONWriterNode
    config:
      file_path: "${params.path}"
      indent: "${params.n}"
      data: "${nodes.code.total}"
  call:
    type: HTTPRequestNode
    config:
      url: "${API_URL}/items?run=${run.id}"
      headers: {Authorization: "Bearer ${secrets.token}"}
      timeout: "${params.n}"
    permissions: {when: "${user.attributes.level > 3}"}
connections:
  - read.data -> code.rows
outputs:
  total: "${nodes.code.result.total}"
"""


def test_valid_workflow_has_no_problems() -> None:
    assert check(VALID) == []


def test_validating_a_valid_workflow_imports_no_heavy_module(tmp_path: Path) -> None:
    """`kailash validate` costs mostly imports (issue 8): a valid file needs none of these."""
    path = tmp_path / "wf.yaml"
    path.write_text(VALID, encoding="utf-8")
    heavy = ("networkx", "httpx", "jsonschema", "pydantic", "rich")
    code = (
        "import sys; from pathlib import Path; from kailash_cli.commands.validate import validate; "
        f"code = validate([Path({str(path)!r})]); "
        f"print(code, sorted(m for m in {heavy!r} if m in sys.modules))"
    )

    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)

    assert result.stdout.splitlines()[-1] == "0 []"


def test_expressions_in_config_skip_the_type_checks() -> None:
    # indent is an integer, timeout a number: "${params.n}" is an int at run time
    problems = check(VALID.replace('indent: "${params.n}"', 'indent: "two"'))

    assert problems == [
        Problem(
            "KV103",
            "error",
            "nodes.write.config.indent must be an integer or null, got string",
            "wf.yaml",
            20,
            15,
            "write an integer or null here",
        )
    ]


def test_expressions_outside_config_are_type_checked() -> None:
    text = VALID.replace("    permissions:", '    timeout: "${params.n}"\n    permissions:')

    assert check(text) == [
        Problem(
            "KV103",
            "error",
            "nodes.call.timeout must be a number, got string",
            "wf.yaml",
            28,
            14,
            "write a number here",
        )
    ]


def test_a_node_that_is_an_expression_is_not_a_node() -> None:
    problems = check('name: x\nnodes:\n  a: "${params.n}"\n')

    assert [(p.id, p.message) for p in problems] == [("KV103", "nodes.a must be a mapping, got string")]


def test_every_problem_is_reported_at_once_sorted_by_position() -> None:
    text = """\
name: x
nodes:
  a:
    type: PythonCodeNode
    config: {code: "result = v", u: "${nodes.zz.result}", v: "${params.missing}"}
    depends_on: [b]
  b:
    type: PythonCodeNode
    config: {code: "result = 1"}
    depends_on: [a]
    fallback: nope
  c:
    type: NoSuchNode
connections:
  - a.result -> ghost.x
"""
    problems = check(text)

    assert [(p.id, p.line, p.column) for p in problems] == [
        ("KV207", 3, 3),
        ("KV303", 5, 37),
        ("KV302", 5, 62),
        ("KV206", 11, 15),
        ("KV202", 13, 11),
        ("KV201", 15, 5),
    ]
    assert problems[0].message == "cycle between nodes: a -> b -> a"


def test_cycle_through_an_expression_and_a_connection() -> None:
    text = """\
name: x
nodes:
  first:
    type: PythonCodeNode
    config: {code: "result = v", v: "${nodes.second.result}"}
  second:
    type: PythonCodeNode
    config: {code: "result = v"}
connections:
  - first.result -> second.v
"""
    assert [p.message for p in check(text)] == ["cycle between nodes: first -> second -> first"]


def test_two_cycles_are_both_reported() -> None:
    text = """\
name: x
nodes:
  a: {type: PythonCodeNode, config: {code: "result = 1"}, depends_on: b}
  b: {type: PythonCodeNode, config: {code: "result = 1"}, depends_on: a}
  c: {type: PythonCodeNode, config: {code: "result = 1"}, depends_on: d}
  d: {type: PythonCodeNode, config: {code: "result = 1"}, depends_on: c}
"""
    assert [p.message for p in check(text)] == [
        "cycle between nodes: a -> b -> a",
        "cycle between nodes: c -> d -> c",
    ]


def test_required_parameter_may_arrive_by_a_connection() -> None:
    text = """\
name: x
nodes:
  read: {type: JSONReaderNode, config: {file_path: a.json}}
  write: {type: JSONWriterNode, config: {file_path: b.json}}
connections: ["read.data -> write.data"]
"""
    assert check(text) == []


def test_mapping_result_keys_and_nested_outputs_are_accepted() -> None:
    text = """\
name: x
nodes:
  calc: {type: PythonCodeNode, config: {code: "result = {'sum': 1}"}}
  write: {type: JSONWriterNode, config: {file_path: b.json}}
  route: {type: SwitchNode, config: {condition_field: k, cases: [1, true]}}
  merge: {type: MergeNode, config: {strategy: list}}
connections:
  - calc.result.sum -> write.data
  - calc.sum -> route.input_data
  - route.case_1 -> merge.data1
  - route.case_true -> merge.data2
  - {from: route.default, to: merge.data3}
outputs:
  merged: "${nodes.merge.merged_data}"
"""
    assert check(text) == []


def test_unknown_parameter_of_merge_node() -> None:
    text = """\
name: x
nodes:
  a: {type: PythonCodeNode, config: {code: "result = 1"}}
  merge: {type: MergeNode}
connections: ["a.result -> merge.input"]
"""
    assert [p.message for p in check(text)] == [
        "connection target 'merge.input': MergeNode has no parameter 'input'"
    ]


def test_empty_and_non_mapping_documents_are_kv005() -> None:
    assert check("") == [
        Problem(
            "KV005",
            "error",
            "the file is empty",
            "wf.yaml",
            1,
            1,
            "write a workflow: name, nodes, connections",
        )
    ]
    assert check("just text\n") == [
        Problem(
            "KV005",
            "error",
            "the top level must be a mapping (name:, nodes:, ...)",
            "wf.yaml",
            1,
            1,
            "see `kailash schema workflow`",
        )
    ]


def test_yaml_problems_come_first_and_stop_nothing_else() -> None:
    problems = check("name: x\nname: y\nnodes:\n  a: {type: Nope}\n")

    assert [p.id for p in problems] == ["KV004", "KV202"]


def test_duplicate_findings_are_reported_once() -> None:
    text = (
        "name: x\nnodes:\n"
        '  a: {type: PythonCodeNode, config: {code: "r = 1", p: "${params.p} ${params.p}"}}\n'
    )

    assert [p.message for p in check(text)] == ["${params.p} names unknown param 'p'"]


def test_load_workflow_returns_the_model_and_warnings(tmp_path: Path) -> None:
    path = tmp_path / "wf.yaml"
    path.write_text('name: w\nnodes:\n  a: {type: PythonCodeNode, config: {code: "r = 1", x: "${HOME}"}}\n')

    workflow, warnings = load_workflow(path)

    assert workflow.name == "w"
    assert list(workflow.nodes) == ["a"]
    assert [(w.id, w.severity) for w in warnings] == [("KV307", "warning")]


def test_load_workflow_raises_with_every_problem(tmp_path: Path) -> None:
    path = tmp_path / "wf.yaml"
    path.write_text("name: Bad\nnodes:\n  a: {type: Nope}\n")

    with pytest.raises(WorkflowValidationError) as caught:
        load_workflow(path)

    assert [p.id for p in caught.value.problems] == ["KV104", "KV202"]
    assert caught.value.summary == "the workflow is invalid: 2 error(s); fix them and try again"
    assert caught.value.lines()[-1] == "error: the workflow is invalid: 2 error(s); fix them and try again"
    assert caught.value.lines()[1].startswith(f"{path}:3:13: error KV202: node 'a': unknown node type 'Nope'")


def test_connections_to_a_node_of_unknown_type_report_only_the_type() -> None:
    text = """\
name: x
nodes:
  a: {type: PythonCodeNode, config: {code: "result = 1", everything: "${nodes}"}}
  b: {type: Nope}
  c: {type: JSONWriterNode, config: {file_path: o.json}}
connections:
  - a.result -> b.anything
  - b.whatever -> c.data
"""
    assert [(p.id, p.line) for p in check(text)] == [("KV202", 4)]


def test_dollar_brace_inside_inline_code_is_not_an_expression() -> None:
    doc = load_text(
        "name: lit\nnodes:\n  a:\n    type: PythonCodeNode\n    config:\n"
        "      code: 'result = \"${not an expression(\"'\n",
        "wf.yaml",
    )

    assert check_document(doc) == []


def test_python_code_node_without_function_or_code_says_which_keys() -> None:
    problems = check("name: x\nnodes:\n  calc: {type: PythonCodeNode, config: {x: 1}}\n")

    assert [(p.id, p.message, p.fix, p.line) for p in problems] == [
        (
            "KV104",
            "node 'calc' (PythonCodeNode) needs exactly one of 'function' or 'code'",
            "add 'function' or 'code'",
            3,
        )
    ]


def test_kv401_skips_the_default_of_a_param_whose_type_is_invalid() -> None:
    problems = check(
        "name: x\nparams:\n  n: {type: integr, default: 3}\nnodes:\n"
        "  a: {type: PythonCodeNode, config: {code: 'result = 1'}}\n"
    )

    assert [p.id for p in problems] == ["KV104"]


@pytest.mark.parametrize("names", [["ValueError", "OSError", "KeyboardInterrupt"], ["pkg.MyError"], []])
def test_retry_on_builtin_or_dotted_names_are_fine(names: list[str]) -> None:
    problems = check(
        "name: x\nnodes:\n  a: {type: PythonCodeNode, config: {code: 'result = 1'}, "
        f"retry: {{retry_on: [{', '.join(names)}]}}}}\n"
    )

    assert problems == []


def test_new_ids_have_sarif_rule_titles() -> None:
    from kailash_cli.report.rules import VALIDATE_RULES

    assert {"KV213", "KV502"} <= set(VALIDATE_RULES)

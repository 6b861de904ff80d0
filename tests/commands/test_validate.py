from __future__ import annotations

import json
from pathlib import Path

import pytest
from helpers import RunCli, write_file

GOOD = 'name: ok\nnodes:\n  a: {type: PythonCodeNode, config: {code: "result = 1"}}\n'
BAD = "name: bad\nnodes:\n  a: {type: PythonCodeNod}\n"
BAD_LINE = (
    "bad.yaml:3:13: error KV202: node 'a': unknown node type 'PythonCodeNod' (did you mean "
    "'PythonCodeNode'?); fix: run `kailash nodes` to list the node types"
)
WARN = 'name: warn\nnodes:\n  a: {type: PythonCodeNode, config: {code: "result = x", x: "${REGION}"}}\n'


def test_valid_file_exits_0(tmp_path: Path, run_cli: RunCli) -> None:
    write_file(tmp_path, "ok.yaml", GOOD)

    result = run_cli("validate", "ok.yaml", cwd=tmp_path)

    assert (result.returncode, result.stdout, result.stderr) == (0, "", "1 file(s) checked, no problems\n")


def test_findings_exit_1(tmp_path: Path, run_cli: RunCli) -> None:
    write_file(tmp_path, "bad.yaml", BAD)

    result = run_cli("validate", "bad.yaml", cwd=tmp_path)

    assert (result.returncode, result.stdout, result.stderr) == (
        1,
        BAD_LINE + "\n",
        "1 error in 1 file(s) checked\n",
    )


def test_warnings_alone_exit_0(tmp_path: Path, run_cli: RunCli) -> None:
    write_file(tmp_path, "warn.yaml", WARN)

    result = run_cli("validate", "warn.yaml", cwd=tmp_path)

    assert result.returncode == 0
    assert result.stdout == (
        "warn.yaml:3:61: warning KV307: ${REGION} reads environment variable REGION, which is not listed "
        "under env:; fix: add REGION to env: so a missing value stops the run before it starts\n"
    )
    assert result.stderr == "1 warning in 1 file(s) checked\n"


def test_several_files_are_all_checked(tmp_path: Path, run_cli: RunCli) -> None:
    write_file(tmp_path, "bad.yaml", BAD)
    write_file(tmp_path, "ok.yaml", GOOD)

    result = run_cli("validate", "ok.yaml", "bad.yaml", cwd=tmp_path)

    assert (result.returncode, result.stdout, result.stderr) == (
        1,
        BAD_LINE + "\n",
        "1 error in 2 file(s) checked\n",
    )


def test_directories_are_searched_recursively(tmp_path: Path, run_cli: RunCli) -> None:
    write_file(tmp_path, "flows/a/bad.yaml", BAD)
    write_file(tmp_path, "flows/b/deeper/bad.yml", BAD)
    write_file(tmp_path, "flows/ok.yaml", GOOD)
    write_file(tmp_path, "flows/notes.txt", "not: [yaml")
    write_file(tmp_path, "flows/.hidden/bad.yaml", BAD)
    write_file(tmp_path, "flows/.bad.yaml", BAD)
    write_file(tmp_path, "flows/node_modules/bad.yaml", BAD)

    result = run_cli("validate", "flows", cwd=tmp_path)

    assert result.returncode == 1
    assert [line.split(":")[0] for line in result.stdout.splitlines()] == [
        "flows/a/bad.yaml",
        "flows/b/deeper/bad.yml",
    ]
    assert result.stderr == "2 errors in 3 file(s) checked\n"


def test_absolute_paths_outside_the_cwd_are_shown_as_given(tmp_path: Path, run_cli: RunCli) -> None:
    path = write_file(tmp_path, "w/bad.yaml", BAD)
    (tmp_path / "elsewhere").mkdir()

    result = run_cli("validate", path, cwd=tmp_path / "elsewhere")

    assert result.stdout == f"{path}{BAD_LINE.removeprefix('bad.yaml')}\n"


@pytest.mark.parametrize("name", ["kailash.yaml", "kailash.yml"])
def test_kailash_yaml_is_checked_as_a_config(name: str, tmp_path: Path, run_cli: RunCli) -> None:
    write_file(
        tmp_path,
        f"proj/{name}",
        (
            "runtime: {max_concurrency: 4}\n"
            "access_control:\n"
            "  users: {ana: {roles: [analyts]}}\n"
            "  roles: {analyst: {permissions: [execute]}}\n"
            "  masking_rules:\n"
            '    ssn: {when: "${user.attributes.clearance ==}", mask: partial}\n'
        ),
    )
    write_file(tmp_path, "proj/flow.yaml", GOOD)

    result = run_cli("validate", "proj", cwd=tmp_path)

    assert result.returncode == 1
    assert result.stdout.splitlines() == [
        f"proj/{name}:3:25: warning KV501: user 'ana' has role 'analyts', which is not defined under "
        "access_control.roles (did you mean 'analyst'?); fix: define the role or fix its name",
        f"proj/{name}:6:17: error KV301: expression 'user.attributes.clearance ==' does not parse: invalid "
        "syntax; fix: fix the expression inside ${...}",
    ]
    assert result.stderr == "1 error, 1 warning in 2 file(s) checked\n"


def test_config_is_checked_against_the_config_schema(tmp_path: Path, run_cli: RunCli) -> None:
    write_file(tmp_path, "kailash.yaml", "nodes: {}\nruntime: {max_concurrency: 0}\n")

    result = run_cli("validate", "kailash.yaml", cwd=tmp_path)

    assert result.returncode == 1
    assert result.stdout.splitlines() == [
        "kailash.yaml:1:1: error KV102: the document: unknown field 'nodes'; fix: remove 'nodes' or use one "
        "of: access_control, databases, deploy, executor, health, runtime, security, serve",
        "kailash.yaml:2:28: error KV104: runtime.max_concurrency: 0 is less than the minimum of 1; "
        "fix: use a number >= 1",
    ]


def test_empty_config_is_valid_but_an_empty_workflow_is_not(tmp_path: Path, run_cli: RunCli) -> None:
    write_file(tmp_path, "kailash.yaml", "")
    write_file(tmp_path, "flow.yaml", "")

    result = run_cli("validate", "kailash.yaml", "flow.yaml", cwd=tmp_path)

    assert result.returncode == 1
    assert result.stdout == (
        "flow.yaml:1:1: error KV005: the file is empty; fix: write a workflow: name, nodes, connections\n"
    )


@pytest.mark.parametrize("args", [["missing.yaml"], ["ok.yaml", "missing.yaml"]])
def test_missing_path_is_a_usage_error(args: list[str], tmp_path: Path, run_cli: RunCli) -> None:
    write_file(tmp_path, "ok.yaml", GOOD)

    result = run_cli("validate", *args, cwd=tmp_path)

    assert (result.returncode, result.stdout, result.stderr) == (
        2,
        "",
        "error: missing.yaml: no such file or directory\n",
    )


def test_bad_format_is_a_usage_error(tmp_path: Path, run_cli: RunCli) -> None:
    write_file(tmp_path, "ok.yaml", GOOD)

    result = run_cli("validate", "ok.yaml", "--format", "xml", cwd=tmp_path)

    assert result.returncode == 2
    assert result.stdout == ""
    assert result.stderr == (
        "error: kailash validate: --format: 'xml' is not one of 'text', 'json', 'github', 'sarif', "
        "'junit'; see kailash validate -h\n"
    )


def test_junit_format(tmp_path: Path, run_cli: RunCli) -> None:
    write_file(tmp_path, "ok.yaml", GOOD)

    result = run_cli("validate", "ok.yaml", "--format", "junit", cwd=tmp_path)

    assert result.returncode == 0
    assert '<testcase classname="kailash" name="no findings"/>' in result.stdout


def test_no_path_is_a_usage_error(tmp_path: Path, run_cli: RunCli) -> None:
    result = run_cli("validate", cwd=tmp_path)

    assert result.returncode == 2
    assert result.stderr == "error: kailash validate: missing argument PATH...; see kailash validate -h\n"


@pytest.mark.parametrize("files", [{}, {"mkdocs.yml": "site_name: x\n", "notes.txt": "nodes: {}\n"}])
def test_directory_without_any_file_to_check_is_a_usage_error(
    files: dict[str, str], tmp_path: Path, run_cli: RunCli
) -> None:
    for name, text in files.items():
        write_file(tmp_path, f"flows/{name}", text)
    (tmp_path / "flows").mkdir(exist_ok=True)

    result = run_cli("validate", "flows", cwd=tmp_path)

    assert (result.returncode, result.stdout, result.stderr) == (
        2,
        "",
        "error: no workflow or kailash.yaml files under flows\n",
    )


def test_directory_search_checks_only_workflows_and_configs(tmp_path: Path, run_cli: RunCli) -> None:
    write_file(tmp_path, "proj/docker-compose.yml", "services:\n  web: {image: nginx, ports: [80]}\n")
    write_file(tmp_path, "proj/mkdocs.yml", "site_name: docs\nnav: [index.md]\n")
    write_file(tmp_path, "proj/k8s/deploy.yaml", "apiVersion: v1\nkind: Pod\nnodes: 3\n")
    write_file(tmp_path, "proj/ci/workflow.yml", "on: push\njobs: {}\n---\nnodes: {}\n")
    write_file(tmp_path, "proj/list.yaml", "- nodes\n")
    write_file(tmp_path, "proj/empty.yaml", "")
    write_file(tmp_path, "proj/other-broken.yaml", "a: [unclosed\n")
    write_file(tmp_path, "proj/broken.yaml", "name: x\nnodes:\n  a: [unclosed\n")
    write_file(tmp_path, "proj/flows/bad.yaml", BAD)
    write_file(tmp_path, "proj/kailash.yml", "runtime: {max_concurrency: 0}\n")

    result = run_cli("validate", "proj", cwd=tmp_path)

    assert result.returncode == 1
    assert [
        line.split(": error ")[0] + " " + line.split(" ")[2].rstrip(":")
        for line in result.stdout.splitlines()
    ] == ["proj/broken.yaml:4:1 KV003", "proj/flows/bad.yaml:3:13 KV202", "proj/kailash.yml:1:28 KV104"]
    assert result.stderr == "3 errors in 3 file(s) checked\n"


def test_files_named_explicitly_are_always_checked(tmp_path: Path, run_cli: RunCli) -> None:
    write_file(tmp_path, "mkdocs.yml", "site_name: docs\n")

    result = run_cli("validate", "mkdocs.yml", cwd=tmp_path)

    assert result.returncode == 1
    assert "mkdocs.yml:1:1: error KV101: the document: missing required field 'nodes'" in result.stdout


def test_json_format(tmp_path: Path, run_cli: RunCli) -> None:
    write_file(tmp_path, "bad.yaml", BAD)
    write_file(tmp_path, "warn.yaml", WARN)

    result = run_cli("validate", "bad.yaml", "warn.yaml", "--format", "json", cwd=tmp_path)

    assert result.returncode == 1
    findings = json.loads(result.stdout)
    assert findings[0] == {
        "id": "KV202",
        "severity": "error",
        "file": "bad.yaml",
        "line": 3,
        "column": 13,
        "message": "node 'a': unknown node type 'PythonCodeNod' (did you mean 'PythonCodeNode'?)",
        "fix": "run `kailash nodes` to list the node types",
    }
    assert [(f["id"], f["severity"], f["file"]) for f in findings] == [
        ("KV202", "error", "bad.yaml"),
        ("KV307", "warning", "warn.yaml"),
    ]


def test_json_format_without_findings_is_an_empty_list(tmp_path: Path, run_cli: RunCli) -> None:
    write_file(tmp_path, "ok.yaml", GOOD)

    result = run_cli("validate", "ok.yaml", "-f", "json", cwd=tmp_path)

    assert (result.returncode, json.loads(result.stdout)) == (0, [])


def test_github_format(tmp_path: Path, run_cli: RunCli) -> None:
    write_file(tmp_path, "bad.yaml", BAD)

    result = run_cli("validate", "bad.yaml", "--format", "github", cwd=tmp_path)

    assert result.returncode == 1
    assert result.stdout == (
        "::error file=bad.yaml,line=3,col=13,title=KV202::node 'a': unknown node type 'PythonCodeNod' "
        "(did you mean 'PythonCodeNode'?); fix: run `kailash nodes` to list the node types\n"
    )


def test_sarif_format(tmp_path: Path, run_cli: RunCli) -> None:
    write_file(tmp_path, "flows/bad.yaml", BAD)
    write_file(tmp_path, "flows/missing-type.yaml", "name: x\nnodes:\n  a: {config: {}}\n")

    result = run_cli("validate", "flows", "--format", "sarif", cwd=tmp_path)

    assert result.returncode == 1
    sarif = json.loads(result.stdout)
    assert sarif["version"] == "2.1.0"
    run = sarif["runs"][0]
    assert [r["id"] for r in run["tool"]["driver"]["rules"]] == ["KV101", "KV202"]
    assert [
        (
            r["ruleId"],
            r["level"],
            r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
            r["locations"][0]["physicalLocation"]["region"],
        )
        for r in run["results"]
    ] == [
        ("KV202", "error", "flows/bad.yaml", {"startLine": 3, "startColumn": 13}),
        ("KV101", "error", "flows/missing-type.yaml", {"startLine": 3, "startColumn": 6}),
    ]


BAD_INPUTS = [
    b"\xff\xfe\x00binary",
    b"name: [unclosed\n",
    b"a: &x [*x]\n",
    b"nodes: !!python/object:os.system ls\n",
    b"name: x\nnodes:\n  a: {type: PythonCodeNode, depends_on: 5, fallback: [1], config: 7}\n",
    b"name: x\nnodes:\n  a: 5\nconnections: 7\nparams: [1]\nsecrets: x\nenv: {a: 1}\noutputs: []\n",
    b"- 1\n",
    b"x\x07: 1\n",
]
FORMATS = ["text", "json", "github", "sarif"]


@pytest.mark.parametrize(
    ("content", "output_format"), [(c, FORMATS[i % len(FORMATS)]) for i, c in enumerate(BAD_INPUTS)]
)
def test_bad_input_never_crashes(content: bytes, output_format: str, tmp_path: Path, run_cli: RunCli) -> None:
    (tmp_path / "wf.yaml").write_bytes(content)

    result = run_cli("validate", "wf.yaml", "--format", output_format, cwd=tmp_path)

    assert result.returncode == 1, result.stderr
    assert "Traceback" not in result.stderr
    assert "unexpected" not in result.stderr
    assert result.stdout.strip()

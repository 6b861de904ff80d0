"""check-deploy never crashes on a project file: what does not parse is a finding (KD707, KD104,
KD705), and the config's deploy section is checked before the runner uses it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from deploy_helpers import CONFIG, check, located
from deploy_helpers import make_project as make
from helpers import kailash


def nested(depth: int) -> str:
    return "[" * depth + "]" * depth


def test_yaml_nested_thousands_deep_is_kd707_in_any_file(tmp_path: Path) -> None:
    root = make(
        tmp_path,
        {
            "k8s/deep.yaml": f"a: {nested(2000)}\n",
            "huge.yaml": f"a: {nested(200_000)}\n",  # composing this would crash the process
            "wf.yaml": "name: deep\nnodes:\n  a:\n    type: PythonCodeNode\n"
            f"    config: {{code: x, v: {nested(2000)}}}\n",
            "block.yaml": "".join(f"{' ' * i}k{i}:\n" for i in range(150)) + f"{' ' * 150}v: 1\n",
            "ok.yaml": f"a: {nested(90)}\n",
        },
    )

    problems = check(root, select=["KD"])

    assert [(p.id, p.file, p.line, p.message) for p in problems] == [
        ("KD707", "block.yaml", 101, "this file was not checked: it nests deeper than 100 levels"),
        ("KD707", "huge.yaml", 1, "this file was not checked: it nests deeper than 100 levels"),
        ("KD707", "k8s/deep.yaml", 1, "this file was not checked: it nests deeper than 100 levels"),
        ("KD707", "wf.yaml", 5, "this file was not checked: it nests deeper than 100 levels"),
    ]


def test_a_config_nested_too_deep_is_kd707_not_a_crash(tmp_path: Path) -> None:
    root = make(tmp_path, {}, config=CONFIG + f"deploy: {{required_env: {nested(3000)}}}\n")

    assert located(check(root, select=["KD"])) == [("KD707", "kailash.yaml", 2)]


def test_python_too_deep_for_the_parser_is_kd104(tmp_path: Path) -> None:
    root = make(
        tmp_path,
        {"app/deep.py": "x = " + "1+" * 100_000 + "1\n", "app/neg.py": "x = " + "-" * 100_000 + "1\n"},
    )

    problems = check(root, select=["KD104"])

    assert [(p.file, p.message) for p in problems] == [
        ("app/deep.py", "syntax error: too deeply nested for the Python parser"),
        ("app/neg.py", "syntax error: too deeply nested for the Python parser"),
    ]


def test_pyproject_that_does_not_parse_is_kd707(tmp_path: Path) -> None:
    root = make(
        tmp_path,
        {
            "pyproject.toml": '[project]\nname = "x"\ndependencies = ["requests==2.32.3",\n  nope\n]\n',
            "sub/pyproject.toml": "a = " + nested(5000) + "\n",
            "app/main.py": "import requests\n",
        },
    )

    problems = check(root, select=["KD707"])

    assert [(p.file, p.line, p.message) for p in problems] == [
        ("pyproject.toml", 4, "this file was not checked: it is not valid TOML (Invalid value)"),
        ("sub/pyproject.toml", None, "this file was not checked: it is not valid TOML (nested too deep)"),
    ]


def test_bare_env_and_arg_in_a_dockerfile(tmp_path: Path) -> None:
    root = make(
        tmp_path, {"Dockerfile": "FROM python:3.12-slim\nENV\nARG\nUSER 10001\nHEALTHCHECK CMD true\n"}
    )

    assert check(root, select=["KD"]) == []


@pytest.mark.parametrize(
    ("deploy", "expected"),
    [
        ("ignore: 603", ["KD707", "KD705"]),
        ("ignore: [KD7]", []),
        ("ignore: [kd70]", []),
        ("ignore: [KD6, KD999]", ["KD707", "KD708"]),
        ("ignore: [KD6, 603]", ["KD707", "KD705"]),
        ("severity: [KD707]", ["KD707", "KD705"]),
        ("severity: {KD7: info, KQ1: info}", ["KD707", "KD708"]),
    ],
)
def test_deploy_section_is_validated_before_use(tmp_path: Path, deploy: str, expected: list[str]) -> None:
    root = make(tmp_path, {}, config=CONFIG + f"deploy:\n  {deploy}\n")
    (root / "data.yaml").write_bytes(b"\xff\xfe")  # a KD707 to silence or re-rank

    problems = check(root, select=["KD7"])

    assert [p.id for p in problems] == expected
    assert all(p.line == 3 for p in problems if p.id != "KD707")
    if "info" in deploy:
        assert problems[0].severity == "info"


def test_yaml_that_is_not_yaml_with_many_openers_is_left_to_the_parser(tmp_path: Path) -> None:
    root = make(tmp_path, {"odd.yaml": "a: [" + "-:" * 80 + "\n  b: ]]]\n"})

    (problem,) = check(root, select=["KD707"])

    assert problem.message.startswith("this file was not checked: it is not valid YAML")


def test_systemd_units_quotes_continuations_and_root(tmp_path: Path) -> None:
    root = make(
        tmp_path,
        {
            "deploy/a.service": '[Service]\nUser=root\nEnvironment="A=1" \\\n  API_TOKEN=Qx7-Lp2-Zr8-Wm4\n',
            "deploy/b.service": '[Service]\nUser=app\nEnvironment="BROKEN=unclosed\n'
            "# Environment=PASSWORD=x\n",
            "deploy/c.socket": "[Socket]\nListenStream=8080\nEnvironment=DB_PASSWORD=${DB_PASSWORD}\n",
            "deploy/d.service": "[Service]\nDynamicUser=yes\nExecStart=/usr/bin/curl http://api.example.com/ping\n",
        },
    )

    problems = check(root, select=["KD63", "KD402"])

    assert [(p.id, p.file, p.line) for p in problems] == [
        ("KD632", "deploy/a.service", 2),
        ("KD631", "deploy/a.service", 3),
        ("KD402", "deploy/d.service", 3),
    ]


def test_a_real_looking_shell_fallback_is_a_hard_coded_secret(tmp_path: Path) -> None:
    root = make(tmp_path, {"deploy/compose.yaml": "x:\n  env: ${API_TOKEN:-Qx7-Lp2-Zr8-Wm4}\n"})

    (problem,) = check(root, select=["KD3"])

    assert (problem.id, problem.message) == ("KD302", "hard-coded fallback for the secret 'API_TOKEN'")


def test_a_billion_laughs_file_is_read_once_per_node(tmp_path: Path) -> None:
    """An alias is its anchor's node again: the literal scan visits each node once (it
    followed every alias: gigabytes, then a timeout, on a file any pull request can add)."""
    levels = ["name: laughs", 'x: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for i, name in enumerate("bcdefghi"):
        levels.append(f"{name}: &{name} [" + ",".join([f"*{'abcdefghi'[i]}"] * 9) + "]")
    (tmp_path / "kailash.yaml").write_text("security: {allowed_directories: [./data]}\n")
    levels += ["nodes:", "  a: {type: PythonCodeNode, config: {code: result = 1, v: *i}}"]
    (tmp_path / "laughs.yml").write_text("\n".join(levels) + "\n")

    proc = kailash("check-deploy", str(tmp_path), "--format", "json")

    assert proc.returncode == 1, proc.stderr
    assert [f["id"] for f in json.loads(proc.stdout) if f["file"].endswith("laughs.yml")] == ["KD705"]

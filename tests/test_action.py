"""The composite GitHub Action (``action.yml``): its scripts run here under bash as the runner
runs them (``bash --noprofile --norc -eo pipefail``), with the installed ``kailash`` on PATH."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from helpers import write_file
from ruamel.yaml import YAML

REPO = Path(__file__).resolve().parents[1]
ACTION = YAML(typ="safe").load((REPO / "action.yml").read_text(encoding="utf-8"))
STEPS = {step.get("id", step.get("name")): step for step in ACTION["runs"]["steps"]}
EXPRESSION = re.compile(r"\$\{\{\s*([\w.-]+)\s*\}\}")
CLEAN_PROJECT = REPO / "tests" / "fixtures" / "deploy" / "clean"


def run_step(step_id: str, context: dict[str, str], cwd: Path) -> dict[str, str]:
    """Run one ``run:`` step; its ``GITHUB_OUTPUT`` values (and ``exit`` for its exit code)."""
    step = STEPS[step_id]
    outputs = cwd / f".{step_id}.out"
    outputs.write_text("")
    env = {
        k: EXPRESSION.sub(lambda m: context.get(m.group(1), ""), v) for k, v in step.get("env", {}).items()
    }
    path = f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"
    result = subprocess.run(
        ["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", step["run"]],
        cwd=cwd,
        env={**os.environ, **env, "PATH": path, "GITHUB_OUTPUT": str(outputs), "GITHUB_ACTIONS": ""},
        capture_output=True,
        text=True,
        timeout=120,
    )
    values = dict(line.split("=", 1) for line in outputs.read_text().splitlines())
    return {**values, "exit": str(result.returncode), "stdout": result.stdout}


def inputs(**given: str) -> dict[str, str]:
    defaults = {f"inputs.{k}": str(v.get("default", "")) for k, v in ACTION["inputs"].items()}
    return defaults | {f"inputs.{k.replace('_', '-')}": v for k, v in given.items()}


def test_every_expression_names_a_declared_input_or_step() -> None:
    text = (REPO / "action.yml").read_text(encoding="utf-8")
    names = set(re.findall(r"inputs\.([\w-]+)", text))
    steps = set(re.findall(r"steps\.([\w-]+)\.outputs", text))

    assert names <= set(ACTION["inputs"]) and steps <= set(STEPS)
    for step in ACTION["runs"]["steps"]:  # inputs go through env, never into the script text
        assert "${{" not in step.get("run", "")


def test_uploads_use_the_categories_of_the_reports() -> None:
    uploads = [s for s in ACTION["runs"]["steps"] if "upload-sarif" in s.get("uses", "")]

    assert [u["with"]["category"] for u in uploads] == ["kailash-validate", "kailash-check-deploy"]
    assert all(u["if"].startswith("always() && inputs.upload-sarif == 'true'") for u in uploads)


@pytest.mark.parametrize("broken", [False, True])
def test_the_scripts_report_and_fail_as_kailash_does(broken: bool, tmp_path: Path) -> None:
    project = tmp_path / "my project"
    shutil.copytree(CLEAN_PROJECT, project)
    write_file(
        project, "ci env/.env.ci", "DATABASE_URL=postgresql://db.example.com/app?sslmode=verify-full\n"
    )
    if broken:
        write_file(project, "workflows/broken.yaml", "name: broken\nnodes:\n  a: {type: PythonCodeNod}\n")
    context = inputs(paths="workflows kailash.yaml", env_files="ci env/.env.ci\n") | {
        "runner.temp": str(tmp_path)
    }

    validate = run_step("validate", context, project)
    deploy = run_step("check-deploy", context, project)
    result = run_step(
        "Result",
        {
            "steps.validate.outputs.status": validate["status"],
            "steps.check-deploy.outputs.status": deploy["status"],
        },
        project,
    )

    assert (validate["exit"], deploy["exit"]) == ("0", "0")  # the step itself goes on to the upload
    assert (validate["status"], deploy["status"]) == (("1", "1") if broken else ("0", "0"))
    for output in (validate, deploy):
        report: dict[str, Any] = json.loads(Path(output["sarif"]).read_text(encoding="utf-8"))
        assert len(report["runs"][0]["results"]) == (1 if broken else 0)
    assert result["exit"] == ("1" if broken else "0")
    assert (
        result["stdout"] == f"kailash validate exited {validate['status']}, check-deploy {deploy['status']}\n"
    )

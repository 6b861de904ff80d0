from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
from helpers import KAILASH, RunCli, kailash_e2e

from kailash_cli.commands.init import project_name
from kailash_cli.commands.init_templates import FILES


def test_init_writes_every_file_and_lists_them(tmp_path: Path, run_cli: RunCli) -> None:
    result = run_cli("init", "demo", cwd=tmp_path)

    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == [f"demo/{name}" for name in FILES]
    assert result.stderr == (
        "project 'demo' created; try: cd demo && kailash validate . && "
        "kailash run workflows/orders.yaml -p min_total=50 && kailash check-deploy .\n"
    )
    assert "name: demo-orders" in (tmp_path / "demo/deploy/cronjob.yaml").read_text()
    assert "id: kailash-validate" in (tmp_path / "demo/.pre-commit-config.yaml").read_text()


def test_init_in_the_current_empty_folder(tmp_path: Path, run_cli: RunCli) -> None:
    result = run_cli("init", cwd=tmp_path)

    assert result.returncode == 0, result.stderr
    assert (tmp_path / "kailash.yaml").is_file()
    assert result.stderr.startswith(f"project '{project_name(tmp_path)}' created; try: kailash validate .")


def test_a_folder_that_is_not_empty_is_refused_and_left_alone(tmp_path: Path, run_cli: RunCli) -> None:
    (tmp_path / "mine.txt").write_text("keep me")

    result = run_cli("init", str(tmp_path))

    assert (result.returncode, result.stdout) == (2, "")
    assert result.stderr == (
        f"error: {tmp_path}: not empty; kailash init writes only into a new or empty folder "
        "(give another DIR, e.g. `kailash init my-project`)\n"
    )
    assert [p.name for p in tmp_path.iterdir()] == ["mine.txt"]


def test_a_file_is_refused(tmp_path: Path, run_cli: RunCli) -> None:
    (tmp_path / "taken").write_text("")

    result = run_cli("init", "taken", cwd=tmp_path)

    assert (result.returncode, result.stderr) == (
        2,
        "error: taken: not a directory; give a new or empty folder\n",
    )


def test_a_folder_that_cannot_be_made_is_a_usage_error(tmp_path: Path, run_cli: RunCli) -> None:
    (tmp_path / "file").write_text("")

    result = run_cli("init", "file/demo", cwd=tmp_path)

    assert (result.returncode, result.stderr) == (
        2,
        "error: file/demo/kailash.yaml: cannot write: Not a directory\n",
    )


@pytest.mark.parametrize(
    ("folder", "name"),
    [("Demo Project", "demo-project"), ("__", "kailash-project"), ("etl_2026", "etl-2026")],
)
def test_project_name_is_a_kubernetes_name(tmp_path: Path, folder: str, name: str) -> None:
    assert project_name(tmp_path / folder) == name


@pytest.mark.e2e
def test_a_new_project_validates_checks_and_runs(tmp_path: Path) -> None:
    """The issue's acceptance: `kailash init demo && cd demo && kailash validate . &&
    kailash check-deploy .`, from the installed command, at every check-deploy severity."""
    script = (
        f"{KAILASH} init demo && cd demo && {KAILASH} validate . && {KAILASH} check-deploy . "
        f"&& {KAILASH} check-deploy . --fail-level info"
    )
    shell = subprocess.run(["sh", "-c", script], cwd=tmp_path, capture_output=True, text=True, check=False)
    assert shell.returncode == 0, shell.stdout + shell.stderr
    assert shell.stderr.endswith("0 errors\n0 warnings\n0 info\n")

    run = kailash_e2e(
        "run", "workflows/orders.yaml", "-p", "min_total=50", "-o", "json", cwd=tmp_path / "demo"
    )

    assert run.returncode == 0, run.stderr
    assert json.loads(run.stdout)["outputs"] == {
        "customers": 3,
        "report": str(tmp_path / "demo/workflows/out/summary.json"),
    }
    summary = json.loads((tmp_path / "demo/workflows/out/summary.json").read_text())
    assert summary == {"ada": 200.75, "linus": 210.0, "grace": 64.1}

"""KD102 resolves imports from the project's own environment, never from kailash's, and
suggests only distribution names that metadata or the maintained table knows."""

from __future__ import annotations

import sys
from pathlib import Path

from conftest import write_file
from deploy_helpers import FIXTURES, check
from helpers import RunCli

CONFIG = "security: {allowed_directories: [./data], enable_audit_logging: true}\n"


def project(tmp_path: Path, main: str, requirements: str) -> Path:
    write_file(tmp_path, "kailash.yaml", CONFIG)
    write_file(tmp_path, "app/__init__.py", "")
    write_file(tmp_path, "app/main.py", main)
    write_file(tmp_path, "requirements.txt", requirements)
    return tmp_path


def fake_venv(root: Path, name: str, distribution: str, top_level: str) -> None:
    site = root / name / "lib" / "python3.12" / "site-packages"
    write_file(root, f"{name}/pyvenv.cfg", "home = /usr/bin\n")
    info = site / f"{distribution.replace('-', '_')}-1.0.dist-info"
    write_file(info, "METADATA", f"Metadata-Version: 2.1\nName: {distribution}\nVersion: 1.0\n")
    write_file(info, "top_level.txt", f"{top_level}\n")


def test_the_projects_venv_metadata_resolves_a_differently_named_distribution(tmp_path: Path) -> None:
    root = project(tmp_path, "import acme\n", "acme-platform-sdk==1.0\n")

    before = check(root, select=["KD102"])
    fake_venv(root, ".venv", "acme-platform-sdk", "acme")
    after = check(root, select=["KD102"])

    assert [(p.message, p.fix) for p in before] == [
        (
            "'acme' is not in the standard library, the project or the declared dependencies",
            "declare the distribution that provides 'acme' (check its name on PyPI: a look-alike name "
            "may be someone else's package), or fix the import",
        )
    ]
    assert after == []


def test_a_suggestion_comes_from_the_environment_metadata(tmp_path: Path) -> None:
    root = project(tmp_path, "import acme.client\n", "requests==2.32.3\n")
    fake_venv(root, "venv", "acme-platform-sdk", "acme")

    (problem,) = check(root, select=["KD102"])

    assert problem.fix == "add acme-platform-sdk to the production requirements, or fix the import"


def test_python_option_reads_that_interpreters_packages(tmp_path: Path, run_cli: RunCli) -> None:
    # _pytest is installed by the distribution pytest: only metadata knows it, no table does
    root = project(tmp_path, "import _pytest\n", "pytest==8.3.3\n")
    write_file(root, "requirements.txt", "pytest==8.3.3  # kailash: ignore[KD502]\n")

    without = run_cli("check-deploy", ".", "--select", "KD102", cwd=root)
    with_python = run_cli("check-deploy", ".", "--select", "KD102", "--python", sys.executable, cwd=root)
    missing = run_cli("check-deploy", ".", "--python", str(root / "nope" / "python"), cwd=root)

    assert without.returncode == 1 and "'_pytest' is not in the standard library" in without.stdout
    assert (with_python.returncode, with_python.stdout) == (0, "")
    assert missing.returncode == 2
    assert missing.stderr.startswith(
        f"error: --python {root / 'nope' / 'python'}: cannot ask it for its packages"
    )


def test_kailashs_own_environment_does_not_count(tmp_path: Path) -> None:
    # ruamel.yaml, typer, networkx are installed next to kailash: the project declared none
    root = project(tmp_path, "import typer\nimport networkx\n", "requests==2.32.3\n")

    assert [p.id for p in check(root, select=["KD102"])] == ["KD102", "KD102"]


def test_fixture_fix_hints_name_real_distributions_only() -> None:
    problems = check(FIXTURES / "imports_meta" / "bad", select=["KD102"])

    assert [p.fix for p in problems][0] == "add Werkzeug to the production requirements, or fix the import"

"""The wheel a plain `pip install .` gets ships every schema, and the package finds them there."""

from __future__ import annotations

import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from kailash_cli.nodes.registry import NODE_TYPES

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet", "-w", str(out), str(ROOT)],
        check=True,
        capture_output=True,
        timeout=300,
    )
    (built,) = out.glob("kailash_cli-*.whl")
    return built


def test_wheel_ships_every_schema(wheel: Path) -> None:
    names = set(zipfile.ZipFile(wheel).namelist())

    expected = {"kailash_cli/schemas/workflow.schema.json", "kailash_cli/schemas/config.schema.json"}
    expected |= {f"kailash_cli/schemas/nodes/{name}.schema.json" for name in NODE_TYPES}
    assert expected <= names
    assert "kailash_cli/__init__.py" in names
    assert not any(name.startswith(("tests/", "workflows/", "benchmarks/")) for name in names)


def test_wheel_declares_the_console_script(wheel: Path) -> None:
    with zipfile.ZipFile(wheel) as archive:
        entry_points = next(n for n in archive.namelist() if n.endswith(".dist-info/entry_points.txt"))
        text = archive.read(entry_points).decode()

    assert "kailash = kailash_cli.entry:main" in text


def test_installed_package_reads_the_schemas_it_ships(wheel: Path, tmp_path: Path) -> None:
    zipfile.ZipFile(wheel).extractall(tmp_path)
    code = (
        "from kailash_cli.schema import schemas; "
        "from kailash_cli.commands.schema import bundled_workflow_schema; "
        "print(schemas.schema_dir()); print(len(bundled_workflow_schema()['$defs']['node']['allOf']))"
    )

    result = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=tmp_path,
        env={**os.environ, "PYTHONPATH": str(tmp_path)},
        check=True,
    )

    assert result.stdout.splitlines() == [str(tmp_path / "kailash_cli" / "schemas"), str(len(NODE_TYPES))]

"""Fixtures shared by every test file: keep this small, add only generic helpers."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable, Mapping
from pathlib import Path

import pytest

KAILASH = str(Path(sys.executable).parent / "kailash")


def write_file(tmp_path: Path, name: str, text: str) -> Path:
    """Write ``text`` to ``tmp_path / name`` (parents created) and return the path."""
    path = tmp_path / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture
def write() -> Callable[[Path, str, str], Path]:
    """``write(tmp_path, "wf.yaml", text)`` -> the path written."""
    return write_file


RunCli = Callable[..., "subprocess.CompletedProcess[str]"]


@pytest.fixture
def run_cli() -> RunCli:
    """Run the installed ``kailash`` as a user would: ``run_cli("validate", "wf.yaml", cwd=...)``."""

    def run(*args: str | os.PathLike[str], cwd: Path | None = None,
            env: Mapping[str, str] | None = None, input: str | None = None,
            timeout: float = 60) -> subprocess.CompletedProcess[str]:
        environ = {**os.environ, "NO_COLOR": "1", **(env or {})}
        return subprocess.run([KAILASH, *map(str, args)], cwd=cwd, env=environ, input=input,
                              capture_output=True, text=True, timeout=timeout, check=False)

    return run

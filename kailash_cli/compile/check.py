"""What ``kailash validate`` checks: files named or found in folders, each as a workflow or a config."""

from __future__ import annotations

from pathlib import Path

from kailash_cli.compile.validation import check_document
from kailash_cli.errors import UsageError
from kailash_cli.load.config import check_config
from kailash_cli.load.discovery import is_config_file, kailash_files
from kailash_cli.load.yaml_io import load
from kailash_cli.model.result import Problem


def check_files(paths: list[Path]) -> tuple[list[Path], list[Problem]]:
    """The files ``paths`` name (directories searched) and every finding in them."""
    files = _collect(paths)
    return files, [p for f in files for p in _check_file(f)]


def _collect(paths: list[Path]) -> list[Path]:
    """Files as given; directories searched for configs and workflows (``load.discovery``, the
    rule check-deploy uses too), so docker-compose.yml, mkdocs.yml, CI files ... are left
    alone. A directory holding none of them is a usage error: a CI step that matched nothing
    must not pass."""
    files: list[Path] = []
    for path in paths:
        if path.is_dir():
            found = kailash_files(path)
            if not found:
                raise UsageError(f"no workflow or kailash.yaml files under {path}")
            files.extend(found)
        elif path.exists():
            files.append(path)
        else:
            raise UsageError(f"{path}: no such file or directory")
    return files


def _check_file(path: Path) -> list[Problem]:
    doc = load(path, display=_display_path(path))
    return check_config(doc) if is_config_file(path) else check_document(doc)


def _display_path(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)

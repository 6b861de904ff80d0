"""``kailash validate PATH...``: schema plus semantic checks, every problem at once."""

from __future__ import annotations

from pathlib import Path

from kailash_cli.compile.validation import check_document
from kailash_cli.constants import EXIT_FAILURE, EXIT_OK
from kailash_cli.errors import UsageError
from kailash_cli.load.config import check_config
from kailash_cli.load.discovery import is_config_file, kailash_files
from kailash_cli.load.yaml_io import load
from kailash_cli.model.result import Problem, has_errors
from kailash_cli.report.console import err, out
from kailash_cli.report.findings import ReportContext, render, summary
from kailash_cli.report.rules import VALIDATE_RULES


def display_path(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)


def collect(paths: list[Path]) -> list[Path]:
    """The files to check: files as given; directories searched for configs and workflows
    (``load.discovery``, the rule check-deploy uses too), so docker-compose.yml, mkdocs.yml,
    CI files ... are left alone. A directory holding none of them is a usage error: a CI step
    that matched nothing must not pass."""
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


def check_file(path: Path) -> list[Problem]:
    doc = load(path, display=display_path(path))
    return check_config(doc) if is_config_file(path) else check_document(doc)


def validate(paths: list[Path], *, output_format: str = "text") -> int:
    files = collect(paths)
    problems = [p for f in files for p in check_file(f)]
    rendered = render(problems, output_format, ReportContext(rules=VALIDATE_RULES))
    if rendered:
        out(rendered.rstrip("\n"))
    err(summary(problems, len(files)))
    return EXIT_FAILURE if has_errors(problems) else EXIT_OK

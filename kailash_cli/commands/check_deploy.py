"""``kailash check-deploy [DIR]``: the pre-deployment checklist over a project directory."""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path

from kailash_cli.checks.baseline import not_accepted, read_baseline
from kailash_cli.checks.baseline import write_baseline as save_baseline
from kailash_cli.checks.catalogue import catalogue_json, catalogue_text, sarif_rules
from kailash_cli.checks.project import Project, open_project
from kailash_cli.checks.registry import CHECKS
from kailash_cli.checks.runner import run_checks, scrub, select_ids
from kailash_cli.constants import EXIT_FAILURE, EXIT_OK
from kailash_cli.errors import UsageError
from kailash_cli.load.yaml_io import is_stdin
from kailash_cli.model.result import Problem
from kailash_cli.report.findings import REPORTER_BY_NAME, ReportContext, render, summary_lines
from kailash_cli.report.output import Output

_RANK = {"info": 0, "warning": 1, "error": 2}


def check_deploy(
    directory: Path,
    *,
    config_path: Path | None = None,
    env_files: Sequence[Path] = (),
    output_format: str = "text",
    fail_level: str = "error",
    select: Iterable[str] = (),
    ignore: Iterable[str] = (),
    list_checks: bool = False,
    baseline: Path | None = None,
    write_baseline: Path | None = None,
    python: Path | None = None,
    environ: Mapping[str, str] | None = None,
    output: Output | None = None,
) -> int:
    output = output or Output()
    environ = os.environ if environ is None else environ
    if output_format not in REPORTER_BY_NAME:
        raise UsageError(f"--format: '{output_format}' is not one of {', '.join(REPORTER_BY_NAME)}")
    if fail_level not in _RANK:
        raise UsageError(f"--fail-level: '{fail_level}' is not one of info, warning, error")
    if list_checks:
        output.out(catalogue_json() if output_format == "json" else catalogue_text())
        return EXIT_OK
    selected = (select_ids(select, "--select") or set(CHECKS)) - select_ids(ignore, "--ignore")
    if baseline is not None and is_stdin(baseline) and any(map(is_stdin, env_files)):
        raise UsageError("--baseline and --env-file both read - (standard input); give one a file")
    if write_baseline is not None and is_stdin(write_baseline):
        raise UsageError("--write-baseline -: give a file to write the baseline to (it is read back later)")
    project = open_project(directory, config_path, env_files, environ)
    project.python = python
    accepted = read_baseline(baseline) if baseline else Counter()
    problems = run_checks(project, selected)
    if write_baseline:
        count = save_baseline(write_baseline, problems, project)
        output.err(f"baseline with {count} finding(s) written to {write_baseline}")
    problems = not_accepted(problems, accepted, project)
    _report(problems, output_format, project, environ, output)
    failing = any(_RANK[p.severity] >= _RANK[fail_level] for p in problems)
    return EXIT_FAILURE if failing else EXIT_OK


def _report(
    problems: list[Problem],
    output_format: str,
    project: Project,
    environ: Mapping[str, str],
    output: Output,
) -> None:
    rendered = render(
        problems,
        output_format,
        ReportContext(rules=sarif_rules(), root=_sarif_root(project.root), category="kailash-check-deploy"),
    )
    if rendered:
        output.out(scrub(rendered, project).rstrip("\n"))
    if environ.get("GITHUB_ACTIONS") == "true" and output_format != "github" and problems:
        output.err(scrub(render(problems, "github"), project).rstrip("\n"))
    if output_format == "text":
        for line in summary_lines(problems):
            output.err(line)


def _sarif_root(directory: Path) -> Path:
    """SARIF paths are relative to the working directory (a CI job's checkout) when DIR is inside
    it, as code scanning resolves them from the repository root; else to DIR."""
    cwd = Path.cwd().resolve()
    return cwd if directory.resolve().is_relative_to(cwd) else directory

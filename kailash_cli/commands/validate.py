"""``kailash validate PATH...``: schema plus semantic checks, every problem at once."""

from __future__ import annotations

from pathlib import Path

from kailash_cli.compile.check import check_files
from kailash_cli.constants import EXIT_FAILURE, EXIT_OK
from kailash_cli.model.result import has_errors
from kailash_cli.report.findings import ReportContext, render, summary
from kailash_cli.report.output import Output
from kailash_cli.report.sarif_rules import validate_rules


def validate(paths: list[Path], *, output_format: str = "text", output: Output | None = None) -> int:
    output = output or Output()
    files, problems = check_files(paths)
    rendered = render(
        problems, output_format, ReportContext(rules=validate_rules(), category="kailash-validate")
    )
    if rendered:
        output.out(rendered.rstrip("\n"))
    output.err(summary(problems, len(files)))
    return EXIT_FAILURE if has_errors(problems) else EXIT_OK

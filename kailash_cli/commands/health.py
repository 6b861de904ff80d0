"""``kailash health``: run the config's health checks; exit 0 healthy, 1 unhealthy."""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path

from kailash_cli.constants import EXIT_FAILURE, EXIT_OK
from kailash_cli.errors import UsageError
from kailash_cli.health import HealthReport, check_names, run_checks
from kailash_cli.load.config import find_config, load_config
from kailash_cli.report.output import Output, table
from kailash_cli.schema.messages import did_you_mean


def health(
    *,
    config_path: Path | None = None,
    output_format: str = "text",
    checks: list[str] | None = None,
    environ: Mapping[str, str] | None = None,
    output: Output | None = None,
) -> int:
    output = output or Output()
    path = find_config(config_path)
    if path is None:
        raise UsageError("no kailash.yaml in the current directory; give the config with -c CONFIG")
    config = load_config(path)
    names = check_names(config)
    for name in checks or []:
        if name not in names:
            known = ", ".join(names) if names else "none"
            raise UsageError(
                f"--check {name}: no health check of that name{did_you_mean(name, names)}; "
                f"the config's checks: {known}"
            )
    report = run_checks(config, environ, only=checks or None)
    if output_format == "json":
        output.out(json.dumps(report.to_dict(), indent=2))
    elif not report.checks:
        output.out(f"healthy: no health checks configured in {path} (add them under health.checks)")
    else:
        output.out(_text(report))
    return EXIT_OK if report.healthy else EXIT_FAILURE


def _text(report: HealthReport) -> str:
    columns = [("NAME", 12), ("TYPE", 8), ("STATUS", 6), ("TIME", -8), ("DETAIL", 0)]
    rows = [
        [c.name, c.type, c.status, f"{c.duration_ms:.0f} ms", c.detail + _attempts(c.attempts)]
        for c in report.checks
    ]
    failed = report.failed
    if failed:
        names = ", ".join(c.name for c in failed)
        summary = f"unhealthy: {len(failed)} of {len(report.checks)} checks failed ({names})"
    else:
        summary = f"healthy: {len(report.checks)} check{'s' if len(report.checks) != 1 else ''} passed"
    return table(columns, rows) + "\n" + summary


def _attempts(attempts: int) -> str:
    return f" (after {attempts} attempts)" if attempts > 1 else ""

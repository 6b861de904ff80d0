"""``benchmarks/startup.py``: kailash starts within its CPU budget (issue 12, item 5)."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from helpers import REPO


@pytest.mark.e2e
def test_help_and_validate_start_within_their_cpu_budget() -> None:
    proc = subprocess.run(
        [sys.executable, str(REPO / "benchmarks/startup.py"), "--repeats", "5", "--json"],
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )

    figures = {f["what"]: f for f in json.loads(proc.stdout)}
    budgets = {what: (f["median_ms"], f["limit_ms"]) for what, f in figures.items() if f["limit_ms"]}
    assert budgets.keys() == {"kailash --help", "kailash validate small.yaml (5 lines)"}
    assert all(f["passed"] for f in figures.values()), budgets
    assert proc.returncode == 0, proc.stderr


def test_the_table_marks_what_passes_and_fails() -> None:
    sys.path.insert(0, str(REPO / "benchmarks"))
    try:
        import startup
    finally:
        sys.path.remove(str(REPO / "benchmarks"))

    text = startup.table(
        [
            startup.Figure("python -c pass (baseline)", 10.0, 9.0, None),
            startup.Figure("kailash --help", 90.0, 80.0, 150.0),
            startup.Figure("slow", 300.0, 290.0, 250.0),
        ]
    )

    assert text.splitlines()[2:] == [
        "| python -c pass (baseline) | 10 ms      | 9 ms   | -                   | -         | -      |",
        "| kailash --help            | 90 ms      | 80 ms  | +80 ms              | <= 150 ms | PASS   |",
        "| slow                      | 300 ms     | 290 ms | +290 ms             | <= 250 ms | FAIL   |",
    ]

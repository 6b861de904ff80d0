"""CPU time of kailash's start, next to ``python -c pass`` measured the same way (issue 12).

    python benchmarks/startup.py [--repeats 15] [--json]

Targets: ``kailash --help`` at most 150 ms and ``kailash validate`` of one small file at
most 250 ms of CPU (user + sys of the child process, so other work on a shared machine
does not count), as a pre-commit hook or an editor pays them on every save; the CPU of a
1-node ``kailash run`` is shown too (its target, 150 ms of wall time, is ``make bench``'s). Each figure is
the median of ``--repeats`` runs of the installed console script, after one warm-up run
(the OS file cache, bytecode). Exit status 0 when every target passes.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from dataclasses import asdict, dataclass
from pathlib import Path

from run import SMALL_WORKFLOW  # the file `make bench` measures too (benchmarks/run.py)

KAILASH = str(Path(sys.executable).with_name("kailash"))
#: (what, argv after the program, CPU limit in seconds or None for information only)
TARGETS = (
    ("kailash --version", ["--version"], None),
    ("kailash --help", ["--help"], 0.150),
    ("kailash run --help", ["run", "--help"], None),
    ("kailash validate small.yaml (5 lines)", ["validate", "small.yaml"], 0.250),
    ("kailash run small.yaml -q (1 node)", ["run", "small.yaml", "-q"], None),
)


@dataclass
class Figure:
    what: str
    median_ms: float
    best_ms: float
    limit_ms: float | None

    @property
    def passed(self) -> bool:
        return self.limit_ms is None or self.median_ms <= self.limit_ms


def child_environment() -> dict[str, str]:
    """This environment without what would change the children's cost: coverage started
    in every Python process (the test suite's subprocess patch), bytecode not cached."""
    return {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("COVERAGE_") and k not in ("PYTHONDONTWRITEBYTECODE", "KAILASH_LOG_FORMAT")
    }


def cpu_seconds(argv: list[str], cwd: Path, env: dict[str, str]) -> float:
    """User + system CPU seconds of one run of ``argv`` (its children included)."""
    process = subprocess.Popen(argv, cwd=cwd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _, status, usage = os.wait4(process.pid, 0)
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"{' '.join(argv)} failed (exit {os.waitstatus_to_exitcode(status)})")
    return usage.ru_utime + usage.ru_stime


def measure(what: str, argv: list[str], limit: float | None, cwd: Path, repeats: int) -> Figure:
    env = child_environment()
    cpu_seconds(argv, cwd, env)  # warm-up
    runs = [cpu_seconds(argv, cwd, env) for _ in range(repeats)]
    return Figure(
        what, statistics.median(runs) * 1000, min(runs) * 1000, None if limit is None else limit * 1000
    )


def run_all(repeats: int) -> list[Figure]:
    with tempfile.TemporaryDirectory(prefix="kailash-startup-") as tmp:
        folder = Path(tmp)
        (folder / "small.yaml").write_text(SMALL_WORKFLOW, encoding="utf-8")
        figures = [
            measure("python -c pass (baseline)", [sys.executable, "-c", "pass"], None, folder, repeats)
        ]
        figures += [measure(what, [KAILASH, *args], limit, folder, repeats) for what, args, limit in TARGETS]
    return figures


def table(figures: list[Figure]) -> str:
    """A Markdown table the README quotes."""
    baseline = figures[0].median_ms
    rows = [("what", "CPU median", "best", "over python -c pass", "limit", "result")]
    for f in figures:
        limit = "-" if f.limit_ms is None else f"<= {f.limit_ms:.0f} ms"
        result = "-" if f.limit_ms is None else ("PASS" if f.passed else "FAIL")
        over = "-" if f is figures[0] else f"+{f.median_ms - baseline:.0f} ms"
        rows.append((f.what, f"{f.median_ms:.0f} ms", f"{f.best_ms:.0f} ms", over, limit, result))
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    lines = ["| " + " | ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)) + " |" for row in rows]
    lines.insert(1, "|" + "|".join("-" * (w + 2) for w in widths) + "|")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--repeats", type=int, default=15, help="runs of each command (default 15)")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = parser.parse_args(argv)
    figures = run_all(args.repeats)
    if args.json:
        print(json.dumps([{**asdict(f), "passed": f.passed} for f in figures], indent=2))
    else:
        print(
            f"kailash start-up CPU: Python {sys.version.split()[0]}, {sys.platform}, {args.repeats} runs each"
        )
        print(table(figures))
    return 0 if all(f.passed for f in figures) else 1


if __name__ == "__main__":
    raise SystemExit(main())

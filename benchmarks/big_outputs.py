"""Big outputs (issue 15, item 3): a large CSV through read -> filter -> write.

    python benchmarks/big_outputs.py [--rows 1000000]

* CSVReaderNode and CSVWriterNode on ``--rows`` rows, next to the plain ``csv`` module doing
  the same (``csv.DictReader`` into a list; ``csv.DictWriter.writerows``): at most 1.3x;
* an output expression and a ``when:``-like condition on a run holding 1.5 M rows: 1 ms;
* ``kailash run`` of read -> filter -> write (no declared outputs: stdout is the default
  summary) in a new process: how much the run adds to the store (at most 5 MB) and its
  peak memory, at most 1.2x that of a plain Python script that loads, filters and writes the
  same rows (ru_maxrss of each child process; kailash's own imports count about 20 MB).

Run by ``make bench`` (``benchmarks/run.py``) with 200,000 rows (about 20 MB of CSV).
"""

from __future__ import annotations

import argparse
import csv
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from figures import Figure, cpu_timed, ms, timed, verdict

from kailash_cli.model.evaluation import Scope, render
from kailash_cli.model.expressions import parse_template
from kailash_cli.nodes.base import NodeContext
from kailash_cli.nodes.csv_io import READER, WRITER
from kailash_cli.nodes.files import FileAccess

CSV_LIMIT = 1.3
STORE_LIMIT_MB = 5.0
MEMORY_LIMIT = 1.2
COLUMNS = ("id", "customer", "email", "country", "amount", "currency", "created_at", "note")
WORKFLOW = """\
name: big-csv
nodes:
  read:
    type: CSVReaderNode
    config: {file_path: big.csv}
  keep:
    type: PythonCodeNode
    config: {function: "big_filter:large", minimum: 500}
  write:
    type: CSVWriterNode
    config: {file_path: out/kept.csv}
connections:
  - read.data -> keep.rows
  - keep.result -> write.data
"""
FILTER = """\
def large(rows, minimum):
    return [row for row in rows if float(row["amount"]) >= minimum]
"""
PLAIN = """\
import csv, sys
with open("big.csv", newline="") as f:
    rows = list(csv.DictReader(f))
kept = [row for row in rows if float(row["amount"]) >= 500]
with open("plain-kept.csv", "w", newline="") as f:
    writer = csv.DictWriter(f, fieldnames=list(kept[0]))
    writer.writeheader()
    writer.writerows(kept)
"""


def write_big_csv(path: Path, rows: int) -> None:
    with path.open("w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(COLUMNS)
        for i in range(rows):
            writer.writerow(
                (
                    i,
                    f"Customer {i}",
                    f"c{i}@example.com",
                    "NL",
                    f"{(i * 37) % 1000}.50",
                    "EUR",
                    "2026-01-01T00:00:00Z",
                    "a note that makes the row about a hundred bytes long",
                )
            )


# a small process between: Linux carries ru_maxrss over fork and exec, so a child of this
# (large) benchmark process would report at least this process's memory
MEASURE = (
    "import os, subprocess, sys\n"
    "p = subprocess.Popen(sys.argv[1:], stdout=subprocess.DEVNULL)\n"
    "_, status, usage = os.wait4(p.pid, 0)\n"
    "print(os.waitstatus_to_exitcode(status), usage.ru_utime + usage.ru_stime, usage.ru_maxrss)\n"
)


def _child(argv: list[str], cwd: Path) -> tuple[float, int]:
    """CPU seconds and peak memory (bytes) of one run of ``argv``."""
    done = subprocess.run([sys.executable, "-c", MEASURE, *argv], cwd=cwd, capture_output=True, text=True)
    code, cpu, peak = done.stdout.split()
    assert code == "0", done.stderr
    return float(cpu), int(peak) * 1024


def bench_big_outputs(folder: Path, rows: int = 200_000, repeats: int = 3) -> list[Figure]:
    source = folder / "big.csv"
    write_big_csv(source, rows)
    ctx = NodeContext("bench", FileAccess(folder), {})

    def plain_read() -> list[dict[str, str]]:
        with source.open(newline="", encoding="utf-8") as f:
            return list(csv.DictReader(f))

    data: list[Any] = plain_read()

    def plain_write() -> None:
        with (folder / "plain.csv").open("w", newline="", encoding="utf-8") as f:
            writer = csv.DictWriter(f, fieldnames=list(data[0]))
            writer.writeheader()
            writer.writerows(data)

    figures = []
    for what, node, plain in (
        ("CSVReaderNode", lambda: READER.run({"file_path": "big.csv"}, ctx), plain_read),
        ("CSVWriterNode", lambda: WRITER.run({"file_path": "node.csv", "data": data}, ctx), plain_write),
    ):
        base = statistics.median(cpu_timed(plain, repeats))
        took = statistics.median(cpu_timed(node, repeats))
        figures.append(
            Figure(
                f"9. {what}, {rows:,} rows",
                f"{ms(took)} CPU median",
                f"plain csv {ms(base)}",
                f"{took / base:.2f}x csv",
                f"<= {CSV_LIMIT}x",
                took <= CSV_LIMIT * base,
            )
        )
    figures.append(_expressions(data))
    figures += _end_to_end(folder, rows)
    return figures


def _expressions(data: list[Any]) -> Figure:
    """An output expression and a condition on a run holding 1.5 M rows (references to the
    rows read: the evaluator would have walked each of them)."""
    held = (data * (1_500_000 // len(data) + 1))[:1_500_000]
    scope = Scope({"nodes": {"read": {"data": held}, "write": {"rows": len(held)}}}, {})
    texts = ("${nodes.write.rows}", "${nodes.write.rows > 10}")
    templates = [parse_template(t) for t in texts]
    took = max(min(timed(lambda t=t: render(t, scope), 5)) for t in templates)
    return Figure(
        "9b. ${nodes.write.rows} and ${nodes.write.rows > 10}, 1.5 M rows in the run",
        f"{took * 1000:.3f} ms (slower of the two, best of 5)",
        "limit 1 ms",
        f"{took * 1000:.2f}x limit",
        "<= 1 ms",
        took <= 0.001,
    )


def _end_to_end(folder: Path, rows: int) -> list[Figure]:
    (folder / "big.yaml").write_text(WORKFLOW, encoding="utf-8")
    (folder / "big_filter.py").write_text(FILTER, encoding="utf-8")
    (folder / "plain.py").write_text(PLAIN, encoding="utf-8")
    (folder / "kailash.yaml").write_text("runtime: {}\n", encoding="utf-8")
    kailash = str(Path(sys.executable).with_name("kailash"))
    _child([kailash, "run", "big.yaml", "-q"], folder)  # the store exists from here on
    store = folder / ".kailash" / "kailash.db"
    before = store.stat().st_size
    cpu, peak = _child([kailash, "run", "big.yaml", "-q"], folder)
    added = (store.stat().st_size - before) / 1e6
    plain_cpu, plain_peak = _child([sys.executable, "plain.py"], folder)
    return [
        Figure(
            f"10. read -> filter -> write, {rows:,} rows: store growth",
            f"{added:.2f} MB a run",
            f"CSV {(folder / 'big.csv').stat().st_size / 1e6:.0f} MB",
            "-",
            f"<= {STORE_LIMIT_MB:.0f} MB",
            added <= STORE_LIMIT_MB,
        ),
        Figure(
            "    same run: peak memory",
            f"peak {peak / 1e6:.0f} MB ({ms(cpu)} CPU)",
            f"plain script peak {plain_peak / 1e6:.0f} MB ({ms(plain_cpu)} CPU)",
            f"{peak / plain_peak:.2f}x memory, {cpu / plain_cpu:.2f}x CPU",
            f"<= {MEMORY_LIMIT}x memory",
            peak <= MEMORY_LIMIT * plain_peak,
        ),
    ]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=200_000, help="rows of the CSV (default 200,000)")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="kailash-bench-big-") as tmp:
        figures = bench_big_outputs(Path(tmp), args.rows)
    for f in figures:
        print(f"{f.target}: {f.measured}; baseline {f.baseline}; {f.ratio}; {f.limit}: {verdict(f.passed)}")
    return 0 if all(f.passed for f in figures) else 1


if __name__ == "__main__":
    raise SystemExit(main())

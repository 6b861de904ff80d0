"""A CSV far larger than memory through reader -> foreach batch filter -> writer (streams).

Targets (issue 10, item 8): peak RSS at most 200 MB and wall time within 2x of a plain
Python ``csv`` loop doing the same (DictReader, the same filter function, DictWriter),
measured in the same run. The CSV (default 1 GB) is generated into a temporary folder
(or ``--data DIR`` to keep it between runs). Each side runs in a fresh Python process
that reports its own peak RSS (``ru_maxrss``), so neither inherits the other's memory.

python benchmarks/streams.py [--size-mb 1024] [--data DIR] [--chunk 10000]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

RSS_LIMIT_MB = 200
RATIO_LIMIT = 2.0

FILTER = """\
def keep(rows, minimum):
    return [r for r in rows if float(r["amount"]) >= minimum]
"""

WORKFLOW = """\
name: stream-bench
nodes:
  read:
    type: CSVReaderNode
    config: {{file_path: big.csv, chunk_size: {chunk}}}
  keep:
    type: PythonCodeNode
    foreach: "${{nodes.read.data}}"
    batch: {{size: {chunk}}}
    config: {{function: "./filters.py:keep", rows: "${{item}}", minimum: 900}}
  write:
    type: CSVWriterNode
    config: {{file_path: out/kept.csv}}
connections:
  - keep.result -> write.data
"""

PLAIN = """\
import csv, resource, sys, time
sys.path.insert(0, {root!r})
from filters import keep
began = time.perf_counter()
with open({src!r}, newline="") as f, open({dst!r}, "w", newline="") as out:
    reader = csv.DictReader(f)
    writer = csv.DictWriter(out, fieldnames=reader.fieldnames)
    writer.writeheader()
    batch = []
    for row in reader:
        batch.append(row)
        if len(batch) >= {chunk}:
            writer.writerows(keep(batch, 900))
            batch = []
    writer.writerows(keep(batch, 900))
print(time.perf_counter() - began, time.process_time(), resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
"""

KAILASH = """\
import resource, time
from kailash_cli import run_workflow
began = time.perf_counter()
result = run_workflow({wf!r})
assert result.status == "succeeded", result.nodes
print(time.perf_counter() - began, time.process_time(), resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
"""


def generate(path: Path, size_mb: int) -> int:
    """A CSV of about ``size_mb`` MB; its number of rows."""
    if path.exists() and path.stat().st_size >= size_mb * 1_000_000:
        return sum(1 for _ in path.open("rb")) - 1
    rows = 0
    with path.open("w") as f:
        f.write("id,name,amount,region,note\n")
        written = 0
        while written < size_mb * 1_000_000:
            lines = [
                f"{i},customer {i},{i % 1000},{'eu' if i % 3 else 'us'},lorem ipsum dolor sit amet {i % 97}\n"
                for i in range(rows, rows + 100_000)
            ]
            block = "".join(lines)
            f.write(block)
            written += len(block)
            rows += len(lines)
    return rows


def measure(code: str) -> tuple[float, float, float]:
    """(wall seconds, CPU seconds, peak RSS in MB) reported by ``code`` run in a fresh Python."""
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise SystemExit(f"benchmark step failed:\n{done.stderr}")
    seconds, cpu, rss_kb = done.stdout.split()[-3:]
    return float(seconds), float(cpu), int(rss_kb) / 1024


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size-mb", type=int, default=1024)
    parser.add_argument("--data", type=Path, help="folder to keep the generated CSV in")
    parser.add_argument("--chunk", type=int, default=10_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="kailash-streams-") as tmp:
        root = Path(tmp)
        data = args.data or root
        data.mkdir(parents=True, exist_ok=True)
        began = time.perf_counter()
        rows = generate(data / "big.csv", args.size_mb)
        print(
            f"data: {rows:,} rows, {(data / 'big.csv').stat().st_size / 1e6:,.0f} MB "
            f"(made in {time.perf_counter() - began:.1f} s)"
        )
        (root / "filters.py").write_text(FILTER)
        if data != root:
            (root / "big.csv").symlink_to(data / "big.csv")
        (root / "wf.yaml").write_text(WORKFLOW.format(chunk=args.chunk))
        plain_s, plain_cpu, plain_mb = measure(
            PLAIN.format(
                root=str(root), src=str(root / "big.csv"), dst=str(root / "plain.csv"), chunk=args.chunk
            )
        )
        ours_s, ours_cpu, ours_mb = measure(KAILASH.format(wf=str(root / "wf.yaml")))
        same = (root / "plain.csv").read_bytes() == (root / "out" / "kept.csv").read_bytes()
    ratio = ours_s / plain_s
    print(f"plain csv loop : {plain_s:7.1f} s wall {plain_cpu:7.1f} s CPU  peak RSS {plain_mb:6.0f} MB")
    print(f"kailash stream : {ours_s:7.1f} s wall {ours_cpu:7.1f} s CPU  peak RSS {ours_mb:6.0f} MB")
    print(f"wall ratio {ratio:.2f}x (target <= {RATIO_LIMIT}x), CPU ratio {ours_cpu / plain_cpu:.2f}x")
    print(f"peak RSS {ours_mb:.0f} MB (target <= {RSS_LIMIT_MB} MB); same output: {same}")
    ok = ratio <= RATIO_LIMIT and ours_mb <= RSS_LIMIT_MB and same
    print(
        json.dumps(
            {
                "ratio": round(ratio, 2),
                "cpu_ratio": round(ours_cpu / plain_cpu, 2),
                "rss_mb": round(ours_mb),
                "ok": ok,
            }
        )
    )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())

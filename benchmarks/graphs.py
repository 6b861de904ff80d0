"""Big graphs end to end (issue 15, item 4): load, validate, compile, run and record.

    python benchmarks/graphs.py [--nodes 10000] [--profile chain|dense]

* a 10,000-node chain of trivial Python functions through ``run_workflow`` (what ``kailash
  run`` does, store included): at most 50 us a node, next to a plain loop of the same calls;
* a dense DAG of 2,000 nodes in 100 layers of 20, each node fed by every node of the layer
  before (39,600 connections): at most 1 s end to end.

Run by ``make bench`` (``benchmarks/run.py``).
"""

from __future__ import annotations

import argparse
import cProfile
import os
import pstats
import statistics
import sys
import tempfile
from pathlib import Path

from figures import Figure, cpu_timed, ms, plain_chain, timed, verdict

from kailash_cli import run_workflow

CHAIN_NODES = 10_000
LAYERS, WIDTH = 100, 20
CHAIN_LIMIT_US = 50.0
DENSE_LIMIT_S = 1.0
MODULE = "kailash_bench_graph_steps"
MODULE_SOURCE = '''\
"""Trivial functions for the kailash graph benchmark (generated)."""


def step(x=0):
    return x + 1


def gather(**inputs):
    return len(inputs)
'''


def write_chain(folder: Path, nodes: int = CHAIN_NODES) -> Path:
    lines = ["name: bench-long-chain", "nodes:"]
    for i in range(nodes):
        lines += [f"  n{i}:", "    type: PythonCodeNode", "    config:", f'      function: "{MODULE}:step"']
    lines.append("connections:")
    lines += [f'  - "n{i - 1}.result -> n{i}.x"' for i in range(1, nodes)]
    return _write(folder / "long-chain.yaml", lines)


def write_dense(folder: Path, layers: int = LAYERS, width: int = WIDTH) -> Path:
    lines = ["name: bench-dense", "runtime:", f"  max_concurrency: {width}", "nodes:"]
    for layer in range(layers):
        for i in range(width):
            lines += [
                f"  l{layer}_{i}:",
                "    type: PythonCodeNode",
                "    config:",
                f'      function: "{MODULE}:gather"',
            ]
    lines.append("connections:")
    for layer in range(1, layers):
        for i in range(width):
            lines += [f'  - "l{layer - 1}_{j}.result -> l{layer}_{i}.in{j}"' for j in range(width)]
    return _write(folder / "dense.yaml", lines)


def _write(path: Path, lines: list[str]) -> Path:
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _run(path: Path, folder: Path) -> None:
    result = run_workflow(path, environ={"HOME": str(folder), "PATH": os.environ.get("PATH", "")})
    assert result.status == "succeeded", result.error


def _setup(folder: Path) -> None:
    (folder / f"{MODULE}.py").write_text(MODULE_SOURCE, encoding="utf-8")
    (folder / "kailash.yaml").write_text("runtime: {}\n", encoding="utf-8")
    if str(folder) not in sys.path:
        sys.path.insert(0, str(folder))


def bench_graphs(folder: Path, repeats: int = 3) -> list[Figure]:
    _setup(folder)
    cwd = os.getcwd()
    os.chdir(folder)  # the run store goes to the folder's .kailash/
    try:
        return [_bench_chain(folder, repeats), _bench_dense(folder, repeats)]
    finally:
        os.chdir(cwd)


def _bench_chain(folder: Path, repeats: int) -> Figure:
    path = write_chain(folder)
    plain = plain_chain(__import__(MODULE).step, CHAIN_NODES)
    _run(path, folder)  # warm-up
    plain_s = min(timed(plain, 5))
    cpu = statistics.median(cpu_timed(lambda: _run(path, folder), repeats))
    wall = statistics.median(timed(lambda: _run(path, folder), repeats))
    per_node = (cpu - plain_s) / CHAIN_NODES * 1e6
    return Figure(
        f"7. {CHAIN_NODES}-node chain end to end (run_workflow, store on)",
        f"{per_node:.1f} us/node CPU median; run {ms(cpu)} CPU, {ms(wall)} wall",
        f"plain loop {ms(plain_s)}",
        f"{cpu / plain_s:.0f}x loop",
        f"<= {CHAIN_LIMIT_US:.0f} us/node",
        per_node <= CHAIN_LIMIT_US,
    )


def _bench_dense(folder: Path, repeats: int) -> Figure:
    path = write_dense(folder)
    _run(path, folder)
    cpu = statistics.median(cpu_timed(lambda: _run(path, folder), repeats))
    wall = statistics.median(timed(lambda: _run(path, folder), repeats))
    return Figure(
        f"8. dense DAG, {LAYERS * WIDTH} nodes, {(LAYERS - 1) * WIDTH * WIDTH} connections, end to end",
        f"{ms(cpu)} CPU median, {ms(wall)} wall",
        "limit 1 s",
        f"{cpu / DENSE_LIMIT_S:.2f}x limit",
        f"<= {DENSE_LIMIT_S:.0f} s",
        cpu <= DENSE_LIMIT_S,
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--profile", choices=("chain", "dense"), help="print a profile of one run instead")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="kailash-bench-graphs-") as tmp:
        folder = Path(tmp)
        if args.profile:
            _setup(folder)
            os.chdir(folder)
            path = write_chain(folder) if args.profile == "chain" else write_dense(folder)
            _run(path, folder)
            cProfile.runctx("_run(path, folder)", globals(), {"path": path, "folder": folder}, "prof.out")
            stats = pstats.Stats("prof.out").sort_stats("tottime")
            stats.print_stats(25)
            stats.sort_stats("cumtime").print_stats("kailash_cli", 40)
            return 0
        figures = bench_graphs(folder)
    for f in figures:
        print(f"{f.target}: {f.measured}; baseline {f.baseline}; {f.ratio}; {f.limit}: {verdict(f.passed)}")
    return 0 if all(f.passed for f in figures) else 1


if __name__ == "__main__":
    raise SystemExit(main())

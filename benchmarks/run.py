"""Speed targets of kailash, each measured next to a baseline taken in the same run.

Run with ``make bench`` (``.venv/bin/python benchmarks/run.py``). Workflows and the
Python module their nodes call are generated into a temporary directory; nothing is
written into the repository. Timings on a shared machine are noisy, so every figure is
the best (and the median) of several repeats. Exit status 0 when every target passes.

Targets (issue 2, item 8):

1. engine overhead per node on a 1,000-node linear chain of trivial Python functions,
   against plain calls of the same functions: at most 50 microseconds per node;
2. 50 independent nodes sleeping 50 ms each, max_concurrency 50: wall time at most 1.5x
   a single 50 ms sleep;
3. load + schema + semantic checks + compile of a 10,000-node workflow: under 2 s;
4. ``kailash --version`` under 150 ms, ``kailash --help`` under 300 ms and a 1-node
   ``kailash run`` under 150 ms (issue 15, item 1; median wall time of the installed console
   script), next to ``python -c pass``;
5. ``kailash validate`` of one small (5-line) workflow: at most 250 ms of CPU (user + sys,
   median of the installed console script; issue 8, item 4), next to ``python -c pass``
   measured the same way;
6. HTTP fan-out, 200 GETs at concurrency 50 against a local 50 ms server: at most 1.5x the
   ideal 200 ms, next to plain asyncio (``http_fanout.py``; issue 15, item 2);
7-8. a 10,000-node chain end to end at most 50 us a node; a dense 2,000-node DAG at most 1 s
   (``graphs.py``; issue 15, item 4);
9-10. CSV read and write at most 1.3x the ``csv`` module; a read -> filter -> write run adds
   at most 5 MB to the store, its peak memory at most 1.2x a plain script's
   (``big_outputs.py``; issue 15, item 3);
and, for information, the same workflows timed with the Kailash SDK (``peers.py``, item 5).
Bytecode is cached as an installed package has it: the first run may write ``__pycache__``
(git-ignored) even where PYTHONDONTWRITEBYTECODE is set.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from big_outputs import bench_big_outputs
from figures import Figure, ms, plain_chain, timed, verdict
from graphs import bench_graphs
from http_fanout import bench_http
from peers import compare

from kailash_cli.compile.compiler import compile as compile_workflow
from kailash_cli.compile.validation import load_workflow
from kailash_cli.engine.local import LocalExecutor
from kailash_cli.engine.observer import Observers
from kailash_cli.engine.scheduler import RunOptions
from kailash_cli.engine.scheduler import run as run_engine
from kailash_cli.nodes.files import FileAccess
from kailash_cli.pipeline.recorder import RunRecorder
from kailash_cli.pipeline.setup import prepare
from kailash_cli.pipeline.store import Store, now_iso
from kailash_cli.security.paths import PathGuard
from kailash_cli.security.redact import Redactor

CHAIN_NODES = 1_000
SLEEPERS = 50
SLEEP_S = 0.05
VALIDATE_CPU_LIMIT_S = 0.250
SMALL_WORKFLOW = """\
name: small
nodes:
  hello:
    type: PythonCodeNode
    config: {code: "result = 'hello'"}
"""
BIG_NODES = 10_000
MODULE = "kailash_bench_steps"
MODULE_SOURCE = '''\
"""Trivial functions for the kailash benchmark (generated)."""
import time


def step(x=0):
    return x + 1


def nap(seconds=0.05):
    time.sleep(seconds)
    return seconds
'''


# -- workflow files -------------------------------------------------------------------


def write_chain(folder: Path) -> Path:
    lines = ["name: bench-chain", "nodes:"]
    for i in range(CHAIN_NODES):
        lines += [f"  n{i}:", "    type: PythonCodeNode", "    config:", f'      function: "{MODULE}:step"']
        if i == 0:
            lines.append("      x: 0")
    lines.append("connections:")
    lines += [f'  - "n{i - 1}.result -> n{i}.x"' for i in range(1, CHAIN_NODES)]
    return write(folder / "chain.yaml", lines)


def write_sleepers(folder: Path) -> Path:
    lines = ["name: bench-fan-out", "runtime:", f"  max_concurrency: {SLEEPERS}", "nodes:"]
    for i in range(SLEEPERS):
        lines += [
            f"  nap{i}:",
            "    type: PythonCodeNode",
            "    config:",
            f'      function: "{MODULE}:nap"',
            f"      seconds: {SLEEP_S}",
        ]
    return write(folder / "fan-out.yaml", lines)


def write_big(folder: Path) -> Path:
    """10,000 nodes as a person would write them: a binary tree of connected steps."""
    lines = [
        "name: bench-big",
        "description: A generated workflow of 10,000 nodes.",
        "params:",
        "  start:",
        "    type: integer",
        "    default: 1",
        "nodes:",
    ]
    for i in range(BIG_NODES):
        lines += [
            f"  step_{i:05d}:",
            "    type: PythonCodeNode",
            f"    description: step {i} of the tree",
            "    config:",
            f'      function: "{MODULE}:step"',
        ]
        if i == 0:
            lines.append('      x: "${params.start}"')
    lines.append("connections:")
    for i in range(1, BIG_NODES):
        lines += [f"  - from: step_{(i - 1) // 2:05d}.result", f"    to: step_{i:05d}.x"]
    return write(folder / "big.yaml", lines)


def write(path: Path, lines: list[str]) -> Path:
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def compiled_with_prepared(path: Path) -> tuple[object, dict[str, object]]:
    workflow, _ = load_workflow(path)
    compiled = compile_workflow(workflow)
    return compiled, prepare(compiled)


# -- the four targets -----------------------------------------------------------------


def bench_chain(folder: Path, repeats: int = 9) -> Figure:
    compiled, prepared = compiled_with_prepared(write_chain(folder))
    plain = plain_chain(__import__(MODULE).step, CHAIN_NODES)

    def engine() -> None:
        with LocalExecutor(16) as executor:
            result = run_engine(
                compiled,
                RunOptions(
                    executor=executor, files=FileAccess(folder), max_concurrency=16, prepared=prepared
                ),
            )
        assert result.succeeded and result.outputs[f"n{CHAIN_NODES - 1}"]["result"] == CHAIN_NODES

    engine()  # warm-up: first-call costs are not the per-node overhead
    plain_s = min(timed(plain, repeats * 5))
    runs = timed(engine, repeats)
    best, median = min(runs), statistics.median(runs)
    per_node_us = (best - plain_s) / CHAIN_NODES * 1e6
    median_us = (median - plain_s) / CHAIN_NODES * 1e6
    return Figure(
        f"1. engine overhead, {CHAIN_NODES}-node chain",
        f"{median_us:.1f} us/node median (best {per_node_us:.1f}); run {ms(median)}",
        f"plain loop {plain_s * 1e6:.0f} us ({plain_s / CHAIN_NODES * 1e9:.0f} ns/call)",
        f"{median / plain_s:.0f}x loop",
        "<= 50 us/node",
        median_us <= 50,
    )


def bench_chain_recorded(folder: Path, repeats: int = 9) -> Figure:
    """Target 1 as `kailash run` pays it: run store, secret redaction and the path guard on."""
    compiled, prepared = compiled_with_prepared(folder / "chain.yaml")
    plain = plain_chain(__import__(MODULE).step, CHAIN_NODES)
    redactor = Redactor(["not-a-real-secret-0123456789"])
    guard = PathGuard.from_config({"allowed_directories": ["."]}, folder)
    counter = iter(range(10**6))

    def engine() -> None:
        store = Store.open(folder / f"store-{next(counter)}.db")
        recorder = RunRecorder(store, "r", "chain", list(compiled.workflow.nodes), redactor.value)
        recorder.begin("chain.yaml", now_iso(), {}, {})
        with LocalExecutor(16) as executor:
            result = run_engine(
                compiled,
                RunOptions(
                    executor=executor,
                    max_concurrency=16,
                    prepared=prepared,
                    observer=Observers(recorder),
                    files=FileAccess(folder, guard),
                    secrets={"k": "not-a-real-secret-0123456789"},
                ),
            )
        recorder.finish(result)
        store.close()
        assert result.succeeded

    engine()
    plain_s = min(timed(plain, repeats * 5))
    runs = timed(engine, repeats)
    median = statistics.median(runs)
    median_us = (median - plain_s) / CHAIN_NODES * 1e6
    return Figure(
        "1b. same chain with run store, redaction, path guard",
        f"{median_us:.1f} us/node median; run {ms(median)} incl. store writes",
        f"plain loop {plain_s * 1e6:.0f} us",
        f"{median / plain_s:.0f}x loop",
        "<= 50 us/node",
        median_us <= 50,
    )


def bench_fan_out(folder: Path, repeats: int = 7) -> Figure:
    compiled, prepared = compiled_with_prepared(write_sleepers(folder))

    def engine() -> None:
        with LocalExecutor(SLEEPERS) as executor:
            result = run_engine(
                compiled,
                RunOptions(
                    executor=executor, files=FileAccess(folder), max_concurrency=SLEEPERS, prepared=prepared
                ),
            )
        assert result.succeeded

    ideal = min(timed(lambda: time.sleep(SLEEP_S), repeats))
    runs = timed(engine, repeats)
    best, median = min(runs), statistics.median(runs)
    return Figure(
        f"2. {SLEEPERS} x {SLEEP_S * 1000:.0f} ms sleeps, concurrency {SLEEPERS}",
        f"{ms(median)} median (best {ms(best)})",
        f"one sleep {ms(ideal)}",
        f"{median / ideal:.2f}x",
        "<= 1.5x",
        median / ideal <= 1.5,
    )


def bench_big(folder: Path, repeats: int = 3) -> list[Figure]:
    path = write_big(folder)
    lines = path.read_text(encoding="utf-8").count("\n")

    def load_and_compile() -> None:
        workflow, _ = load_workflow(path)
        compile_workflow(workflow)

    runs = timed(load_and_compile, repeats)
    best, median = min(runs), statistics.median(runs)
    kailash = str(Path(sys.executable).with_name("kailash"))
    cli = timed(
        lambda: subprocess.run([kailash, "validate", str(path)], check=True, capture_output=True), repeats
    )
    python = min(timed(lambda: subprocess.run([sys.executable, "-c", "pass"], check=True), 3))
    return [
        Figure(
            f"3. load+validate+compile, {BIG_NODES} nodes ({lines} lines)",
            f"{median:.2f} s median (best {best:.2f} s)",
            "limit 2 s",
            f"{median / 2:.2f}x limit",
            "< 2 s",
            median < 2,
        ),
        Figure(
            "   `kailash validate` on it (subprocess, info)",
            f"{min(cli):.2f} s best",
            f"python -c pass {ms(python)}",
            "-",
            "info",
            True,
        ),
    ]


def bench_startup(repeats: int = 11) -> list[Figure]:
    kailash = str(Path(sys.executable).with_name("kailash"))

    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}  # as installed

    def median_of(argv: list[str], cwd: str | None = None) -> float:
        subprocess.run(argv, check=True, capture_output=True, cwd=cwd, env=env)  # file cache, bytecode
        runs = timed(lambda: subprocess.run(argv, check=True, capture_output=True, cwd=cwd, env=env), repeats)
        return statistics.median(runs)

    python = median_of([sys.executable, "-c", "pass"])
    figures = []
    with tempfile.TemporaryDirectory(prefix="kailash-bench-start-") as tmp:
        (Path(tmp) / "small.yaml").write_text(SMALL_WORKFLOW, encoding="utf-8")
        took = median_of([kailash, "run", "small.yaml", "-q"], cwd=tmp)  # its store goes there
    figures.append(  # issue 15, item 1: a trivial run, wall time, on a quiet machine
        Figure(
            "4. kailash run small.yaml (1 node)",
            f"{ms(took)} median",
            f"python -c pass {ms(python)}",
            f"{took / python:.1f}x python",
            "< 150 ms",
            took < 0.150,
        )
    )
    for flag, limit in (("--version", 0.150), ("--help", 0.300)):
        took = median_of([kailash, flag])
        figures.append(
            Figure(
                f"4. kailash {flag}",
                f"{ms(took)} median",
                f"python -c pass {ms(python)}",
                f"{took / python:.1f}x python",
                f"< {limit * 1000:.0f} ms",
                took < limit,
            )
        )
    return figures


def cpu_times(argv: list[str], repeats: int, env: dict[str, str] | None = None) -> list[float]:
    """CPU seconds (user + sys) each of ``repeats`` runs of ``argv`` took, children included."""
    times = []
    for _ in range(repeats):
        process = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
        _, status, usage = os.wait4(process.pid, 0)
        assert os.waitstatus_to_exitcode(status) == 0, argv
        times.append(usage.ru_utime + usage.ru_stime)
    return times


def bench_validate_cpu(folder: Path, repeats: int = 15) -> Figure:
    """Target 5: what CI pays per `kailash validate` of a small file (imports, mostly)."""
    path = folder / "small.yaml"
    path.write_text(SMALL_WORKFLOW, encoding="utf-8")
    kailash = str(Path(sys.executable).with_name("kailash"))
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    cpu_times([kailash, "validate", str(path)], 1, env)  # warm-up: file cache, bytecode
    python = statistics.median(cpu_times([sys.executable, "-c", "pass"], repeats, env))
    runs = cpu_times([kailash, "validate", str(path)], repeats, env)
    median = statistics.median(runs)
    return Figure(
        "5. `kailash validate` CPU, 5-line workflow",
        f"{ms(median)} median (best {ms(min(runs))}) user+sys",
        f"python -c pass {ms(python)}",
        f"{median / python:.1f}x python",
        f"<= {VALIDATE_CPU_LIMIT_S * 1000:.0f} ms",
        median <= VALIDATE_CPU_LIMIT_S,
    )


# -- report ---------------------------------------------------------------------------


def table(figures: list[Figure]) -> str:
    """A Markdown table the README can quote."""
    rows = [("target", "measured", "baseline (same run)", "ratio", "limit", "result")]
    rows += [
        (
            f.target.strip(),
            f.measured,
            f.baseline,
            f.ratio,
            f.limit,
            verdict(f.passed) if f.limit != "info" else "-",
        )
        for f in figures
    ]
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    lines = ["| " + " | ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)) + " |" for row in rows]
    lines.insert(1, "|" + "|".join("-" * (w + 2) for w in widths) + "|")
    return "\n".join(lines)


def main() -> int:
    print(f"kailash benchmark: Python {sys.version.split()[0]}, {sys.platform}", flush=True)
    figures: list[Figure] = []
    with tempfile.TemporaryDirectory(prefix="kailash-bench-") as tmp:
        folder = Path(tmp)
        (folder / f"{MODULE}.py").write_text(MODULE_SOURCE, encoding="utf-8")
        sys.path.insert(0, tmp)
        for bench in (
            bench_chain,
            bench_chain_recorded,
            bench_fan_out,
            bench_big,
            bench_validate_cpu,
            bench_http,
            lambda f: bench_graphs(_sub(f, "graphs")),
            lambda f: bench_big_outputs(_sub(f, "big")),
        ):
            found = bench(folder)
            for figure in found if isinstance(found, list) else [found]:
                figures.append(figure)
                print(
                    f"{figure.target}: {figure.measured}; baseline {figure.baseline}; "
                    f"{figure.ratio}; {figure.limit}: {verdict(figure.passed)}",
                    flush=True,
                )
    for figure in bench_startup():
        figures.append(figure)
        print(
            f"{figure.target}: {figure.measured}; baseline {figure.baseline}; "
            f"{figure.ratio}; {figure.limit}: {verdict(figure.passed)}",
            flush=True,
        )
    print()
    print(table(figures))
    print()
    print("Next to the Kailash SDK (benchmarks/peers.py; KAILASH_SDK_PYTHON names its interpreter):")
    print(compare(sdk_python=os.environ.get("KAILASH_SDK_PYTHON")))
    return 0 if all(f.passed for f in figures) else 1


def _sub(folder: Path, name: str) -> Path:
    (folder / name).mkdir()
    return folder / name


if __name__ == "__main__":
    sys.exit(main())

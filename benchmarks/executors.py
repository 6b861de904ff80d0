"""The Dask executor against the local one (issue 11, item 6).

1. CPU-bound: 8 independent nodes, each spinning pure Python for about 1 s, on the local
   executor (threads: the GIL keeps them on one core) and on a Dask LocalCluster of 2
   worker processes: goal a speed-up of at least 1.7x on a 2-core machine.
2. ``foreach`` over 10,000 items in batches of 500 on the same 2 workers: the overhead
   per item against plain ``client.map`` of the same function over the same batches.
3. The same foreach on the local executor, for comparison (its figures are those of
   ``benchmarks/foreach.py``; the local path is unchanged by the Dask executor).

The cluster is started once, outside the timings (its start is printed too). On a
machine others are using, the figures move a lot: each is the best of ``--repeat`` runs.

python benchmarks/executors.py [--repeat 3] [--items 10000] [--batch 500]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from kailash_cli.compile.compiler import compile
from kailash_cli.compile.validation import load_workflow
from kailash_cli.engine.dask_executor import DaskExecutor
from kailash_cli.engine.executor import Executor
from kailash_cli.engine.local import LocalExecutor
from kailash_cli.engine.options import RunOptions
from kailash_cli.engine.scheduler import run
from kailash_cli.nodes.files import FileAccess
from kailash_cli.pipeline.setup import prepare

SPEED_UP_GOAL = 1.7
CPU_NODES = 8
FUNCTIONS = """\
def spin(n):
    total = 0
    for i in range(n):
        total += i * i % 7
    return total


def inc_all(xs):
    return [x + 1 for x in xs]
"""


def cpu_workflow(spins: int) -> str:
    nodes = "".join(
        f"  cpu{i}:\n    type: PythonCodeNode\n    config: {{function: './fns.py:spin', n: {spins}}}\n"
        for i in range(CPU_NODES)
    )
    return f"name: cpu-bound\nruntime: {{max_concurrency: {CPU_NODES}}}\nnodes:\n{nodes}"


def foreach_workflow(items: int, batch: int) -> str:
    return f"""\
name: foreach-batches
nodes:
  src:
    type: PythonCodeNode
    config: {{code: "result = list(range({items}))"}}
  each:
    type: PythonCodeNode
    foreach: "${{nodes.src.result}}"
    batch: {{size: {batch}, max_concurrency: 4}}
    config: {{function: "./fns.py:inc_all", xs: "${{item}}"}}
"""


def engine_seconds(root: Path, name: str, executor: Executor, check: Callable[[Any], bool]) -> float:
    workflow, problems = load_workflow(root / name)
    assert not problems, problems
    compiled = compile(workflow)
    options = RunOptions(
        executor=executor,
        files=FileAccess(root),
        prepared=prepare(compiled),
        max_concurrency=int(workflow.runtime.get("max_concurrency", 16)),
    )
    start = time.perf_counter()
    result = run(compiled, options)
    took = time.perf_counter() - start
    assert result.succeeded and check(result.outputs), result.nodes
    return took


def calibrate() -> int:
    """Iterations of ``spin`` that take about 1 s here, now."""
    namespace: dict[str, Any] = {}
    exec(FUNCTIONS, namespace)  # noqa: S102 - the benchmark's own function
    n = 200_000
    start = time.perf_counter()
    namespace["spin"](n)
    return int(n / (time.perf_counter() - start))


def client_map_seconds(executor: DaskExecutor, root: Path, items: int, batch: int) -> float:
    namespace: dict[str, Any] = {}
    exec((root / "fns.py").read_text(), namespace)  # noqa: S102
    inc_all = namespace["inc_all"]
    batches = [list(range(i, min(i + batch, items))) for i in range(0, items, batch)]
    start = time.perf_counter()
    futures = executor.client.map(inc_all, batches, pure=False)
    out = executor.client.gather(futures)
    took = time.perf_counter() - start
    assert out[-1][-1] == items
    return took


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--items", type=int, default=10_000)
    parser.add_argument("--batch", type=int, default=500)
    args = parser.parse_args()
    spins = calibrate()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        (root / "fns.py").write_text(FUNCTIONS)
        (root / "cpu.yaml").write_text(cpu_workflow(spins))
        (root / "each.yaml").write_text(foreach_workflow(args.items, args.batch))
        cpu_ok: Callable[[Any], bool] = lambda outputs: len(outputs) == CPU_NODES  # noqa: E731
        each_ok: Callable[[Any], bool] = lambda outputs: outputs["each"]["result"][-1] == args.items  # noqa: E731
        started = time.perf_counter()
        with DaskExecutor(workers=2) as dask:
            cluster_s = time.perf_counter() - started
            engine_seconds(root, "cpu.yaml", dask, cpu_ok)  # warm-up: workers import kailash once
            dask_cpu = min(engine_seconds(root, "cpu.yaml", dask, cpu_ok) for _ in range(args.repeat))
            dask_each = min(engine_seconds(root, "each.yaml", dask, each_ok) for _ in range(args.repeat))
            plain = min(client_map_seconds(dask, root, args.items, args.batch) for _ in range(args.repeat))
        with LocalExecutor(16) as local:
            local_cpu = min(engine_seconds(root, "cpu.yaml", local, cpu_ok) for _ in range(args.repeat))
            local_each = min(engine_seconds(root, "each.yaml", local, each_ok) for _ in range(args.repeat))
    speed_up = local_cpu / dask_cpu
    overhead_us = (dask_each - plain) / args.items * 1e6
    print(f"LocalCluster of 2 worker processes started in {cluster_s:.2f} s (not in the figures below)")
    print(f"cpu-bound, {CPU_NODES} nodes x ~1 s: local {local_cpu:.2f} s, dask {dask_cpu:.2f} s")
    verdict = "ok" if speed_up >= SPEED_UP_GOAL else "BELOW GOAL (a loaded machine?)"
    print(f"  speed-up {speed_up:.2f}x (goal >= {SPEED_UP_GOAL}x): {verdict}")
    print(
        f"foreach {args.items:,} items in batches of {args.batch}: dask {dask_each * 1000:.0f} ms, "
        f"plain client.map {plain * 1000:.0f} ms: overhead {overhead_us:.1f} us an item"
    )
    print(f"  same foreach on the local executor: {local_each * 1000:.0f} ms")
    return 0 if speed_up >= SPEED_UP_GOAL else 1


if __name__ == "__main__":
    sys.exit(main())

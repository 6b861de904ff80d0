"""Engine overhead of ``foreach`` per item (goal: at most 20 microseconds an item).

A ``foreach`` node over 10,000 trivial items (a function adding one) runs in the engine;
the baseline, measured in the same run, is a plain Python loop calling the same function
with the same keyword argument. Overhead per item = (node time - loop time) / items.

python benchmarks/foreach.py [--items 10000] [--repeat 5]
"""

from __future__ import annotations

import argparse
import importlib.util
import sys
import tempfile
import time
from pathlib import Path

from kailash_cli.compile.compiler import compile
from kailash_cli.compile.validation import load_workflow
from kailash_cli.engine.local import LocalExecutor
from kailash_cli.engine.options import RunOptions
from kailash_cli.engine.scheduler import run
from kailash_cli.nodes.files import FileAccess
from kailash_cli.pipeline.setup import prepare

LIMIT_US = 20.0
FUNCTION = "def inc(x):\n    return x + 1\n"
WORKFLOW = """\
name: foreach-bench
params:
  n: {type: integer, default: 10000}
nodes:
  src:
    type: PythonCodeNode
    config: {code: "result = list(range(n))", n: "${params.n}"}
  each:
    type: PythonCodeNode
    foreach: "${nodes.src.result}"
    config: {function: "./fns.py:inc", x: "${item}"}
"""


def engine_seconds(root: Path, items: int) -> float:
    workflow, problems = load_workflow(root / "wf.yaml")
    assert not problems, problems
    compiled = compile(workflow)
    with LocalExecutor(16) as executor:
        options = RunOptions(
            executor=executor, files=FileAccess(root), params={"n": items}, prepared=prepare(compiled)
        )
        result = run(compiled, options)
    assert result.outputs["each"]["result"][-1] == items, result.nodes["each"]
    return result.nodes["each"].duration_ms / 1000


def loop_seconds(root: Path, items: int) -> float:
    spec = importlib.util.spec_from_file_location("fns", root / "fns.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    values = list(range(items))
    start = time.perf_counter()
    out = [module.inc(x=x) for x in values]
    took = time.perf_counter() - start
    assert out[-1] == items
    return took


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--items", type=int, default=10000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        (root / "fns.py").write_text(FUNCTION)
        (root / "wf.yaml").write_text(WORKFLOW)
        engine = min(engine_seconds(root, args.items) for _ in range(args.repeat))
        loop = min(loop_seconds(root, args.items) for _ in range(args.repeat))
    overhead = (engine - loop) / args.items * 1e6
    print(f"items:            {args.items:,}")
    print(f"plain loop:       {loop * 1000:9.1f} ms  ({loop / args.items * 1e6:.2f} us an item)")
    print(f"foreach (engine): {engine * 1000:9.1f} ms  ({engine / args.items * 1e6:.2f} us an item)")
    print(f"ratio:            {engine / loop:9.1f}x")
    verdict = "ok" if overhead <= LIMIT_US else "OVER"
    print(f"engine overhead:  {overhead:9.2f} us an item (goal <= {LIMIT_US:g}): {verdict}")
    return 0 if overhead <= LIMIT_US else 1


if __name__ == "__main__":
    sys.exit(main())

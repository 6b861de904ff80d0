"""The same workflows timed with kailash and with the Kailash SDK (issue 15, item 5).

    python benchmarks/peers.py [--sdk-python PATH] [--chain 200] [--sleepers 20]

Three workflows, each written once as kailash YAML and once with the SDK's
``WorkflowBuilder``, all of inline-code ``PythonCodeNode``s:

* a chain of ``--chain`` nodes, each adding one to the one before (engine overhead a node);
* ``--sleepers`` independent nodes sleeping 50 ms each (how well independent work overlaps);
* a cold start: one trivial node, as a new process (``kailash run`` next to ``python`` running
  the SDK's one-node workflow).

The SDK is looked for in this interpreter, or in the one ``--sdk-python`` names (the SDK
and kailash both want a ``kailash`` name, so a separate virtual environment is the easy
way: ``python -m venv /tmp/sdk && /tmp/sdk/bin/pip install kailash``). Without it the SDK
column says why and the kailash figures are printed alone. Run by ``make bench``
(``benchmarks/run.py``) too. Figures are wall time (median of ``--repeats``) and the
ratio SDK / kailash.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

SLEEP_S = 0.05
SDK_MISSING = "not installed (pip install kailash, or --sdk-python)"
SDK_ABSENT = 3  # the exit status of --only-sdk where the SDK cannot be imported


def _timed(call: Any, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        call()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


# -- the Kailash SDK (runs in the interpreter that has it) ------------------------------


def sdk_figures(chain: int, sleepers: int, repeats: int) -> dict[str, float]:
    try:
        from kailash.runtime.local import LocalRuntime
        from kailash.workflow.builder import WorkflowBuilder
    except ImportError:  # the SDK is not installed here: the caller says so
        raise SystemExit(SDK_ABSENT) from None

    def chain_wf() -> Any:
        wf = WorkflowBuilder()
        wf.add_node("PythonCodeNode", "n0", {"code": "result = 1"})
        for i in range(1, chain):
            wf.add_node("PythonCodeNode", f"n{i}", {"code": "result = x + 1"})
            wf.add_connection(f"n{i - 1}", "result", f"n{i}", "x")
        return wf.build()

    def sleepers_wf() -> Any:
        wf = WorkflowBuilder()
        for i in range(sleepers):
            wf.add_node(
                "PythonCodeNode", f"s{i}", {"code": f"import time\ntime.sleep({SLEEP_S})\nresult = 1"}
            )
        return wf.build()

    def run(workflow: Any) -> Any:
        with LocalRuntime() as runtime:
            return runtime.execute(workflow)[0]

    built_chain, built_sleepers = chain_wf(), sleepers_wf()
    run(built_chain)  # warm-up: imports, first-call costs
    return {
        "chain": _timed(lambda: run(chain_wf()), repeats),
        "sleepers": _timed(lambda: run(sleepers_wf()), repeats),
        "built_chain_run": _timed(lambda: run(built_chain), repeats),
        "built_sleepers_run": _timed(lambda: run(built_sleepers), repeats),
    }


SDK_COLD = (
    "from kailash.workflow.builder import WorkflowBuilder\n"
    "from kailash.runtime.local import LocalRuntime\n"
    "wf = WorkflowBuilder()\n"
    "wf.add_node('PythonCodeNode', 'hello', {'code': 'result = 1'})\n"
    "with LocalRuntime() as runtime:\n"
    "    runtime.execute(wf.build())\n"
)


def _sdk(python: str | None, chain: int, sleepers: int, repeats: int) -> dict[str, float] | str:
    """The SDK's figures from ``python`` (default: this interpreter), or why there are none."""
    argv = [python or sys.executable, __file__, "--only-sdk", "--chain", str(chain)]
    argv += ["--sleepers", str(sleepers), "--repeats", str(repeats)]
    done = subprocess.run(argv, capture_output=True, text=True, check=False)
    if done.returncode == SDK_ABSENT:
        return SDK_MISSING
    if done.returncode != 0:
        return f"failed: {done.stderr.strip().splitlines()[-1:]}"
    figures: dict[str, float] = json.loads(done.stdout.strip().splitlines()[-1])
    cold = [python or sys.executable, "-c", SDK_COLD]
    figures["cold"] = _timed(lambda: subprocess.run(cold, capture_output=True, check=True), repeats)
    return figures


# -- kailash ------------------------------------------------------------------------------


def _yaml_chain(chain: int) -> str:
    lines = ["name: peer-chain", "nodes:", "  n0: {type: PythonCodeNode, config: {code: 'result = 1'}}"]
    lines += [
        f"  n{i}: {{type: PythonCodeNode, config: {{code: 'result = x + 1'}}}}" for i in range(1, chain)
    ]
    if chain > 1:
        lines += ["connections:"] + [f'  - "n{i - 1}.result -> n{i}.x"' for i in range(1, chain)]
    return "\n".join(lines) + "\n"


def _yaml_sleepers(sleepers: int) -> str:
    code = f'"import time\\ntime.sleep({SLEEP_S})\\nresult = 1"'
    lines = ["name: peer-sleepers", "runtime:", f"  max_concurrency: {sleepers}", "nodes:"]
    lines += [f"  s{i}: {{type: PythonCodeNode, config: {{code: {code}}}}}" for i in range(sleepers)]
    return "\n".join(lines) + "\n"


def kailash_figures(folder: Path, chain: int, sleepers: int, repeats: int) -> dict[str, float]:
    from kailash_cli import run_workflow

    (folder / "kailash.yaml").write_text("runtime: {}\n", encoding="utf-8")
    paths = {
        "chain": folder / "chain.yaml",
        "sleepers": folder / "sleepers.yaml",
        "cold": folder / "one.yaml",
    }
    paths["chain"].write_text(_yaml_chain(chain), encoding="utf-8")
    paths["sleepers"].write_text(_yaml_sleepers(sleepers), encoding="utf-8")
    paths["cold"].write_text(_yaml_chain(1), encoding="utf-8")
    environ = {"HOME": str(folder), "PATH": os.environ.get("PATH", "")}

    def run(path: Path) -> None:
        result = run_workflow(path, config=folder / "kailash.yaml", environ=environ)
        assert result.status == "succeeded", result.error

    run(paths["chain"])  # warm-up
    kailash = str(Path(sys.executable).with_name("kailash"))
    cold = [kailash, "run", str(paths["cold"]), "-q"]
    return {
        "chain": _timed(lambda: run(paths["chain"]), repeats),
        "sleepers": _timed(lambda: run(paths["sleepers"]), repeats),
        "cold": _timed(lambda: subprocess.run(cold, cwd=folder, capture_output=True, check=True), repeats),
    }


def table(ours: dict[str, float], sdk: dict[str, float] | str, chain: int, sleepers: int) -> str:
    """A Markdown table the README quotes."""
    what = {
        "chain": f"{chain}-node chain (load, validate, run, record)",
        "sleepers": f"{sleepers} x {SLEEP_S * 1000:.0f} ms sleeps side by side",
        "cold": "1-node run in a new process",
    }
    rows = [("workflow", "kailash", "Kailash SDK", "SDK / kailash")]
    for key, label in what.items():
        theirs = sdk.get(key) if isinstance(sdk, dict) else None
        rows.append(
            (
                label,
                f"{ours[key] * 1000:.0f} ms",
                f"{theirs * 1000:.0f} ms" if theirs is not None else str(sdk),
                f"{theirs / ours[key]:.1f}x" if theirs is not None else "-",
            )
        )
    widths = [max(len(row[i]) for row in rows) for i in range(4)]
    lines = ["| " + " | ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)) + " |" for row in rows]
    lines.insert(1, "|" + "|".join("-" * (w + 2) for w in widths) + "|")
    return "\n".join(lines)


def compare(chain: int = 200, sleepers: int = 20, repeats: int = 3, sdk_python: str | None = None) -> str:
    with tempfile.TemporaryDirectory(prefix="kailash-peers-") as tmp:
        ours = kailash_figures(Path(tmp), chain, sleepers, repeats)
    return table(ours, _sdk(sdk_python, chain, sleepers, repeats), chain, sleepers)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sdk-python", help="an interpreter with the Kailash SDK installed")
    parser.add_argument("--chain", type=int, default=200, help="nodes in the chain (default 200)")
    parser.add_argument("--sleepers", type=int, default=20, help="sleeping nodes (default 20)")
    parser.add_argument("--repeats", type=int, default=3, help="runs of each, median (default 3)")
    parser.add_argument("--only-sdk", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.only_sdk:
        print(json.dumps(sdk_figures(args.chain, args.sleepers, args.repeats)))
        return 0
    print(f"kailash next to the Kailash SDK: Python {sys.version.split()[0]}, {sys.platform}")
    print(compare(args.chain, args.sleepers, args.repeats, args.sdk_python))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

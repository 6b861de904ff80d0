"""Small helpers for the execution-side tests: run one node, run one workflow, run the CLI.

``run_node`` calls a node type exactly as the engine does (``run`` or ``arun``) with a
real ``NodeContext``; ``run_workflow`` goes through load, validate, compile, prepare and
the engine; ``kailash`` runs the installed command in a subprocess, as users do.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import textwrap
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import httpx

from kailash_cli.compile.compiler import compile
from kailash_cli.compile.validation import load_workflow
from kailash_cli.engine.files import FileAccess
from kailash_cli.engine.local import LocalExecutor
from kailash_cli.engine.observer import RunObserver
from kailash_cli.engine.scheduler import RunOptions, run
from kailash_cli.load.params import resolve
from kailash_cli.model.result import RunResult
from kailash_cli.nodes.base import NodeContext, Outputs
from kailash_cli.nodes.registry import NODE_TYPES
from kailash_cli.pipeline.setup import prepare

KAILASH = str(Path(sys.executable).parent / "kailash")
REPO = Path(__file__).resolve().parent.parent


def make_ctx(base_dir: Path, *, node_id: str = "node", prepared: Any = None,
             transport: httpx.AsyncBaseTransport | None = None,
             environ: Mapping[str, str] | None = None) -> NodeContext:
    """A NodeContext rooted at ``base_dir``; HTTP goes through ``transport`` when given."""
    clients: list[httpx.AsyncClient] = []

    def http() -> httpx.AsyncClient:
        if not clients:
            clients.append(httpx.AsyncClient(transport=transport, follow_redirects=True))
        return clients[0]

    ctx = NodeContext(node_id=node_id, files=FileAccess(base_dir), environ=environ or {},
                      prepared=prepared, http=http)
    ctx._clients = clients  # type: ignore[attr-defined]  # closed by run_node
    return ctx


def run_node(node_type: str, params: dict[str, Any], ctx: NodeContext | None = None, *,
             base_dir: Path | None = None) -> Outputs:
    """Call one node type's run()/arun() with ``params`` as the engine would."""
    node = NODE_TYPES[node_type]
    ctx = ctx or make_ctx(base_dir or Path.cwd())
    if not node.is_async(ctx.prepared):
        return node.run(dict(params), ctx)

    async def call() -> Outputs:
        try:
            return await node.arun(dict(params), ctx)
        finally:
            for client in getattr(ctx, "_clients", []):
                await client.aclose()

    return asyncio.run(call())


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def run_workflow(tmp_path: Path, yaml_text: str, *, params: list[str] | None = None,
                 environ: Mapping[str, str] | None = None, secrets: dict[str, Any] | None = None,
                 timeout: float | None = None, max_concurrency: int = 16,
                 observer: Any = None) -> RunResult:
    """Write ``wf.yaml`` into ``tmp_path`` and run it through the engine (no subprocess)."""
    path = write(tmp_path / "wf.yaml", yaml_text)
    workflow, _ = load_workflow(path)
    compiled = compile(workflow)
    values = resolve(workflow.params, params or [], {})
    runtime_timeout = workflow.runtime.get("timeout")
    limit = int(workflow.runtime.get("max_concurrency", max_concurrency))
    with LocalExecutor(limit) as executor:
        options = RunOptions(executor=executor, files=FileAccess(workflow.base_dir), params=values,
                             environ=dict(environ or {}), secrets=secrets or {}, max_concurrency=limit,
                             timeout=timeout if timeout is not None else runtime_timeout,
                             prepared=prepare(compiled), observer=observer or RunObserver())
        return run(compiled, options)


def statuses(result: RunResult) -> dict[str, str]:
    return {node_id: r.status for node_id, r in result.nodes.items()}


def kailash(*args: str | Path, cwd: Path | None = None, env: Mapping[str, str] | None = None,
            timeout: float = 60, extra_env: Mapping[str, str] | None = None,
            ) -> subprocess.CompletedProcess[str]:
    """Run the installed ``kailash`` command; stdout and stderr captured as text."""
    environ = dict(os.environ if env is None else env)
    environ.pop("KAILASH_LOG_FORMAT", None)
    environ.update(extra_env or {})
    return subprocess.run([KAILASH, *map(str, args)], cwd=cwd, env=environ, capture_output=True,
                          text=True, timeout=timeout, check=False)


def no_traceback(proc: subprocess.CompletedProcess[str]) -> bool:
    return "Traceback" not in proc.stderr and "Traceback" not in proc.stdout



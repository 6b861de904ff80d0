"""The one set of test helpers: write files, run one node, run one workflow, run the CLI.

``run_node`` calls a node type exactly as the engine does (``run`` or ``arun``) with a
real ``NodeContext``; ``run_workflow`` goes through load, validate, compile, prepare and
the engine; ``kailash`` runs the CLI in-process (fast: most command tests), and
``kailash_e2e`` runs the installed command in a subprocess, as users do (tests marked
``e2e``: signals, exit codes through the real entry point, fd-level output).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import subprocess
import sys
import textwrap
import threading
from collections.abc import Callable, Iterator, Mapping
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx

from kailash_cli.compile.compiler import compile
from kailash_cli.compile.validation import load_workflow
from kailash_cli.engine.local import LocalExecutor
from kailash_cli.engine.observer import RunObserver
from kailash_cli.engine.scheduler import RunOptions, run
from kailash_cli.load.params import resolve
from kailash_cli.model.result import RunResult
from kailash_cli.nodes.base import NodeContext, Outputs
from kailash_cli.nodes.files import FileAccess
from kailash_cli.nodes.registry import NODE_TYPES
from kailash_cli.pipeline.setup import prepare

KAILASH = str(Path(sys.executable).parent / "kailash")
REPO = Path(__file__).resolve().parent.parent
Proc = subprocess.CompletedProcess  # what ``kailash`` and ``kailash_e2e`` return
RunCli = Callable[..., "subprocess.CompletedProcess[str]"]


def make_ctx(
    base_dir: Path,
    *,
    node_id: str = "node",
    prepared: Any = None,
    transport: httpx.AsyncBaseTransport | None = None,
    environ: Mapping[str, str] | None = None,
) -> NodeContext:
    """A NodeContext rooted at ``base_dir``; HTTP goes through ``transport`` when given."""
    clients: list[httpx.AsyncClient] = []

    def http() -> httpx.AsyncClient:
        if not clients:
            clients.append(httpx.AsyncClient(transport=transport, follow_redirects=True))
        return clients[0]

    ctx = NodeContext(
        node_id=node_id, files=FileAccess(base_dir), environ=environ or {}, prepared=prepared, http=http
    )
    ctx._clients = clients  # type: ignore[attr-defined]  # closed by run_node
    return ctx


def run_node(
    node_type: str, params: dict[str, Any], ctx: NodeContext | None = None, *, base_dir: Path | None = None
) -> Outputs:
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


def write(path: Path, text: str, *, dedent: bool = True) -> Path:
    """Write ``text`` (dedented unless told not to) to ``path``, parents created; returns ``path``."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text) if dedent else text, encoding="utf-8")
    return path


def write_file(tmp_path: Path, name: str, text: str) -> Path:
    """``write(tmp_path / name, text)`` with ``text`` exactly as given."""
    return write(tmp_path / name, text, dedent=False)


def run_workflow(
    tmp_path: Path,
    yaml_text: str,
    *,
    params: list[str] | None = None,
    environ: Mapping[str, str] | None = None,
    secrets: dict[str, Any] | None = None,
    timeout: float | None = None,
    max_concurrency: int = 16,
    observer: Any = None,
) -> RunResult:
    """Write ``wf.yaml`` into ``tmp_path`` and run it through the engine (no subprocess)."""
    path = write(tmp_path / "wf.yaml", yaml_text)
    workflow, _ = load_workflow(path)
    compiled = compile(workflow)
    values = resolve(workflow.params, params or [], {})
    runtime_timeout = workflow.runtime.get("timeout")
    limit = int(workflow.runtime.get("max_concurrency", max_concurrency))
    with LocalExecutor(limit) as executor:
        options = RunOptions(
            executor=executor,
            files=FileAccess(workflow.base_dir),
            params=values,
            environ=dict(environ or {}),
            secrets=secrets or {},
            max_concurrency=limit,
            timeout=timeout if timeout is not None else runtime_timeout,
            prepared=prepare(compiled),
            observer=observer or RunObserver(),
        )
        return run(compiled, options)


def statuses(result: RunResult) -> dict[str, str]:
    return {node_id: r.status for node_id, r in result.nodes.items()}


def _environ(env: Mapping[str, str] | None, extra_env: Mapping[str, str] | None) -> dict[str, str]:
    """The command's environment: ``env`` (default: this one) without KAILASH_LOG_FORMAT, plus
    ``extra_env``; NO_COLOR=1 unless given."""
    environ = dict(os.environ if env is None else env)
    environ.pop("KAILASH_LOG_FORMAT", None)
    environ.setdefault("NO_COLOR", "1")
    environ.update(extra_env or {})
    return environ


def _user_module(module: Any) -> bool:
    """A module loaded from outside the interpreter's install (node code of a test project)."""
    file = getattr(module, "__file__", None)
    if not file:
        return False
    return not file.startswith((sys.prefix, sys.base_prefix, str(REPO / "kailash_cli")))


@contextlib.contextmanager
def _process_like(cwd: Path | None) -> Iterator[None]:
    """What a new process would give the command: its own cwd, no user modules imported by an
    earlier command, a keyring backend chosen from its environment. (Output state needs no
    reset: each invocation makes its own ``Output``.)"""
    old_cwd, old_path, old_modules = os.getcwd(), list(sys.path), set(sys.modules)
    keyring_core = sys.modules.get("keyring.core")
    backend = getattr(keyring_core, "_keyring_backend", None)
    if keyring_core is not None:
        keyring_core._keyring_backend = None  # type: ignore[attr-defined]
    try:
        if cwd is not None:
            os.chdir(cwd)
        yield
    finally:
        os.chdir(old_cwd)
        sys.path[:] = old_path
        for name in set(sys.modules) - old_modules:
            if _user_module(sys.modules[name]):
                del sys.modules[name]
        if keyring_core is not None:
            keyring_core._keyring_backend = backend  # type: ignore[attr-defined]


def kailash(
    *args: str | os.PathLike[str],
    cwd: Path | None = None,
    env: Mapping[str, str] | None = None,
    extra_env: Mapping[str, str] | None = None,
    input: str | None = None,
    timeout: float | None = None,
) -> subprocess.CompletedProcess[str]:
    """Run ``kailash ARGS`` in-process through its entry point: exit code, stdout and stderr.

    ``env`` replaces the environment for the call (default: this one), ``extra_env`` adds to
    it, ``input`` is stdin. Exceptions the CLI does not handle propagate (``catch_exceptions``
    is off). ``timeout`` is accepted for the signature of ``kailash_e2e`` only.
    """
    from typer.testing import CliRunner

    from kailash_cli.entry import main

    argv = [os.fspath(a) for a in args]
    environ = _environ(env, extra_env)
    overrides: dict[str, str | None] = {k: None for k in os.environ if k not in environ}
    overrides.update(environ)
    runner = CliRunner()
    with _process_like(cwd), runner.isolation(input=input, env=overrides) as (out, err, _):
        try:
            code = main(argv)
        finally:
            sys.stdout.flush()
            sys.stderr.flush()
        stdout, stderr = out.getvalue(), err.getvalue()
    return subprocess.CompletedProcess(["kailash", *argv], code, stdout.decode(), stderr.decode())


def kailash_e2e(
    *args: str | os.PathLike[str],
    cwd: Path | None = None,
    env: Mapping[str, str] | None = None,
    extra_env: Mapping[str, str] | None = None,
    input: str | None = None,
    timeout: float = 60,
) -> subprocess.CompletedProcess[str]:
    """Run the installed ``kailash`` in a subprocess, as users do (for tests marked ``e2e``)."""
    return subprocess.run(
        [KAILASH, *map(os.fspath, args)],
        cwd=cwd,
        env=_environ(env, extra_env),
        input=input,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def popen_e2e(
    *args: str | os.PathLike[str],
    cwd: Path | None = None,
    env: Mapping[str, str] | None = None,
    extra_env: Mapping[str, str] | None = None,
    stdin: bool = False,
) -> subprocess.Popen[str]:
    """Start the installed ``kailash`` (stdout and stderr piped, text; ``stdin``: a pipe the
    test holds open), for signals and races."""
    return subprocess.Popen(
        [KAILASH, *map(os.fspath, args)],
        cwd=cwd,
        env=_environ(env, extra_env),
        stdin=subprocess.PIPE if stdin else None,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def no_traceback(proc: subprocess.CompletedProcess[str]) -> bool:
    return "Traceback" not in proc.stderr and "Traceback" not in proc.stdout


@contextlib.contextmanager
def http_server(handler: Callable[..., BaseHTTPRequestHandler]) -> Iterator[str]:
    """A real HTTP server on 127.0.0.1 for the duration of a block; yields its base URL."""
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}"
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join(10)


def first_finding(cwd: Path, name: str, text: str) -> str:
    """Write ``cwd/name`` and give the first line ``kailash validate`` prints for it."""
    write(cwd / name, text, dedent=False)
    return kailash("validate", name, cwd=cwd).stdout.splitlines()[0]

"""``run_workflow``: everything ``kailash run`` does, as a function that returns the record.

The stages, in order: the workflow (loaded and validated unless given as a model) and
the project config; the compiled graph; the store; params, environment and node
preparation (every problem at once); secrets; the policy (user, access, audit, limits);
then the engine with an executor, observers and the store recorder. Whatever was opened
(store, executor, hooks, ``sys.path`` entries and user modules) is released on every
path out, and nothing is printed unless an :class:`Output` is given.
"""

from __future__ import annotations

import contextlib
import os
import sys
import threading
import uuid
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

from kailash_cli.compile.compiler import CompiledGraph, compile
from kailash_cli.engine.executor import Executor
from kailash_cli.engine.observer import HidingObservers, Observers, RunInfo, RunObserver
from kailash_cli.engine.options import INTERRUPTED
from kailash_cli.errors import AccessDeniedError, UsageError
from kailash_cli.load.config import Config
from kailash_cli.load.environment import resolve_runtime
from kailash_cli.load.gcpause import gc_frozen, gc_paused
from kailash_cli.model.result import FAILED, RunResult
from kailash_cli.model.workflow import Workflow
from kailash_cli.pipeline import executors
from kailash_cli.pipeline import secrets as secrets_mod
from kailash_cli.pipeline.execute import execute
from kailash_cli.pipeline.interruption import interrupted, stopped_by
from kailash_cli.pipeline.policy import AuditObserver, RunPolicy
from kailash_cli.pipeline.recorder import RunRecorder
from kailash_cli.pipeline.setup import (
    ConfigSource,
    WorkflowSource,
    config_of,
    node_hashes,
    run_inputs,
    store_path,
    workflow_of,
)
from kailash_cli.pipeline.store import Store, now_iso
from kailash_cli.report.output import Output
from kailash_cli.security.redact import Redactor, url_passwords

_USER_CODE = threading.Lock()
_FOLDERS: Counter[str] = Counter()  # workflow folders of the runs going on in this process


@contextlib.contextmanager
def _user_code_released(base_dir: Path) -> Iterator[None]:
    """``sys.path`` entries and modules a run's code added are taken away when it ends,
    unless another run from the same folder is still going on."""
    root = str(base_dir)
    with _USER_CODE:
        _FOLDERS[root] += 1
        path_before, modules_before = set(sys.path), set(sys.modules)
    try:
        yield
    finally:
        with _USER_CODE:
            _FOLDERS[root] -= 1
            if not _FOLDERS[root]:
                del _FOLDERS[root]
            sys.path[:] = [p for p in sys.path if p in path_before or p in _FOLDERS]
            if root not in _FOLDERS:
                for name in set(sys.modules) - modules_before:
                    where = getattr(sys.modules.get(name), "__file__", None) or ""
                    if name.startswith("kailash_user_") or where.startswith(root + os.sep):
                        del sys.modules[name]


def run_workflow(
    workflow: WorkflowSource,
    *,
    params: Mapping[str, Any] | None = None,
    param_args: Sequence[str] = (),
    config: ConfigSource = None,
    user: str | None = None,
    executor: Executor | str | Mapping[str, Any] | None = None,
    resume: str | None = None,
    environ: Mapping[str, str] | None = None,
    observers: Sequence[RunObserver] = (),
    output: Output | None = None,
    cancel: threading.Event | None = None,
    grace: float | None = None,
    redact: Iterable[str] = (),
) -> RunResult:
    """Validate, compile and execute ``workflow``; the record of the run, as ``run --output json``.

    ``params`` are typed values, ``param_args`` ``KEY=VALUE`` texts as given to ``-p``.
    ``config`` is a ``kailash.yaml`` path or a loaded config (default: ./kailash.yaml if
    there is one); its security policy applies. ``user`` runs as a user of
    ``access_control``; ``resume`` re-runs a failed or interrupted run. Raises
    ``KailashError`` when the run cannot start (``UsageError``, ``WorkflowValidationError``,
    ``AccessDeniedError`` with the refused run's record in ``.result``, ``StoreError``).
    Once started, whatever ends the run is recorded: Ctrl-C raises ``RunInterrupted``
    (resumable), and so does setting ``cancel`` (from any thread): no node starts after it,
    nodes still running get ``grace`` seconds (default: the config's
    ``runtime.shutdown_grace``, 10) and are then abandoned; the error's ``.result`` is the
    partial record (status ``interrupted``). ``redact`` are more values to replace by
    ``***`` wherever the run's secrets are (tokens the caller holds). A memory limit gives a
    failed result (``RunStopped`` if it trips between nodes). A failed node is not an
    exception: the result's ``status`` says ``failed``. Outputs and errors are masked for
    the user and have secrets replaced by ``***``. Node prints go to ``output``'s stderr
    (default: the process's) as ``[node] text``, redacted. Runs may go on at once.
    """
    if isinstance(param_args, str):
        raise UsageError(f"param_args is a list of KEY=VALUE texts; got one text: {param_args!r}")
    environ = dict(os.environ) if environ is None else environ
    with contextlib.ExitStack() as stack:
        with gc_paused():  # what lives as long as the run is frozen before the collector sees it
            wf = resolve_runtime(workflow_of(workflow), environ)  # ${env.X} in runtime: fields
            cfg = config_of(config)
            compiled = compile(wf)
            stack.enter_context(gc_frozen())
        output = Output() if output is None else output
        policy = RunPolicy.build(cfg, user)
        grace = _grace(cfg.section("runtime"), grace)
        if cancel is None and threading.current_thread() is threading.main_thread():
            cancel = threading.Event()  # Ctrl-C (main thread only) then ends with the partial record
        max_concurrency = policy.concurrency(policy.max_concurrency(wf))
        store = Store.open(store_path(cfg))
        stack.callback(store.close)
        stack.enter_context(_user_code_released(wf.base_dir))
        values, restored, prepared, env = run_inputs(
            compiled, store, resume, params, param_args, environ, config=cfg
        )
        run_id = uuid.uuid4().hex[:12]
        _authorize(policy, store, wf, run_id, values, resume)
        secrets = secrets_mod.resolve(wf.secrets, environ)
        chosen = executors.choose(executor, cfg, environ, max_concurrency, stack)
        where = executors.describe(chosen)
        hidden = url_passwords([*environ.values(), *_database_urls(cfg)])  # DATABASE_URL's password...
        redactor = Redactor([*(str(v) for v in secrets.values()), *hidden, *redact])
        output.add_secrets(redactor.secrets)
        policy = policy.with_redactor(redactor)
        unstored = frozenset(n for n, spec in wf.nodes.items() if not spec.store_outputs)
        recorder = RunRecorder(store, run_id, wf.name, list(wf.nodes), policy.mask, unstored=unstored)
        recorder.redact_inputs = policy.mask_inputs  # a dead letter's: masked values under any key
        audit = {"user": policy.user.id or None, "run_id": run_id, "workflow": wf.name}
        for name in secrets:
            policy.log("secret_accessed", **audit, secret=name)
        recorder.begin(_path_text(wf), now_iso(), values, node_hashes(compiled), resume, audit["user"], where)
        policy.log("run_started", **audit, resumed_from=resume)
        told = (
            executors.Placement(chosen, run_id),
            *observers,
            recorder,
            AuditObserver(policy, run_id, wf.name) if policy.audit else None,
        )  # errors that quote a masked value are told masked
        observer = (
            HidingObservers(policy.masked.text, *told) if policy.masked is not None else Observers(*told)
        )
        try:  # from here on the run is recorded: whatever ends it, the record says how
            observer.run_started(_info(compiled, run_id, policy.mask(values), resume, where))
            result = execute(
                compiled,
                policy,
                observer,
                output,
                run_id=run_id,
                params=values,
                environ=environ,
                env=env,
                secrets=secrets,
                prepared=prepared,
                restored=restored,
                store=store,
                executor=chosen,
                max_concurrency=max_concurrency,
                cancel=cancel,
                grace=grace,
            )
        except BaseException as e:
            why = stopped_by(e, policy.hide)
            recorder.interrupted(why)
            policy.log("run_finished", **audit, status=INTERRUPTED, error=why)
            if isinstance(e, KeyboardInterrupt):
                raise interrupted(
                    wf, run_id, cfg, store.result(run_id), policy.user.id
                ) from None  # the partial record
            raise
        result.executor = where
        if result.status == INTERRUPTED:
            recorder.interrupted(result.error or INTERRUPTED)
            policy.log("run_finished", **audit, status=INTERRUPTED, duration_ms=round(result.duration_ms, 3))
            shown = result.shown(policy.mask, policy.hide)
            observer.run_finished(shown)
            raise interrupted(wf, run_id, cfg, shown, policy.user.id)
        recorder.finish(result)
        policy.log(
            "run_finished",
            **audit,
            status=result.status,
            duration_ms=round(result.duration_ms, 3),
            error=result.error,
        )
        shown = result.shown(policy.mask, policy.hide)
        observer.run_finished(shown)
        return shown


def _grace(runtime: Mapping[str, Any], given: float | None) -> float:
    """Seconds running nodes get once a run is stopped: the argument, else the config's."""
    grace = runtime.get("shutdown_grace", 10.0) if given is None else given
    if isinstance(grace, bool) or not isinstance(grace, int | float) or grace < 0:
        raise UsageError(f"grace: {grace!r} is not a number of seconds >= 0; e.g. grace=10")
    return float(grace)


def plan_workflow(
    workflow: WorkflowSource,
    *,
    params: Mapping[str, Any] | None = None,
    param_args: Sequence[str] = (),
    config: ConfigSource = None,
    user: str | None = None,
    environ: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    """What ``run_workflow`` would do (``run --dry-run``), with every parameter resolved that
    can be without running; nothing is executed or recorded."""
    from kailash_cli.compile.plan import plan

    environ = dict(os.environ) if environ is None else environ
    cfg = config_of(config)
    wf = resolve_runtime(workflow_of(workflow), environ)
    RunPolicy.build(cfg, user)  # an unknown user is refused here too
    compiled = compile(wf)
    values, _, _, env = run_inputs(
        compiled, None, None, params, param_args, environ, prepare_nodes=False, config=cfg
    )
    hidden = Redactor(url_passwords([*environ.values(), *_database_urls(cfg)]))
    return hidden.value(plan(compiled, values, environ, env))  # type: ignore[no-any-return]


def _database_urls(cfg: Config) -> list[Any]:
    return [e.get("url") for e in cfg.section("databases").values() if isinstance(e, dict)]


def _authorize(
    policy: RunPolicy, store: Store, wf: Workflow, run_id: str, values: dict[str, Any], resume: str | None
) -> None:
    """Refused before any node ran: recorded as a failed run, the record on the error."""
    try:
        policy.authorize(wf, run_id)
    except AccessDeniedError as e:
        recorder = RunRecorder(store, run_id, wf.name, list(wf.nodes), policy.mask)
        recorder.begin(_path_text(wf), now_iso(), values, {}, resume, policy.user.id or None)
        refused = RunResult(run_id, wf.name, FAILED, now_iso(), 0.0, {}, {}, error=str(e))
        recorder.finish(refused)
        e.result = refused
        raise


def _path_text(wf: Workflow) -> str:
    text = str(wf.path.resolve()) if wf.path else "<workflow>"
    return text.encode("utf-8", "backslashreplace").decode("utf-8")


def _info(
    compiled: CompiledGraph,
    run_id: str,
    params: dict[str, Any],
    resume: str | None,
    executor: dict[str, Any] | None,
) -> RunInfo:
    wf = compiled.workflow
    hidden = frozenset(n for n, node in compiled.nodes.items() if node.fallback_only)
    types = {n: s.type for n, s in wf.nodes.items()}
    return RunInfo(run_id, wf.name, types, hidden, params, resume, executor)

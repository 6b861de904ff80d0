"""What a run needs before its first node: the workflow, config, params, environment, prepared
nodes, the store and what a resumed run restores; every problem found at once."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any, TypeVar

from kailash_cli.compile.compiler import CompiledGraph, node_refs
from kailash_cli.compile.graph import Dependencies
from kailash_cli.compile.validation import load_workflow
from kailash_cli.errors import KailashError, UsageError
from kailash_cli.load import params as params_mod
from kailash_cli.load.config import Config, load_config
from kailash_cli.load.environment import typed_env
from kailash_cli.model.result import SUCCEEDED, NodeResult
from kailash_cli.model.workflow import Workflow
from kailash_cli.pipeline.fingerprint import node_hashes
from kailash_cli.pipeline.store import Store

DEFAULT_STORE = ".kailash/kailash.db"
T = TypeVar("T")
WorkflowSource = Workflow | str | os.PathLike[str]
ConfigSource = Config | str | os.PathLike[str] | None


def _env_needed(workflow: Workflow, deps: Dependencies | None = None) -> list[str]:
    names = list(workflow.env)
    for node_id, spec in workflow.nodes.items():
        refs = deps.refs.get(node_id) if deps is not None else None
        for ref in node_refs(spec) if refs is None else refs:
            if ref[0] == "env" and len(ref) > 1:
                names.append(ref[1])
            elif ref[0].isupper():
                names.append(ref[0])
    return list(dict.fromkeys(names))


def check_environment(
    workflow: Workflow, environ: Mapping[str, str], deps: Dependencies | None = None
) -> dict[str, Any]:
    """The typed values of the workflow's env (``load/environment.py``); UsageError lists
    every variable missing or of the wrong type. ``deps``: the workflow's graph, whose
    expression references are then not read again."""
    return typed_env(workflow, environ, _env_needed(workflow, deps))


def check_databases(compiled: CompiledGraph, config: Config, environ: Mapping[str, str]) -> None:
    """Every ``databases:`` name a SQLDatabaseNode's ``connection`` gives as written exists,
    and its URL's ``${NAME}`` variables are set (names computed at run time are checked then).
    A workflow without one imports nothing of the database layer."""
    nodes = {
        node_id: spec for node_id, spec in compiled.workflow.nodes.items() if spec.type == "SQLDatabaseNode"
    }
    if not nodes:
        return
    from kailash_cli.db.settings import database_specs
    from kailash_cli.db.urls import DatabaseError
    from kailash_cli.nodes import sql

    specs = database_specs(config.section("databases"), config.base_dir, environ)
    errors = []
    for node_id, spec in nodes.items():
        connection = spec.config.get("connection")
        if isinstance(connection, str) and "${" not in connection:
            try:
                sql.database_spec(connection, config.base_dir, specs)
            except DatabaseError as e:
                errors.append(f"node '{node_id}': {e}")
    if errors:
        raise UsageError("\n".join(errors))


def prepare(compiled: CompiledGraph) -> dict[str, Any]:
    """Work each node type does before anything runs (e.g. importing functions)."""
    prepared, errors = {}, []
    made: dict[tuple[str, Any], Any] = {}  # by prepare_key: a function many nodes call, imported once
    for node_id, node in compiled.nodes.items():
        key = node.node_type.prepare_key(node.spec)
        try:
            if key is None:
                prepared[node_id] = node.node_type.prepare(node.spec, compiled.workflow.base_dir)
            elif (node.spec.type, key) in made:
                prepared[node_id] = made[node.spec.type, key]
            else:
                prepared[node_id] = made[node.spec.type, key] = node.node_type.prepare(
                    node.spec, compiled.workflow.base_dir
                )
        except KailashError as e:
            errors.append(f"node '{node_id}': {e}")
    if errors:
        raise UsageError("\n".join(errors))
    return prepared


def store_path(config: Config) -> Path:
    """``runtime.store``, relative to the config file; else .kailash/kailash.db beside it."""
    return config.base_dir / str(config.section("runtime").get("store", DEFAULT_STORE))


@contextlib.contextmanager
def existing_store(config_path: Path | None) -> Iterator[Store | None]:
    """The store the config names, closed after the block; None when nothing ran there yet."""
    path = store_path(load_config(config_path))
    store = Store.open(path) if path.is_file() else None
    try:
        yield store
    finally:
        if store is not None:
            store.close()


def resume_state(
    store: Store, run_id: str, compiled: CompiledGraph
) -> tuple[dict[str, Any], dict[str, NodeResult]]:
    """The params and succeeded nodes of the run to resume; refuses what would be unsafe."""
    previous = store.run(run_id)
    if previous is None:
        raise UsageError(f"unknown run id '{run_id}'; `kailash runs list` shows the runs in {store.path}")
    name = compiled.workflow.name
    if previous["workflow"] != name:
        raise UsageError(
            f"run {run_id} is a run of workflow '{previous['workflow']}', not '{name}'; "
            "resume it with its own workflow file"
        )
    if previous["status"] == "running":
        raise UsageError(
            f"run {run_id} is still running (process {previous['pid']}); resume it "
            "once it has failed or been interrupted"
        )
    if previous["status"] == SUCCEEDED:
        raise UsageError(
            f"run {run_id} succeeded; there is nothing to resume (run it again without --resume)"
        )
    current, recorded = node_hashes(compiled), previous["node_hashes"] or {}
    restored: dict[str, NodeResult] = {}
    changed, altered = [], []
    for node_id, row in previous["nodes"].items():
        node = compiled.nodes.get(node_id)
        if row["status"] != SUCCEEDED or node is None or node.fallback_only:
            continue
        if current.get(node_id) != recorded.get(node_id):
            changed.append(node_id)
            continue
        if (row["extra"] or {}).get("unstored"):
            continue  # store_outputs: false: it runs again
        if (row["extra"] or {}).get("altered"):
            altered.append(node_id)
            continue
        restored[node_id] = NodeResult(
            SUCCEEDED,
            row["attempts"],
            row["duration_ms"] or 0.0,
            outputs=row["outputs"],
            restored=True,
            fallback=(row["extra"] or {}).get("fallback"),
        )
    if changed:
        raise UsageError(
            f"cannot resume run {run_id}: node(s) {', '.join(sorted(changed))} changed "
            "since it ran (type, config, condition or inputs); run the workflow again "
            "without --resume"
        )
    if altered:
        raise UsageError(
            f"cannot resume run {run_id}: the recorded outputs of node(s) "
            f"{', '.join(sorted(altered))} were masked or had secrets redacted, so they "
            "cannot stand in for the real values; run the workflow again without --resume"
        )
    return previous["params"] or {}, restored


def workflow_of(source: WorkflowSource) -> Workflow:
    """A workflow model from a path (loaded and validated) or as given."""
    if isinstance(source, Workflow):
        return source
    return load_workflow(Path(source))[0]


def config_of(source: ConfigSource) -> Config:
    """The project config: as given, from a path, or ./kailash.yaml when there is one."""
    if isinstance(source, Config):
        return source
    return load_config(None if source is None else Path(source))


def collect(errors: list[str], step: Callable[[], T], default: T) -> T:
    """Run a start-up check; its problems are kept so that all of them are reported at once."""
    try:
        return step()
    except UsageError as e:
        errors.extend(str(e).splitlines())
        return default


def resolve_params(
    workflow: Workflow, params: Mapping[str, Any] | None, param_args: Sequence[str]
) -> dict[str, Any]:
    """Typed values (``params``, checked as a params file is) and ``KEY=VALUE`` texts (coerced).

    A ``ParamsFile`` keeps its ``file:line:col`` in the messages; other values are named
    ``params``.
    """
    if isinstance(params, params_mod.ParamsFile):
        return params_mod.resolve(workflow.params, list(param_args), params)
    return params_mod.resolve(workflow.params, list(param_args), dict(params or {}), source="params")


def run_inputs(
    compiled: CompiledGraph,
    store: Store | None,
    resume: str | None,
    params: Mapping[str, Any] | None,
    param_args: Sequence[str],
    environ: Mapping[str, str],
    *,
    prepare_nodes: bool = True,
    config: Config | None = None,
) -> tuple[dict[str, Any], dict[str, Any], dict[str, Any], dict[str, Any]]:
    """Params, restored nodes, prepared nodes and the typed env; UsageError with every
    problem at once.

    Without ``prepare_nodes`` (a dry run) no node's code is imported; ``store`` is needed
    only to ``resume``. With ``config``, the databases SQL nodes name are checked too.
    """
    errors: list[str] = []
    nothing: dict[str, Any] = {}
    values, restored = collect(
        errors, lambda: _values(compiled, store, resume, params, param_args), (nothing, nothing)
    )
    env = collect(errors, lambda: check_environment(compiled.workflow, environ, compiled.deps), nothing)
    prepared = collect(errors, lambda: prepare(compiled), nothing) if prepare_nodes else nothing
    if config is not None:
        collect(errors, lambda: check_databases(compiled, config, environ), None)
    if errors:
        raise UsageError("\n".join(errors))
    return values, restored, prepared, env


def _values(
    compiled: CompiledGraph,
    store: Store | None,
    resume: str | None,
    params: Mapping[str, Any] | None,
    param_args: Sequence[str],
) -> tuple[dict[str, Any], dict[str, Any]]:
    """The params of the run, and the nodes restored from the run it resumes."""
    if resume is None:
        return resolve_params(compiled.workflow, params, param_args), {}
    if params or param_args:
        raise UsageError("--resume uses the params of the run it resumes; drop -p/--params-file")
    assert store is not None, "a resumed run reads the store"
    file_values, restored = resume_state(store, resume, compiled)
    return params_mod.resolve(compiled.workflow.params, [], file_values, source=f"run {resume}"), restored

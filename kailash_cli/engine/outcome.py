"""How a run ends: a node's failure as a result, the run's status and its outputs."""

from __future__ import annotations

import traceback
from typing import Any

from kailash_cli.compile.compiler import CompiledGraph
from kailash_cli.engine.handlers import fails_run
from kailash_cli.errors import ExpressionError
from kailash_cli.model.evaluation import Scope, compile_value
from kailash_cli.model.expressions import templates_in
from kailash_cli.model.result import FAILED, SKIPPED, SUCCEEDED, NodeResult, RunResult
from kailash_cli.model.stream import Stream, holds_stream
from kailash_cli.nodes.base import Outputs


def failure(error: BaseException, attempts: int, duration_ms: float) -> NodeResult:
    """A failed attempt: ``Type: message``, the traceback kept for ``-v``."""
    message = f"{type(error).__name__}: {error}" if str(error) else type(error).__name__
    detail = "".join(traceback.format_exception(error))
    return NodeResult(FAILED, attempts, duration_ms, message, detail=detail)


def run_result(
    compiled: CompiledGraph,
    results: dict[str, NodeResult],
    outputs: dict[str, Outputs],
    scope: Scope,
    run: tuple[str, str, float],
) -> RunResult:
    """The record: nodes never reached are skipped; failed unless every failure was allowed."""
    for node_id in compiled.order:
        if node_id not in results and not compiled.nodes[node_id].fallback_only:
            results[node_id] = NodeResult(SKIPPED, error="not reached")
    failed = any(fails_run(compiled, n, r) for n, r in results.items())
    ordered = {n: results[n] for n in compiled.workflow.nodes if n in results}
    run_id, started_at, duration_ms = run
    values, errors = _outputs(compiled, outputs, scope)
    return RunResult(
        run_id,
        compiled.workflow.name,
        FAILED if failed or errors else SUCCEEDED,
        started_at,
        duration_ms,
        ordered,
        values,
        error=None if failed or not errors else "; ".join(errors),
    )


def _outputs(
    compiled: CompiledGraph, outputs: dict[str, Outputs], scope: Scope
) -> tuple[dict[str, Any], list[str]]:
    """The run's outputs, and the errors of ``outputs:`` expressions that fail the run.

    An output over a node that did not run (``when`` false, skipped, failed and allowed to)
    is null; any other expression error is an error of the run, never a silent null.
    """
    declared = compiled.workflow.outputs
    if declared is None:
        return {
            nid: _shown(compiled.nodes[nid].node_type.visible_outputs(outputs[nid]))
            for nid in compiled.workflow.nodes
            if nid in outputs
        }, []  # file order
    values, errors = {}, []
    for name, value in declared.items():
        resolve = compile_value(value)
        try:
            values[name] = resolve(scope) if resolve else value
        except ExpressionError as e:
            values[name] = None
            if not _reads_a_node_that_did_not_run(value, outputs):
                errors.append(f"outputs.{name}: {e}")
    return values, errors


def _reads_a_node_that_did_not_run(value: Any, outputs: dict[str, Outputs]) -> bool:
    try:
        refs = [ref for template in templates_in(value) for expr in template.exprs for ref in expr.refs]
    except ExpressionError:  # pragma: no cover - compile_value parsed it already
        return False
    return any(len(ref) > 1 and ref[0] == "nodes" and ref[1] not in outputs for ref in refs)


def _shown(outputs: Outputs) -> Outputs:
    """A stream as its summary (it is read once, by the nodes that consume it)."""
    if not holds_stream(outputs):
        return outputs
    return {k: v.summary() if isinstance(v, Stream) else v for k, v in outputs.items()}

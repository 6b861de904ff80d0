"""``kailash dlq [list|show|replay ID|clear]``: node executions that failed for good."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path
from typing import Any

from kailash_cli.compile.validation import load_workflow
from kailash_cli.constants import EXIT_OK, EXIT_USAGE
from kailash_cli.errors import UsageError
from kailash_cli.model.workflow import Workflow
from kailash_cli.pipeline.setup import existing_store
from kailash_cli.report.output import Output, table


def list_letters(
    *,
    config_path: Path | None = None,
    limit: int = 50,
    output_format: str = "text",
    output: Output | None = None,
) -> int:
    output = output or Output()
    with existing_store(config_path) as store:
        letters = store.dead_letters(limit) if store else []
    if output_format == "json":
        output.out(json.dumps(letters, indent=2, default=str))
    elif not letters:
        output.out("the dead-letter queue is empty")
    else:
        columns = [("ID", -5), ("RUN_ID", 12), ("WORKFLOW", 20), ("NODE", 20), ("ATTEMPTS", -8), ("ERROR", 0)]
        rows = [
            [
                str(d["id"]),
                d["run_id"],
                d["workflow"],
                d["node_id"],
                str(d["attempts"]),
                (d["error"] or "")[:80],
            ]
            for d in letters
        ]
        output.out(table(columns, rows))
    return EXIT_OK


def show_letter(
    letter_id: str,
    *,
    config_path: Path | None = None,
    output_format: str = "text",
    output: Output | None = None,
) -> int:
    output = output or Output()
    if not letter_id.isdigit():
        raise UsageError(f"dead letter id must be a number, got '{letter_id}'")
    with existing_store(config_path) as store:
        letter = store.dead_letter(int(letter_id)) if store else None
    if letter is None:
        raise UsageError(f"no dead letter {letter_id}; `kailash dlq list` shows them")
    if output_format == "json":
        output.out(json.dumps(letter, indent=2, default=str))
        return EXIT_OK
    output.out(
        "\n".join(
            [
                f"dead letter {letter['id']}: node {letter['node_id']} ({letter['node_type']}) of "
                f"{letter['workflow']}, run {letter['run_id']}, {letter['created_at']}",
                f"attempts: {letter['attempts']}",
                f"error: {letter['error']}",
                "inputs: " + json.dumps(letter["inputs"], indent=2, default=str),
            ]
        )
    )
    return EXIT_OK


def clear_letters(
    *, node_id: str | None = None, config_path: Path | None = None, output: Output | None = None
) -> int:
    output = output or Output()
    with existing_store(config_path) as store:
        cleared = store.clear_dead_letters(node_id) if store else 0
    which = f" of node '{node_id}'" if node_id else ""
    output.out(f"cleared {cleared} dead letter{'' if cleared == 1 else 's'}{which}")
    return EXIT_OK


def replay_letter(
    letter_id: str,
    *,
    config_path: Path | None = None,
    output_format: str = "text",
    output: Output | None = None,
) -> int:
    """Run a dead letter's node again, alone, with its recorded inputs: a new run in the store.

    Exit 0 when it succeeded, 2 when it could not run or failed again. The dead letter stays
    in the queue."""
    output = output or Output()
    if not letter_id.isdigit():
        raise UsageError(f"dead letter id must be a number, got '{letter_id}'")
    with existing_store(config_path) as store:
        letter = store.dead_letter(int(letter_id)) if store else None
        run = store.run(letter["run_id"]) if store and letter else None
    if letter is None:
        raise UsageError(f"no dead letter {letter_id}; `kailash dlq list` shows them")
    workflow = _replay_workflow(letter, run)
    from kailash_cli.pipeline.run import run_workflow

    result = run_workflow(workflow, config=config_path, output=output)
    node = result.nodes[letter["node_id"]]
    if output_format == "json":
        output.out(json.dumps(result.to_dict(), indent=2, default=str))
    else:
        how = "succeeded" if node.status == "succeeded" else f"{node.status}: {node.error}"
        output.out(
            f"dead letter {letter['id']}: node {letter['node_id']} ran again in run {result.run_id}: {how}"
        )
    return EXIT_OK if result.succeeded else EXIT_USAGE


def _replay_workflow(letter: dict[str, Any], run: dict[str, Any] | None) -> Workflow:
    """The letter's node alone, its recorded inputs as literal config (``${`` kept as text)."""
    where = f"dead letter {letter['id']}"
    path = (run or {}).get("workflow_path")
    if not path or not Path(path).is_file():
        raise UsageError(
            f"{where}: the workflow file of run {letter['run_id']} ({path or 'unknown'}) is gone"
        )
    if _masked(letter["inputs"]):
        raise UsageError(
            f"{where}: its recorded inputs hold masked values (***), so it cannot run again as it was"
        )
    streamed = [
        k for k, v in (letter["inputs"] or {}).items() if isinstance(v, str) and v.startswith("<stream ")
    ]
    if streamed:
        raise UsageError(
            f"{where}: its input '{streamed[0]}' was a stream, read once and not recorded, so it "
            "cannot run again as it was; run the workflow again"
        )
    workflow, problems = load_workflow(Path(path))
    spec = workflow.nodes.get(letter["node_id"])
    if spec is None or problems and any(p.severity == "error" for p in problems):
        raise UsageError(
            f"{where}: node '{letter['node_id']}' is no longer valid in {path}; fix the workflow"
        )
    node = replace(
        spec,
        config=_literal(letter["inputs"]),
        foreach=None,
        batch=None,
        when=None,
        depends_on=(),
        fallback=None,
    )
    return replace(
        workflow,
        nodes={spec.id: node},
        edges=(),
        params={},
        env=(),
        env_types={},
        secrets={},
        outputs=None,
        on_failure=(),
    )


def _literal(value: Any) -> Any:
    if isinstance(value, str):
        return value.replace("${", "$${")
    if isinstance(value, dict):
        return {k: _literal(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_literal(v) for v in value]
    return value


def _masked(value: Any) -> bool:
    if isinstance(value, str):
        return "***" in value
    if isinstance(value, dict):
        return any(_masked(v) for v in value.values())
    return isinstance(value, list) and any(_masked(v) for v in value)

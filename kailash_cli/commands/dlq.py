"""``kailash dlq [list|show ID]``: node executions that failed for good."""

from __future__ import annotations

import json
from pathlib import Path

from kailash_cli.constants import EXIT_OK
from kailash_cli.errors import UsageError
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

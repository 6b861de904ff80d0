"""``kailash graph WORKFLOW``: the compiled graph as mermaid, dot or ascii."""

from __future__ import annotations

from pathlib import Path

from kailash_cli.compile.compiler import build_graph
from kailash_cli.compile.validation import load_workflow
from kailash_cli.constants import EXIT_OK
from kailash_cli.report.graph import RENDERERS
from kailash_cli.report.output import Output


def graph(path: Path, *, output_format: str = "mermaid", output: Output | None = None) -> int:
    output = output or Output()
    workflow, _ = load_workflow(path)
    output.out(RENDERERS[output_format](build_graph(workflow)))
    return EXIT_OK

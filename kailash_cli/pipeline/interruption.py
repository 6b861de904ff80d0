"""What an interrupted run says: how it ended, and the command that continues it."""

from __future__ import annotations

import shlex
from collections.abc import Callable
from pathlib import Path

from kailash_cli.constants import CONFIG_FILE_NAMES
from kailash_cli.errors import KailashError, RunInterrupted
from kailash_cli.load.config import Config
from kailash_cli.load.yaml_io import display_path
from kailash_cli.model.result import RunResult
from kailash_cli.model.workflow import Workflow


def interrupted(
    wf: Workflow, run_id: str, cfg: Config, result: RunResult | None = None, user: str | None = None
) -> RunInterrupted:
    """The error of a run stopped early: its record, and a resume command that works when
    pasted here (``-c CONFIG`` when the config is not the one found in this folder)."""
    config = ""
    if cfg.path is not None and cfg.path.resolve() not in {
        (Path.cwd() / n).resolve() for n in CONFIG_FILE_NAMES
    }:
        config = f" -c {shlex.quote(display_path(cfg.path))}"
    if user:  # the resumed run goes as the same user (its nodes' permissions ask for one)
        config += f" --user {shlex.quote(user)}"
    return RunInterrupted(
        f"run {run_id} was interrupted and is recorded; continue it with: "
        f"kailash run {shlex.quote(display_path(wf.path) if wf.path else wf.name)}{config} --resume {run_id}",
        result,
    )


def stopped_by(error: BaseException, redact: Callable[[str], str]) -> str:
    """What the record says ended a run early."""
    if isinstance(error, KeyboardInterrupt):
        return "interrupted"
    text = str(error) if isinstance(error, KailashError) else f"{type(error).__name__}: {error}"
    return redact(text)

"""File names and exit codes shared by every command."""

from __future__ import annotations

EXIT_OK = 0
EXIT_FAILURE = 1  # run failed, findings
EXIT_USAGE = 2  # could not start: usage, invalid input, missing params or env
EXIT_BUG = 3  # unexpected error, please report
EXIT_INTERRUPTED = 130
EXIT_TERMINATED = 143  # SIGTERM (128 + 15): the run was stopped gracefully and recorded
EXIT_BROKEN_PIPE = 141  # 128 + SIGPIPE: stdout was closed by its reader (| head), as other tools end

CONFIG_FILE_NAMES = ("kailash.yaml", "kailash.yml")
WORKFLOW_SUFFIXES = (".yaml", ".yml")
ENV_LOG_FORMAT = "KAILASH_LOG_FORMAT"

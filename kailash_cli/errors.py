"""The exception tree. Every ``KailashError`` reaches the user as one line, never a traceback.

::

    KailashError                  base; user-facing; exit code in .exit_code
    ├── UsageError                bad option, param or environment (exit 2)
    ├── WorkflowLoadError         missing file, bad encoding, YAML syntax (exit 2)
    ├── WorkflowValidationError   .problems: every finding at once (exit 2 for run)
    ├── NodeExecutionError        .node_id, .node_type; raised ``from`` the cause
    ├── CheckError                a pre-deployment check could not run
    ├── PathDeniedError           a file path breaks the security config's path rules (exit 1)
    ├── AccessDeniedError         --user is unknown or lacks a node's permissions (exit 1)
    └── RunInterrupted            Ctrl-C during a run: recorded, resumable (exit 130)
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from kailash_cli.constants import EXIT_FAILURE, EXIT_INTERRUPTED, EXIT_USAGE

if TYPE_CHECKING:
    from kailash_cli.model.result import Problem


class KailashError(Exception):
    """A failure the user can act on; ``str(err)`` is the whole message."""

    exit_code = EXIT_FAILURE

    def lines(self) -> list[str]:
        """What the user sees, one line each."""
        return [f"error: {line}" for line in (str(self).splitlines() or [type(self).__name__])]


class UsageError(KailashError):
    exit_code = EXIT_USAGE


class RunInterrupted(KailashError):
    exit_code = EXIT_INTERRUPTED

    def lines(self) -> list[str]:
        return [f"interrupted: {self}"]


class WorkflowLoadError(KailashError):
    exit_code = EXIT_USAGE


class WorkflowValidationError(KailashError):
    exit_code = EXIT_USAGE

    def __init__(self, problems: tuple[Problem, ...], what: str = "the workflow") -> None:
        self.problems = problems
        errors = sum(1 for p in problems if p.severity == "error")
        super().__init__(f"{what} is invalid: {errors} error(s); fix them and try again")

    def lines(self) -> list[str]:
        from kailash_cli.report.findings import text_line

        return [text_line(p) for p in self.problems] + super().lines()


class NodeExecutionError(KailashError):
    """A node failed; the message names the node and its type."""

    def __init__(self, node_id: str, node_type: str, message: str) -> None:
        self.node_id = node_id
        self.node_type = node_type
        super().__init__(message)


class CheckError(KailashError):
    exit_code = EXIT_USAGE


class PathDeniedError(KailashError):
    """A path outside ``allowed_directories``, of a disallowed extension, or too large.

    The message names the path and the rule, never the file's content.
    """


class AccessDeniedError(KailashError):
    """Access denied: an unknown user, or a node whose ``permissions`` the user does not meet."""

"""The exception tree. Every ``KailashError`` reaches the user as one line, never a traceback.

::

    KailashError                  base; user-facing; .exit_code says how kailash exits (exit 1)
    ├── UsageError                bad option, param, environment or secret; could not start (exit 2)
    ├── WorkflowValidationError   .problems: every finding at once (exit 2)
    ├── ExpressionError           a ${...} that does not parse, is not allowed or fails (exit 1)
    ├── FileAccessError           a file a node needs cannot be read or written (exit 1)
    ├── PathDeniedError           a file path breaks the security config's path rules (exit 1)
    ├── AccessDeniedError         --user is unknown or lacks a node's permissions (exit 1); .result
    ├── StoreError                the run store cannot be opened or is not a kailash store (exit 2)
    ├── RunStopped                a limit (memory) stopped the run: recorded (exit 1)
    └── RunInterrupted            Ctrl-C, SIGTERM (143) or a cancel: recorded, resumable (exit 130)

A node's own failure is not an exception of this tree: the run records it, and
``run_workflow`` returns a result whose ``status`` is ``failed``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from kailash_cli.constants import EXIT_FAILURE, EXIT_INTERRUPTED, EXIT_USAGE

if TYPE_CHECKING:
    from kailash_cli.model.result import Problem, RunResult


class KailashError(Exception):
    """A failure the user can act on; ``str(err)`` is the whole message."""

    exit_code = EXIT_FAILURE

    def lines(self) -> list[str]:
        """What the user sees, one line each."""
        return [f"error: {line}" for line in (str(self).splitlines() or [type(self).__name__])]


class UsageError(KailashError):
    """Nothing could start: a bad option, param, environment variable or secret."""

    exit_code = EXIT_USAGE


class WorkflowValidationError(KailashError):
    """A workflow or config file is invalid; ``problems`` holds every finding.

    ``str(error)`` is every finding, one ``file:line:col: ...`` line each, then the summary.
    """

    exit_code = EXIT_USAGE

    def __init__(self, problems: tuple[Problem, ...], what: str = "the workflow") -> None:
        self.problems = problems
        errors = sum(1 for p in problems if p.severity == "error")
        self.summary = f"{what} is invalid: {errors} error(s); fix them and try again"
        super().__init__(self.summary)

    def __str__(self) -> str:
        return "\n".join([*self._finding_lines(), self.summary])

    def _finding_lines(self) -> list[str]:
        from kailash_cli.model.result import text_line

        return [text_line(p) for p in self.problems]

    def lines(self) -> list[str]:
        return [*self._finding_lines(), f"error: {self.summary}"]


class ExpressionError(KailashError):
    """An expression that does not parse, is not allowed, or fails to evaluate."""


class FileAccessError(KailashError):
    """A file a node needs cannot be read or written; the message names the path."""


class PathDeniedError(KailashError):
    """A path outside ``allowed_directories``, of a disallowed extension, or too large.

    The message names the path and the rule, never the file's content.
    """


class AccessDeniedError(KailashError):
    """Access denied: an unknown user, or a node whose ``permissions`` the user does not meet.

    When a run was refused, ``result`` is its record (a failed run, kept in the store).
    """

    result: RunResult | None = None


class StoreError(KailashError):
    """The store file cannot be opened or is not a kailash store (exit 2: nothing could start)."""

    exit_code = EXIT_USAGE


class RunStopped(KailashError):
    """A limit (memory) stopped the run; no further node was started."""


class RunInterrupted(KailashError):
    """Ctrl-C, SIGTERM or a cancel event stopped a run; it is recorded and can be resumed.

    ``result`` is the partial record (the nodes that finished; status ``interrupted``) when
    the engine stopped the run, else None. ``exit_code`` is 130, or 143 after SIGTERM.
    """

    exit_code = EXIT_INTERRUPTED

    def __init__(self, message: str, result: RunResult | None = None, exit_code: int | None = None) -> None:
        super().__init__(message)
        self.result = result
        if exit_code is not None:
            self.exit_code = exit_code

    def lines(self) -> list[str]:
        return [f"interrupted: {self}"]

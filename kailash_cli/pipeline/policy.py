"""The project config's security and runtime policy, turned into what one run enforces.

``RunPolicy.build`` reads ``security``, ``runtime`` and ``access_control`` once; ``run``
then asks it for the file guard, timeouts, concurrency cap, memory watch, the user and
what that user may run and see, the audit log, and the command-execution hook.
"""

from __future__ import annotations

import contextlib
import sys
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

from kailash_cli.engine.context import CURRENT_NODE, CURRENT_RUN
from kailash_cli.engine.observer import RunObserver
from kailash_cli.errors import AccessDeniedError, UsageError
from kailash_cli.load.config import Config
from kailash_cli.model.result import NodeResult
from kailash_cli.model.workflow import Workflow
from kailash_cli.nodes.files import FileAccess
from kailash_cli.security.access import AccessControl, User
from kailash_cli.security.limits import MemoryWatch, parse_duration, parse_size
from kailash_cli.security.masked import MaskedValues
from kailash_cli.security.paths import PathGuard
from kailash_cli.security.redact import Redactor

if TYPE_CHECKING:
    from kailash_cli.pipeline.audit import AuditLog

ANONYMOUS = User(id="", roles=(), attributes={})
DEFAULT_MAX_CONCURRENCY = 16
DEFAULT_AUDIT_LOG = ".kailash/audit.jsonl"
_COMMAND_EVENTS = (
    "subprocess.Popen",
    "os.system",
    "os.exec",
    "os.posix_spawn",
    "os.spawn",
    "os.fork",
    "os.forkpty",
    "pty.spawn",
)


@dataclass
class RunPolicy:
    config: Config
    guard: PathGuard | None = None
    node_timeout: float | None = None
    run_timeout: float | None = None
    cpu_cores: int | None = None
    memory_limit: int | None = None
    audit: AuditLog | None = None
    access: AccessControl | None = None
    user: User = ANONYMOUS
    command_validation: bool = False
    redactor: Redactor = field(default_factory=lambda: Redactor(()))
    masked: MaskedValues | None = None  # the values the user's masking rules mask, as the run sees them

    @classmethod
    def build(cls, config: Config, user_id: str | None) -> RunPolicy:
        security = config.section("security")
        limits = config.section("runtime").get("resource_limits") or {}
        policy = cls(config=config)
        if security:
            policy.guard = PathGuard.from_config(security, config.base_dir)
        if "execution_timeout" in security:
            policy.node_timeout = parse_duration(security["execution_timeout"])
        policy.run_timeout = limits.get("timeout_seconds")
        policy.cpu_cores = limits.get("cpu_cores")
        memory = [parse_size(security["memory_limit"])] if "memory_limit" in security else []
        memory += [int(limits["memory_mb"]) * 1024 * 1024] if "memory_mb" in limits else []
        policy.memory_limit = min(memory) if memory else None
        if security.get("enable_audit_logging") or config.section("runtime").get("enable_audit"):
            from kailash_cli.pipeline.audit import AuditLog

            policy.audit = AuditLog(config.base_dir / str(security.get("audit_log", DEFAULT_AUDIT_LOG)))
        policy.command_validation = bool(security.get("enable_command_validation", False))
        access = config.section("access_control")
        policy.access = AccessControl.from_config(access) if access else None
        policy.user = policy._user(user_id)
        policy.masked = policy.access.masked_values(policy.user) if policy.access else None
        return policy

    def with_redactor(self, redactor: Redactor) -> RunPolicy:
        """The same policy, keeping the run's secret values out of what it masks and audits."""
        policy = replace(self, redactor=redactor)
        if self.audit is not None:  # secrets and masked values out of every entry
            policy.audit = self.audit.redacted_by(policy.hide_all)
        return policy

    def _runtime(self, workflow: Workflow) -> dict[str, Any]:
        return {**self.config.section("runtime"), **workflow.runtime}

    def max_concurrency(self, workflow: Workflow) -> int:
        """The workflow's ``runtime.max_concurrency``, else the config's, else 16."""
        return int(self._runtime(workflow).get("max_concurrency", DEFAULT_MAX_CONCURRENCY))

    def timeout(self, workflow: Workflow) -> float | None:
        """The whole-run timeout: ``runtime.timeout``, else ``resource_limits.timeout_seconds``."""
        return self._runtime(workflow).get("timeout") or self.run_timeout

    def _user(self, user_id: str | None) -> User:
        if user_id is None:
            return ANONYMOUS
        if self.access is None:
            raise UsageError(
                f"--user {user_id}: the config has no access_control section to look the user up in"
            )
        try:
            return self.access.user(user_id)
        except AccessDeniedError:
            self.log("access_denied", user=user_id, reason="unknown user")
            raise

    def log(self, event: str, **fields: Any) -> None:
        if self.audit is not None:
            self.audit.append(event, **fields)

    def files(self, workflow: Workflow) -> FileAccess:
        return FileAccess(workflow.base_dir, self.guard)

    def concurrency(self, wanted: int) -> int:
        return min(wanted, self.cpu_cores) if self.cpu_cores else wanted

    def authorize(self, workflow: Workflow, run_id: str) -> None:
        """Refuse the run, before any node runs, when the user may not run a node."""
        guarded = {n: s.permissions for n, s in workflow.nodes.items() if s.permissions}
        no_execute = (
            self.access.execute_denial(self.user) if self.access and self.user is not ANONYMOUS else None
        )
        if no_execute:  # role permissions: [] stops every node, guarded or not
            self.log(
                "access_denied", user=self.user.id, run_id=run_id, workflow=workflow.name, reason=no_execute
            )
            raise AccessDeniedError(no_execute)
        if not guarded:
            return
        if self.access is None:
            raise UsageError(
                "nodes have permissions but the config has no access_control; add "
                f"access_control to {self.config.path or 'kailash.yaml'}"
            )
        if self.user is ANONYMOUS:
            denials = [f"access denied: node '{n}' has permissions; run with --user ID" for n in guarded]
        else:
            denials = self.access.denials(self.user, guarded)
        for denial in denials:
            self.log(
                "access_denied",
                user=self.user.id or None,
                run_id=run_id,
                workflow=workflow.name,
                reason=denial,
            )
        if denials:
            raise AccessDeniedError("\n".join(denials))

    def mask(self, value: Any) -> Any:
        """What the user may see of ``value`` (masking rules), then secrets redacted; a text (an
        error message) has the masked values the run has seen masked in it too."""
        if isinstance(value, str):
            return self.hide(value)
        if self.access is not None:
            value = self.access.mask(value, self.user)
        return self.redactor.value(value)

    def hide(self, text: str) -> str:
        """``text`` (a node's print, an error message) with the masked values the run has seen
        masked, then secrets redacted."""
        return self.redactor.text(self.masked.text(text) if self.masked is not None else text)

    def mask_inputs(self, value: Any) -> Any:
        """A node's inputs as the store keeps them (a dead letter): :meth:`mask`, and the
        masked values the run has seen masked wherever they stand (an ``ssn`` passed on under
        another key)."""
        return self.hide_all(self.mask(value)) if self.masked is not None else self.mask(value)

    def hide_all(self, value: Any) -> Any:
        """``hide`` applied to every text in ``value`` (an audit entry's fields)."""
        return self.redactor.value(self.masked.value(value) if self.masked is not None else value)

    def memory_watch(self, on_exceed: Callable[[int], None]) -> RunMemoryWatch | None:
        if self.memory_limit is None:
            return None
        return RunMemoryWatch(self.memory_limit, on_exceed=on_exceed)


class RunMemoryWatch(MemoryWatch):
    """The run's memory watch: a run that passed the limit never ends as if it had not.

    ``on_exceed`` interrupts the main thread; node code running there can catch that
    (``except BaseException``) and finish, so the engine also asks ``stop_reason`` before
    starting any node, and ``run`` fails a run that finished after the limit was passed.
    """

    def stop_reason(self) -> str | None:
        """The error to stop the run with, once the limit was passed."""
        if not self.exceeded:
            return None
        return (
            f"{self.message()}; the run was stopped "
            "(security.memory_limit / runtime.resource_limits.memory_mb)"
        )


class AuditObserver(RunObserver):
    """One audit entry per node execution (names, status, error; never values)."""

    def __init__(self, policy: RunPolicy, run_id: str, workflow: str) -> None:
        self.policy = policy
        self.base = {"user": policy.user.id or None, "run_id": run_id, "workflow": workflow}

    def node_finished(self, node_id: str, result: NodeResult) -> None:
        self.policy.log(
            "node_execution",
            **self.base,
            node=node_id,
            status=result.status,
            attempts=result.attempts,
            duration_ms=round(result.duration_ms, 3),
            error=result.error,
        )


class CommandGuard:
    """With ``enable_command_validation``, node code may not start processes.

    A Python audit hook (PEP 578) refuses process creation (subprocess, os.system,
    os.exec*, os.spawn*, os.posix_spawn, os.fork, pty.spawn) by the nodes of a guarded run,
    and by any thread that belongs to no run while a guarded run is going on: kailash
    itself starts no process during a run, so a thread that node code started (which does
    not inherit its run) is refused too. Nodes of other, unguarded runs in the same process
    are not. It stops Python code; native code calling fork/exec directly (ctypes, C
    extensions) is not seen, and code in the same interpreter that sets out to undo the
    guard can. An audit hook cannot be removed: once no guarded run is left it goes quiet.
    """

    _lock = threading.Lock()
    _installed = False
    _runs: set[str] = set()  # the guarded runs going on in this process

    @classmethod
    @contextlib.contextmanager
    def guarding(cls, run_id: str) -> Iterator[None]:
        with cls._lock:
            if not cls._installed:
                sys.addaudithook(cls._hook)
                cls._installed = True
            cls._runs = cls._runs | {run_id}
        try:
            yield
        finally:
            with cls._lock:
                cls._runs = cls._runs - {run_id}

    @classmethod
    def _hook(cls, event: str, args: tuple[Any, ...]) -> None:
        guarded = cls._runs  # replaced, never changed in place: no lock needed to read it
        if not guarded or not event.startswith(_COMMAND_EVENTS):
            return
        run = CURRENT_RUN.get()
        if run is not None and run not in guarded:
            return
        node = CURRENT_NODE.get() if run is not None else None
        who = f"node '{node}'" if node is not None else "a thread started during the run"
        raise PermissionError(
            f"{who} tried to start a process ({event}); refused by security.enable_command_validation"
        )

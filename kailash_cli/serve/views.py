"""What the read routes answer: the run history as ``kailash runs`` shows it, masked for the
caller, and the workflows served."""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from kailash_cli.errors import StoreError
from kailash_cli.load.config import Config
from kailash_cli.model.result import RunResult
from kailash_cli.model.workflow import Workflow
from kailash_cli.pipeline.policy import ANONYMOUS
from kailash_cli.pipeline.store import Store
from kailash_cli.security.access import AccessControl, User

RUN_STATUSES = ("running", "succeeded", "failed", "interrupted")
Mask = Callable[[Any], Any]
T = TypeVar("T")
NO_ROWS: list[dict[str, Any]] = []


def masks(config: Config, users: set[str | None]) -> dict[str | None, Mask]:
    """Each caller's masking: ``access_control.masking_rules`` for its user, and for a caller
    without one (``KAILASH_API_TOKEN``, or no token) the rules for the anonymous user, as
    ``kailash run`` without ``--user`` applies them. No access_control: nothing is masked."""
    access_control = config.section("access_control")
    if not access_control:
        return {user_id: _unmasked for user_id in {None, *users}}
    access = AccessControl.from_config(access_control)
    found: dict[str | None, Mask] = {None: CallerMask(access, ANONYMOUS)}
    for user_id in users:
        if user_id is not None:
            found[user_id] = CallerMask(access, access.user(user_id))
    return found


def _unmasked(value: Any) -> Any:
    return value


@dataclass(frozen=True)
class CallerMask:
    """One caller's masking rules: a value masked by key (called), and a stored run's error
    messages with the values the rules mask, as the run's params and outputs hold them."""

    access: AccessControl
    user: User

    def __call__(self, value: Any) -> Any:
        return self.access.mask(value, self.user)

    def errors(self, record: dict[str, Any], document: dict[str, Any]) -> None:
        """``document``'s error texts masked in place (another user's run stores them as that
        user saw them); the values are learned from ``record``, the run as the store keeps it."""
        masked = self.access.masked_values(self.user)
        if masked is None:
            return
        for value in (
            record.get("params"),
            record.get("outputs"),
            *(n.get("outputs") for n in record["nodes"].values()),
        ):
            masked.learn({"": value})
        for node in document["nodes"].values():
            node["error"] = masked.text(node["error"]) if node.get("error") else node.get("error")
        if document.get("error"):
            document["error"] = masked.text(document["error"])


def _rounded(ms: float | None) -> float | None:
    return None if ms is None else round(ms, 3)


class History:
    """The run store, read through one connection, opened at the first read that finds the
    file (none before a run made it); its lock keeps threads apart."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._store: Store | None = None
        self._identity: tuple[int, int] | None = None  # (device, inode) of the file opened
        self._lock = threading.Lock()

    def _open(self) -> Store | None:
        with self._lock:
            try:
                found = self.path.stat()
                identity: tuple[int, int] | None = (found.st_dev, found.st_ino)
            except OSError:
                identity = None
            if self._store is not None and identity != self._identity:  # moved away or replaced
                stale, self._store = self._store, None
                with contextlib.suppress(StoreError):
                    stale.close()
            if self._store is None and identity is not None:
                self._store = Store.open(self.path)
                self._identity = identity
            return self._store

    def close(self) -> None:
        with self._lock:
            store, self._store = self._store, None
        if store is not None:
            with contextlib.suppress(StoreError):
                store.close()

    def _read(self, read: Callable[[Store], T], default: T) -> T:
        """``read`` on the store (``default`` before there is one); a StoreError passes on
        and drops the connection, so a store moved away or repaired is opened afresh."""
        try:
            store = self._open()
            return read(store) if store is not None else default
        except StoreError:
            self.close()
            raise

    def check(self) -> str | None:
        """Why the store cannot be read (the full message, for the log); None when it can."""
        try:
            self._read(lambda store: store.runs(limit=1), NO_ROWS)
        except StoreError as e:
            return str(e)
        return None

    def runs(self, workflow: str | None, status: str | None, limit: int) -> list[dict[str, Any]]:
        """``kailash runs list --output json``: newest first; StoreError when it cannot be read."""
        rows = self._read(lambda store: store.runs(workflow=workflow, status=status, limit=limit), NO_ROWS)
        keys = ("run_id", "workflow", "status", "started_at")
        return [{**{k: r[k] for k in keys}, "duration_ms": _rounded(r["duration_ms"])} for r in rows]

    def run(self, run_id: str, mask: Mask) -> dict[str, Any] | None:
        """``kailash runs show ID --output json``, outputs and params masked for the caller."""
        run = self._read(lambda store: store.run(run_id), None)
        if run is None:
            return None
        document = RunResult.from_record(run).to_dict()
        document["outputs"] = mask(document["outputs"])
        document["params"] = mask(document["params"])
        if isinstance(mask, CallerMask):
            mask.errors(run, document)
        return document


def describe(workflow: Workflow) -> dict[str, Any]:
    """A workflow served: name, description and params (type, required, default, description)."""
    params = {}
    for name, param in workflow.params.items():
        shown: dict[str, Any] = {"type": param.type, "required": param.required}
        if param.has_default:
            shown["default"] = param.default
        if param.description:
            shown["description"] = param.description
        params[name] = shown
    return {"name": workflow.name, "description": workflow.description, "params": params}

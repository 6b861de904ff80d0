"""Where a run's metrics go: the ``--metrics-file`` textfile and a ``--push-gateway``.

The textfile is read, merged and replaced under a lock (``fcntl.flock`` on
``<file>.lock``), so runs that end at once each add their counts; it is replaced
atomically, so a collector never reads half a file. An existing file that is not
Prometheus text is moved aside (``<file>.bad``) with a warning, never a crash.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO, Any
from urllib.parse import urlsplit, urlunsplit

from kailash_cli.errors import UsageError
from kailash_cli.model.result import RunResult
from kailash_cli.nodes.files import FileAccess, FileAccessError
from kailash_cli.report.metrics import (
    Collector,
    RunFacts,
    Samples,
    merge,
    of_workflow,
    parse,
    render,
    run_samples,
)
from kailash_cli.security.redact import hide_url_passwords

Warn = Callable[[str], None]
PUSH_TIMEOUT = 10.0  # seconds: a Pushgateway that does not answer does not hold the command


def check_target(path: Path) -> None:
    """UsageError, before the run, when ``path`` cannot be the metrics file: folders are not made."""
    target = Path(path).expanduser()
    folder = target.parent
    if str(path) == "" or target.is_dir():
        raise UsageError(
            f"--metrics-file {path}: is a directory; give a file path, "
            f"e.g. --metrics-file {target / 'kailash.prom'}"
        )
    if not folder.exists():
        raise UsageError(
            f"--metrics-file {path}: folder {folder} does not exist; "
            "create it first (the metrics file's folder is not created)"
        )
    if not folder.is_dir():
        raise UsageError(
            f"--metrics-file {path}: {folder} is not a folder; give a path in an existing folder"
        )
    if not os.access(folder, os.W_OK | os.X_OK):
        raise UsageError(
            f"--metrics-file {path}: folder {folder} is not writable; choose a folder you can write to"
        )


@contextlib.contextmanager
def _locked(path: Path) -> Iterator[None]:
    """One writer at a time (processes too); no lock where fcntl does not exist."""
    try:
        import fcntl
    except ImportError:  # pragma: no cover - not POSIX
        yield
        return
    try:
        lock_file = open(f"{path}.lock", "a+b")  # noqa: SIM115 - closed below
    except OSError as e:
        raise FileAccessError(
            f"--metrics-file {path}: cannot open its lock file {path}.lock ({e.strerror}); "
            "check that the folder exists and is writable"
        ) from None
    with lock_file as lock:
        fcntl.flock(lock.fileno(), fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock.fileno(), fcntl.LOCK_UN)


def _existing(path: Path, warn: Warn) -> tuple[Samples, dict[str, tuple[str, str]]]:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return {}, {}
    except (OSError, UnicodeDecodeError) as e:
        return _set_aside(path, f"{type(e).__name__}: {e}", warn)
    try:
        return parse(text)
    except ValueError as e:  # prometheus_client's word for text it cannot read
        return _set_aside(path, str(e).splitlines()[0] if str(e) else "not Prometheus text format", warn)


def _set_aside(path: Path, why: str, warn: Warn) -> tuple[Samples, dict[str, tuple[str, str]]]:
    aside = path.with_name(path.name + ".bad")
    os.replace(path, aside)
    warn(
        f"warning: --metrics-file {path}: the existing file is not Prometheus text ({why}); "
        f"moved it to {aside} and started a new one"
    )
    return {}, {}


def write_metrics(
    result: RunResult, path: Path, facts: RunFacts | None = None, warn: Warn = print
) -> Samples:
    """Merge the run into ``path``; the file's folder must exist. Returns what the file now holds."""
    path = Path(path).expanduser()
    with _locked(path):
        old, foreign = _existing(path, warn)
        samples = merge(old, run_samples(result, facts))
        text = render(samples, foreign)

        def write_text(stream: IO[str]) -> None:
            stream.write(text)

        FileAccess(Path.cwd()).write_atomic(str(path), write_text, make_dirs=False)
    return samples


def push_url_problem(url: str) -> str | None:
    """Why ``url`` cannot be a Pushgateway address (checked before the run), or None."""
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises ValueError for a port that is not a number
    except ValueError as e:
        return f"not a URL ({e})"
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return "not an http(s) URL with a host name; give the Pushgateway as scheme://host:port"
    if parts.query or parts.fragment:
        return "a Pushgateway URL has no query or fragment; give scheme, host, port and path only"
    return None


def push(url: str, workflow: str, samples: Samples, warn: Warn = print) -> bool:
    """POST the workflow's series to a Pushgateway (grouping key job=kailash, workflow=<name>):
    the metrics sent replace theirs in the group, the others (a failed run sends no
    ``kailash_last_success_timestamp_seconds``) keep their last pushed value.

    A failure is a warning (the run's outcome does not change); True when it was pushed.
    """
    from http.client import HTTPException  # here: a run without --push-gateway does not load http

    from prometheus_client import CollectorRegistry, pushadd_to_gateway
    from prometheus_client.exposition import basic_auth_handler, default_handler

    problem = push_url_problem(url)  # `kailash run` refuses such a URL before the run
    if problem:
        warn(f"warning: --push-gateway {hide_url_passwords(url)}: {problem}; metrics not pushed")
        return False
    parts = urlsplit(url)
    bare = urlunsplit(parts._replace(netloc=parts.netloc.rpartition("@")[2]))  # no user and password
    user, password = parts.username, parts.password

    def handler(
        url: str, method: str, timeout: float | None, headers: list[tuple[str, str]], data: bytes
    ) -> Callable[[], Any]:
        if user is not None:
            return basic_auth_handler(url, method, timeout, headers, data, user, password or "")
        return default_handler(url, method, timeout, headers, data)

    registry = CollectorRegistry(auto_describe=False)
    registry.register(Collector(of_workflow(samples, workflow), {}))  # type: ignore[arg-type]
    try:
        pushadd_to_gateway(  # POST: metrics this run has not (last success) keep their value
            bare,
            job="kailash",
            registry=registry,
            grouping_key={"workflow": workflow},
            timeout=PUSH_TIMEOUT,
            handler=handler,
        )
    except (OSError, ValueError, HTTPException) as e:  # unreachable, refused, an HTTP error
        shown = hide_url_passwords(url)
        why = str(e).replace(url, shown) if password else str(e)
        warn(f"warning: --push-gateway {shown}: metrics not pushed ({type(e).__name__}: {why})")
        return False
    return True

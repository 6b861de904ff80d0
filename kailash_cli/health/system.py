"""Checks of this machine and of databases: ``disk``, ``memory``, ``process``, ``database``."""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Any

from kailash_cli.health.spec import CheckFailed, Target

DEFAULT_MIN_FREE_PERCENT = 10.0
DEFAULT_MAX_USED_PERCENT = 90.0


def _gb(size: float) -> str:
    return f"{size / 1e9:.1f} GB"


def _path(target: Target, key: str) -> Path:
    path = Path(str(target.options[key])).expanduser()
    return path if path.is_absolute() else target.base_dir / path


def disk(target: Target) -> str:
    path = _path(target, "path")
    minimum = float(target.options.get("min_free_percent", DEFAULT_MIN_FREE_PERCENT))
    try:
        usage = shutil.disk_usage(path)
    except FileNotFoundError:
        raise CheckFailed(f"path {path} does not exist") from None
    except OSError as e:
        raise CheckFailed(f"cannot read the disk usage of {path}: {e.strerror or e}") from None
    free = 100.0 * usage.free / usage.total if usage.total else 0.0
    detail = f"{free:.1f}% free ({_gb(usage.free)} of {_gb(usage.total)}) at {path}, need {minimum:g}%"
    if free < minimum:
        raise CheckFailed(detail)
    return detail


def memory(target: Target) -> str:
    import psutil

    maximum = float(target.options.get("max_used_percent", DEFAULT_MAX_USED_PERCENT))
    memory_ = psutil.virtual_memory()
    detail = f"{memory_.percent:.1f}% used (of {_gb(memory_.total)}), limit {maximum:g}%"
    if memory_.percent > maximum:
        raise CheckFailed(detail)
    return detail


def process(target: Target) -> str:
    """``pid_file``: the process it names runs; ``process_name``: at least ``min_count`` processes
    of that name (the executable's name, or the first word of the command line) run, this
    process not counted (a probe of ``kailash`` would otherwise always find itself)."""
    import psutil

    details = []
    name = target.options.get("process_name")
    if "pid_file" in target.options:
        pid = _pid(_path(target, "pid_file"))
        try:
            proc = psutil.Process(pid)
            running = proc.status() != psutil.STATUS_ZOMBIE
            label = proc.name()
        except psutil.NoSuchProcess:
            running, label = False, ""
        if not running:
            raise CheckFailed(f"process {pid} (from {target.options['pid_file']}) is not running")
        if name is not None and not _named(_info(proc), str(name)):
            raise CheckFailed(f"process {pid} is '{label}', not '{name}'")
        details.append(f"process {pid} ({label}) running")
    if name is not None and "pid_file" not in target.options:
        wanted = int(target.options.get("min_count", 1))
        count = sum(
            1
            for p in psutil.process_iter(["name", "cmdline"])
            if p.pid != os.getpid() and _named(p.info, str(name))
        )
        detail = f"{count} process{'es' if count != 1 else ''} named '{name}', need {wanted}"
        if count < wanted:
            raise CheckFailed(detail)
        details.append(detail)
    if not details:
        raise CheckFailed("give process_name or pid_file")
    return "; ".join(details)


def _info(proc: Any) -> dict[str, Any]:
    import psutil

    try:
        return proc.as_dict(["name", "cmdline"])  # type: ignore[no-any-return]
    except psutil.Error:
        return {}


def _named(info: dict[str, Any], name: str) -> bool:
    """The executable's name, or the first word of the command line, is ``name``."""
    cmdline = info.get("cmdline") or []
    return bool(info.get("name") == name or (cmdline and Path(cmdline[0]).name == name))


def _pid(path: Path) -> int:
    try:
        text = path.read_text(encoding="utf-8").strip()
    except FileNotFoundError:
        raise CheckFailed(f"pid file {path} does not exist") from None
    except OSError as e:
        raise CheckFailed(f"cannot read pid file {path}: {e.strerror or e}") from None
    if not text.isdigit():
        raise CheckFailed(f"pid file {path} holds no process id")
    return int(text)


def database(target: Target) -> str:
    from kailash_cli.db import DatabaseError, parse_url, ping

    try:
        url = parse_url(str(target.options["url"]), target.base_dir)
        ping(url, timeout=target.timeout)
    except DatabaseError as e:
        raise CheckFailed(str(e)) from None
    return f"{url.redacted} answered" if url.kind != "sqlite" else f"SQLite {url.path or ':memory:'} readable"

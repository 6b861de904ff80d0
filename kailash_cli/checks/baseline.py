"""The baseline: findings accepted once (``--write-baseline``) and not reported again
(``--baseline``). An entry is the check id, the file and a hash of the offending content."""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from collections.abc import Iterable
from pathlib import Path

from kailash_cli.checks.project import Project
from kailash_cli.checks.registry import CHECKS
from kailash_cli.errors import UsageError
from kailash_cli.load.yaml_io import is_stdin, read_stdin
from kailash_cli.load.yaml_limits import UnreadableFile, read_limited
from kailash_cli.model.result import Problem

BASELINE_VERSION = 1
Key = tuple[str, str, str]


def baseline_key(p: Problem, project: Project) -> Key:
    """Check id, file and a hash of the offending content: the line, or for a check that may
    sit on a secret the message (so that no hash of a secret is ever written)."""
    sensitive = CHECKS[p.id].sensitive if p.id in CHECKS else True
    content = p.message if sensitive else (project.finding_line(p).strip() or p.message)
    digest = hashlib.sha256(f"{p.id}\0{content}".encode()).hexdigest()[:16]
    return p.id, p.file or "", digest


def read_baseline(path: Path) -> Counter[Key]:
    try:
        raw = read_stdin() if is_stdin(path) else read_limited(path)  # regular files, 10 MB at most
        text = raw.decode("utf-8")
        data = json.loads(text)
        return Counter((e["id"], e["file"], e["hash"]) for e in data["findings"])
    except FileNotFoundError:
        raise UsageError(f"baseline file {path} not found; create it with --write-baseline") from None
    except UnreadableFile as e:
        raise UsageError(f"baseline file {path}: {e.args[0]}; give the baseline JSON file") from None
    except (OSError, ValueError, KeyError, TypeError) as e:
        raise UsageError(
            f"baseline file {path} is not a kailash baseline ({e}); write a new one with --write-baseline"
        ) from None


def write_baseline(path: Path, problems: Iterable[Problem], project: Project) -> int:
    """Record the findings in ``path`` (atomically); the number recorded."""
    entries = []
    for p in problems:
        id_, file, digest = baseline_key(p, project)
        entries.append({"id": id_, "file": file, "hash": digest, "message": p.message})
    text = json.dumps({"version": BASELINE_VERSION, "findings": entries}, indent=2) + "\n"
    tmp = path.with_name(path.name + ".tmp")
    try:
        tmp.write_text(text, encoding="utf-8")
        tmp.replace(path)
    except OSError as e:
        raise UsageError(
            f"baseline file {path} cannot be written ({e.strerror or e}); "
            "check the path given to --write-baseline"
        ) from None
    return len(entries)


def not_accepted(problems: Iterable[Problem], accepted: Counter[Key], project: Project) -> list[Problem]:
    """The findings the baseline does not account for (each entry accepts one finding)."""
    kept = []
    for p in problems:
        key = baseline_key(p, project)
        if accepted[key] > 0:
            accepted[key] -= 1
        else:
            kept.append(p)
    return kept

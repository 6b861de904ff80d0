"""DirectoryReaderNode: the files of a folder, through the path guard, never looping.

What it lists is what a reader node may then open: with a security config the folder
must lie inside ``allowed_directories`` (else the node is refused), and a file the guard
would refuse to read (its real path outside the allowed folders, a refused extension, over
``max_file_size``) is left out of the list. Symlinked folders are not descended into,
so a symlink loop cannot make the walk endless; symlinked files are listed when the guard
allows their target. Paths are absolute (the folder as written, resolved against the
workflow's folder), so a reader node and Python code open the same file wherever
``kailash`` was started.
"""

from __future__ import annotations

import fnmatch
import os
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from kailash_cli.errors import FileAccessError, PathDeniedError
from kailash_cli.nodes.base import NodeContext, NodeType, Outputs


class DirectoryReaderNode(NodeType):
    name = "DirectoryReaderNode"
    summary = "List the files of a folder (glob pattern, optionally recursive), sorted by path."
    declared_outputs = ("files", "count")
    example = """\
logs:
  type: DirectoryReaderNode
  config: {directory: data/logs, pattern: "*.jsonl", recursive: true}
"""

    def run(self, params: dict[str, Any], ctx: NodeContext) -> Outputs:
        given = str(params["directory"])
        folder = ctx.files.resolve_directory(given)
        shown_folder = os.path.normpath(ctx.files.base_dir / Path(given).expanduser())
        pattern = str(params.get("pattern", "*"))
        hidden = bool(params.get("include_hidden", False))
        files: list[dict[str, Any]] = []
        for relative, entry in _walk(folder, "", bool(params.get("recursive", False)), hidden):
            if not _matches(pattern, relative):
                continue
            shown = os.path.join(shown_folder, relative)
            try:
                ctx.files.resolve(shown)  # what a reader may open: guard rules, symlinks resolved
                info = entry.stat()  # follows a symlinked file to its target
            except (PathDeniedError, OSError):
                continue
            files.append(
                {
                    "path": shown,
                    "name": entry.name,
                    "size": info.st_size,
                    "modified": _iso(info.st_mtime),
                }
            )
        files.sort(key=lambda f: f["path"])
        return {"files": files, "count": len(files)}


def _walk(folder: Path, prefix: str, recursive: bool, hidden: bool) -> Iterator[tuple[str, os.DirEntry[str]]]:
    """(path relative to the listed folder, entry) of each file; symlinked folders are not entered."""
    try:
        entries = sorted(os.scandir(folder), key=lambda e: e.name)
    except OSError as e:
        raise FileAccessError(f"cannot list {folder}: {e.strerror}") from None
    for entry in entries:
        if entry.name.startswith(".") and not hidden:
            continue
        relative = f"{prefix}{entry.name}"
        try:
            if entry.is_dir(follow_symlinks=False):
                if recursive:
                    yield from _walk(Path(entry.path), f"{relative}/", recursive, hidden)
            elif entry.is_file():
                yield relative, entry
        except OSError:  # vanished or unreadable while listing: not a file we can offer
            continue


def _matches(pattern: str, relative: str) -> bool:
    """A pattern with a ``/`` is matched against the relative path, else against the name."""
    if "/" in pattern:
        return fnmatch.fnmatchcase(relative, pattern)
    return fnmatch.fnmatchcase(relative.rsplit("/", 1)[-1], pattern)


def _iso(timestamp: float) -> str:
    return datetime.fromtimestamp(timestamp, UTC).isoformat(timespec="milliseconds")


NODE_TYPE = DirectoryReaderNode()

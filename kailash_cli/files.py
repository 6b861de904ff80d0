"""The one place nodes open files: paths resolve against the workflow's folder, writes are atomic.

The path guard of the security config plugs in here (``FileAccess.resolve``).
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Iterator

from kailash_cli.errors import KailashError


class FileAccessError(KailashError):
    """A file a node needs cannot be read or written; the message names the path."""


class FileAccess:
    def __init__(self, base_dir: Path) -> None:
        self.base_dir = base_dir

    def resolve(self, path: str | os.PathLike[str], *, write: bool = False) -> Path:
        if not str(path):
            raise FileAccessError("empty file path")
        return (self.base_dir / Path(path).expanduser()).absolute()

    def read_text(self, path: str, encoding: str = "utf-8") -> str:
        target = self.resolve(path)
        try:
            return target.read_text(encoding=encoding)
        except FileNotFoundError:
            raise FileAccessError(f"file not found: {target}") from None
        except UnicodeDecodeError as e:
            raise FileAccessError(f"{target} is not {encoding} text (byte {e.start})") from None
        except OSError as e:
            raise FileAccessError(f"cannot read {target}: {e.strerror}") from None

    @contextmanager
    def open_atomic(self, path: str, newline: str | None = None) -> Iterator[IO[str]]:
        """Write through a temporary file in the same folder, renamed over ``path`` at the end."""
        target = self.resolve(path, write=True)
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
        except OSError as e:
            raise FileAccessError(f"cannot write {target}: {e.strerror}") from None
        try:
            with os.fdopen(fd, "w", encoding="utf-8", newline=newline) as stream:
                yield stream
                stream.flush()
                os.fsync(stream.fileno())
            os.replace(tmp, target)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise

    def write_atomic(self, path: str, write: Callable[[IO[str]], None], newline: str | None = None) -> Path:
        with self.open_atomic(path, newline=newline) as stream:
            write(stream)
        return self.resolve(path, write=True)

"""The one place nodes open files: paths resolve against the workflow's folder, writes are atomic.

With a :class:`~kailash_cli.security.paths.PathGuard` every read and write goes through
it (allowed directories, extensions, size; symlink-safe opening).
"""

from __future__ import annotations

import errno
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, TYPE_CHECKING

from kailash_cli.errors import FileAccessError, PathDeniedError

if TYPE_CHECKING:
    from kailash_cli.security.paths import PathGuard


class FileAccess:
    """Files for nodes; ``guard`` (optional) enforces the security config's path rules.

    A refusal by the guard raises PathDeniedError (a KailashError, not a FileAccessError).
    """

    def __init__(self, base_dir: Path, guard: PathGuard | None = None) -> None:
        self.base_dir = base_dir
        self.guard = guard

    def _target(self, path: str | os.PathLike[str]) -> Path:
        if not str(path):
            raise FileAccessError("empty file path")
        return (self.base_dir / Path(path).expanduser()).absolute()

    def resolve(self, path: str | os.PathLike[str], *, write: bool = False) -> Path:
        target = self._target(path)
        if self.guard is None:
            return target
        return self.guard.check_write(target) if write else self.guard.check_read(target)

    def resolve_directory(self, path: str) -> Path:
        """The real path of a folder to list; refused when it lies outside ``allowed_directories``."""
        target = self._target(path)
        real = Path(os.path.realpath(target))
        if not real.is_dir():
            what = "is not a directory" if real.exists() else "not found"
            raise FileAccessError(f"directory {what}: {target}")
        allowed = self.guard.allowed_directories if self.guard is not None else None
        if allowed is not None and not any(real.is_relative_to(a) for a in allowed):
            dirs = ", ".join(map(str, allowed))
            where = "" if real == target else f" (it resolves to {real})"
            raise PathDeniedError(f"directory {target}{where} is outside allowed_directories [{dirs}]")
        return real

    def read_text(self, path: str, encoding: str = "utf-8") -> str:
        target = self._target(path)
        try:
            if self.guard is None:
                return target.read_text(encoding=encoding)
            with self.guard.open_read(target, "r", encoding=encoding) as stream:
                text: str = stream.read()
                return text
        except FileNotFoundError:
            raise FileAccessError(f"file not found: {target}") from None
        except UnicodeDecodeError as e:
            raise FileAccessError(f"{target} is not {encoding} text (byte {e.start})") from None
        except OSError as e:
            raise FileAccessError(f"cannot read {target}: {e.strerror}") from None

    def open_text(self, path: str, encoding: str = "utf-8", newline: str | None = None) -> IO[str]:
        """The file open for reading, checked now (a stream reads it later); the caller closes it."""
        target = self._target(path)
        try:
            if self.guard is None:
                return open(target, encoding=encoding, newline=newline)  # noqa: SIM115 - a stream owns it
            stream: IO[str] = self.guard.open_file(target, "r", encoding=encoding, newline=newline)
            return stream
        except FileNotFoundError:
            raise FileAccessError(f"file not found: {target}") from None
        except OSError as e:
            raise FileAccessError(f"cannot read {target}: {e.strerror}") from None

    @contextmanager
    def open_atomic(
        self, path: str, newline: str | None = None, *, make_dirs: bool = True
    ) -> Iterator[IO[str]]:
        """Write through a temporary file in the same folder, renamed over ``path`` at the end.

        Missing folders are created unless ``make_dirs`` is false (then the write fails).
        The file gets the usual permissions of a new file (0666 less the umask).
        """
        if self.guard is not None:
            target = self._target(path)
            try:
                with self.guard.open_write_atomic(target, newline=newline) as stream:
                    yield stream
            except OSError as e:
                raise FileAccessError(f"cannot write {target}: {e.strerror or e}") from e
            return
        with self._open_atomic_unguarded(path, newline, make_dirs) as stream:
            yield stream

    @contextmanager
    def _open_atomic_unguarded(self, path: str, newline: str | None, make_dirs: bool) -> Iterator[IO[str]]:
        target = self.resolve(path, write=True)
        try:
            if make_dirs:
                target.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = _create_temp(target)
        except OSError as e:
            raise FileAccessError(f"cannot write {target}: {e.strerror}") from None
        try:
            with os.fdopen(fd, "w", encoding="utf-8", newline=newline) as stream:
                yield stream
                stream.flush()
                os.fsync(stream.fileno())
            os.replace(tmp, target)
        except OSError as e:  # disk full, target is a folder, ...: a message, not a traceback
            Path(tmp).unlink(missing_ok=True)
            raise FileAccessError(f"cannot write {target}: {e.strerror or e}") from e
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise

    def write_atomic(
        self,
        path: str,
        write: Callable[[IO[str]], None],
        newline: str | None = None,
        *,
        make_dirs: bool = True,
    ) -> Path:
        with self.open_atomic(path, newline=newline, make_dirs=make_dirs) as stream:
            write(stream)
        return self.resolve(path, write=True)


def _create_temp(target: Path) -> tuple[int, str]:
    """A new empty file next to ``target``, mode 0666 so the OS applies the umask (mkstemp: 0600)."""
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0)
    for _ in range(100):
        tmp = str(target.parent / f".{target.name}.{os.urandom(6).hex()}.tmp")
        try:
            return os.open(tmp, flags, 0o666), tmp
        except FileExistsError:
            continue
    raise FileExistsError(errno.EEXIST, "no free temporary file name", str(target.parent))

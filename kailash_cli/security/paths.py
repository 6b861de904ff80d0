"""The path guard: files only inside ``allowed_directories``, of allowed extensions and size.

Paths are resolved (``..`` and symlinks) with ``os.path.realpath`` and then opened one
component at a time from the allowed directory down, each with ``O_NOFOLLOW``, so a
symlink swapped in after the check makes the open fail instead of escaping (no TOCTOU
on Linux and macOS). Writes go to a temporary file created in the checked folder and
renamed over the target; a rename replaces a symlink rather than writing through it.
"""

from __future__ import annotations

import errno
import io
import os
import stat
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import IO, Any

from kailash_cli.errors import PathDeniedError
from kailash_cli.security.limits import format_size, parse_size

_DIR_FLAGS = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC
_FILE_FLAGS = os.O_NOFOLLOW | os.O_CLOEXEC | getattr(os, "O_NONBLOCK", 0)  # a FIFO must not hang


def _sizes_text(size: int, limit: int) -> tuple[str, str]:
    """Rounded sizes, or exact bytes when rounding would make them look equal."""
    shown, limit_shown = format_size(size), format_size(limit)
    return (shown, limit_shown) if shown != limit_shown else (f"{size:,} bytes", f"{limit:,} bytes")


class PathGuard:
    """Decides whether a node may read or write a path, and opens it safely.

    - ``base_dir`` anchors relative ``allowed_directories`` and relative paths given to
      the methods (``from_config`` passes the config file's folder).
    - ``allowed_directories``: None allows every directory; an empty list allows none.
      With ``enabled=False`` the directory and symlink rules are off; extension and
      size rules still apply (remove them from the config to turn them off).
    - ``allowed_extensions`` compare case-insensitively (``.CSV`` is a ``.csv``): on
      case-insensitive file systems they are the same file, and the rule is an
      allow-list, so ignoring case lets nothing else through. A file must have more
      than the extension in its name (``.csv`` alone is refused). Both the name asked
      for and the name it resolves to must pass.
    - ``max_file_size`` applies to files read and to files written.
    Refusals raise PathDeniedError naming the path and the rule; OSErrors (missing
    file, permission) pass through for the caller to word.
    """

    def __init__(
        self,
        base_dir: Path,
        allowed_directories: Sequence[str | os.PathLike[str]] | None = None,
        allowed_extensions: Iterable[str] | None = None,
        max_file_size: int | None = None,
        enabled: bool = True,
    ) -> None:
        self.base_dir = Path(os.path.realpath(base_dir))
        self.enabled = enabled
        self.allowed_directories: tuple[Path, ...] | None = None
        if enabled and allowed_directories is not None:
            self.allowed_directories = tuple(
                Path(os.path.realpath(self.base_dir / Path(d).expanduser())) for d in allowed_directories
            )
        self.allowed_extensions = (
            None if allowed_extensions is None else tuple(sorted({e.lower() for e in allowed_extensions}))
        )
        self.max_file_size = max_file_size

    @classmethod
    def from_config(cls, security: Mapping[str, Any], config_dir: Path) -> PathGuard:
        """From the ``security`` section (already schema-valid)."""
        size = security.get("max_file_size")
        return cls(
            config_dir,
            security.get("allowed_directories"),
            security.get("allowed_file_extensions"),
            None if size is None else parse_size(size),
            security.get("enable_path_validation", True),
        )

    def check_read(self, path: str | os.PathLike[str]) -> Path:
        """The resolved path if it may be read (size checked when the file exists)."""
        requested, real, _root = self._check(path)
        try:
            size = real.stat().st_size
        except OSError:
            return real
        self._check_size(requested, size)
        return real

    def check_write(self, path: str | os.PathLike[str]) -> Path:
        """The path a write will create; refused when the target is a symlink."""
        requested, real, _root = self._check(path, write=True)
        return real

    @contextmanager
    def open_read(
        self, path: str | os.PathLike[str], mode: str = "r", encoding: str | None = "utf-8"
    ) -> Iterator[IO[Any]]:
        """Open for reading (``mode`` "r" or "rb"); size is checked on the open descriptor."""
        with self.open_file(path, mode, encoding) as stream:
            yield stream

    def open_file(
        self,
        path: str | os.PathLike[str],
        mode: str = "r",
        encoding: str | None = "utf-8",
        newline: str | None = None,
    ) -> IO[Any]:
        """As ``open_read``, the open file handed over: the caller closes it (a stream does,
        once it is read)."""
        requested, real, root = self._check(path)
        parent_fd = self._open_dirs(requested, root, real.parent, create=False)
        try:
            fd = self._open_final(requested, real.name, os.O_RDONLY | _FILE_FLAGS, parent_fd)
        finally:
            os.close(parent_fd)
        try:
            info = os.fstat(fd)
            if stat.S_ISDIR(info.st_mode):
                raise IsADirectoryError(errno.EISDIR, os.strerror(errno.EISDIR), str(requested))
            if not stat.S_ISREG(info.st_mode):
                raise PathDeniedError(f"path {requested} is not a regular file")
            self._check_size(requested, info.st_size)
            os.set_blocking(fd, True)
        except BaseException:
            os.close(fd)
            raise
        if self.max_file_size is None:
            return open(fd, mode, encoding=None if "b" in mode else encoding, newline=newline)  # noqa: SIM115
        raw = io.BufferedReader(_LimitedReader(fd, self.max_file_size, requested))
        return raw if "b" in mode else io.TextIOWrapper(raw, encoding=encoding, newline=newline)

    @contextmanager
    def open_write_atomic(
        self, path: str | os.PathLike[str], newline: str | None = None, encoding: str = "utf-8"
    ) -> Iterator[IO[str]]:
        """Write text through a temporary file renamed over ``path``; folders are created."""
        requested, real, root = self._check(path, write=True)
        dir_fd = self._open_dirs(requested, root, real.parent, create=True)
        tmp = f".{real.name}.{os.urandom(6).hex()}.tmp"
        try:
            fd = self._open_final(
                requested, tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | _FILE_FLAGS, dir_fd, mode=0o666
            )  # 0666 less the umask, as for any new file (the OS applies the umask, atomically)
            try:
                with open(fd, "w", encoding=encoding, newline=newline) as stream:
                    yield stream
                    stream.flush()
                    self._check_size(requested, os.fstat(fd).st_size)
                    os.fsync(fd)
                os.replace(tmp, real.name, src_dir_fd=dir_fd, dst_dir_fd=dir_fd)
            except BaseException:
                _unlink_quietly(tmp, dir_fd)
                raise
        finally:
            os.close(dir_fd)

    def _check(self, path: str | os.PathLike[str], write: bool = False) -> tuple[Path, Path, Path]:
        """(requested absolute path, resolved path, allowed root it lies in)."""
        if not str(path):
            raise PathDeniedError("empty file path")
        requested = self.base_dir / Path(path).expanduser()
        if requested.name in ("", ".", "..") or str(path).endswith(os.sep):
            raise PathDeniedError(f"path {requested} does not name a file")
        self._check_extension(requested, requested.name)
        if write:
            real = Path(os.path.realpath(requested.parent)) / requested.name
            if self.enabled and os.path.islink(real):
                raise PathDeniedError(f"path {requested} is a symlink; writing through a symlink is refused")
        else:
            real = Path(os.path.realpath(requested))
            self._check_extension(requested, real.name)
        return requested, real, self._root(requested, real)

    def _check_extension(self, requested: Path, name: str) -> None:
        if self.allowed_extensions is None:
            return
        lowered = name.lower()
        if not any(lowered.endswith(ext) and len(lowered) > len(ext) for ext in self.allowed_extensions):
            suffix = Path(name).suffix or "(none)"
            raise PathDeniedError(
                f"path {requested}: extension {suffix} not in allowed_file_extensions "
                f"[{', '.join(self.allowed_extensions)}]"
            )

    def _check_size(self, requested: Path, size: int) -> None:
        if self.max_file_size is not None and size > self.max_file_size:
            shown, limit = _sizes_text(size, self.max_file_size)
            raise PathDeniedError(f"path {requested}: file is {shown}, over max_file_size {limit}")

    def _root(self, requested: Path, real: Path) -> Path:
        if self.allowed_directories is None:
            return Path(real.anchor)
        for allowed in self.allowed_directories:
            if real.parent.is_relative_to(allowed):
                return allowed
        dirs = ", ".join(map(str, self.allowed_directories))
        where = "" if real == requested else f" to {real}"
        raise PathDeniedError(f"path {requested} resolves{where} outside allowed_directories [{dirs}]")

    def _open_dirs(self, requested: Path, root: Path, folder: Path, *, create: bool) -> int:
        """A descriptor of ``folder``, opened component by component from ``root``."""
        if create:  # an allowed directory that does not exist yet (``./out``) is made
            os.makedirs(root, exist_ok=True)
        fd = os.open(root, _DIR_FLAGS)
        try:
            for part in folder.relative_to(root).parts:
                if create:
                    with suppress(FileExistsError):
                        os.mkdir(part, 0o777, dir_fd=fd)
                child = self._open_final(requested, part, _DIR_FLAGS, fd)
                os.close(fd)
                fd = child
        except BaseException:
            os.close(fd)
            raise
        return fd

    def _open_final(self, requested: Path, name: str, flags: int, dir_fd: int, mode: int = 0o777) -> int:
        if not self.enabled:
            flags &= ~os.O_NOFOLLOW
        try:
            return os.open(name, flags, mode, dir_fd=dir_fd)
        except OSError as e:
            if e.errno == errno.ELOOP or (e.errno == errno.ENOTDIR and _is_link(name, dir_fd)):
                raise PathDeniedError(
                    f"path {requested} changed while being opened (a symlink appeared in it); refused"
                ) from None
            if e.errno == errno.ENOTDIR and flags & os.O_DIRECTORY:
                raise FileExistsError(errno.EEXIST, os.strerror(errno.EEXIST), str(requested)) from None
            raise OSError(e.errno, e.strerror, str(requested)) from None


def _is_link(name: str, dir_fd: int) -> bool:
    try:
        return stat.S_ISLNK(os.lstat(name, dir_fd=dir_fd).st_mode)
    except OSError:
        return False


def _unlink_quietly(name: str, dir_fd: int) -> None:
    with suppress(FileNotFoundError):
        os.unlink(name, dir_fd=dir_fd)


class _LimitedReader(io.RawIOBase):
    """A file read through its descriptor that fails once more than ``limit`` bytes came:
    the size checked at open is only what the file was then (it may grow while read)."""

    def __init__(self, fd: int, limit: int, requested: Path) -> None:
        self._file = io.FileIO(fd, "rb")
        self._left = limit
        self._limit = limit
        self._requested = requested

    def readable(self) -> bool:
        return True

    def fileno(self) -> int:
        return self._file.fileno()

    def readinto(self, buffer: Any) -> int:
        count = self._file.readinto(buffer) or 0
        self._left -= count
        if self._left < 0:
            raise PathDeniedError(
                f"path {self._requested}: file grew past max_file_size {format_size(self._limit)} "
                "while it was read"
            )
        return count

    def close(self) -> None:
        self._file.close()
        super().close()

"""The console script: ``kailash --version`` answers before the CLI (typer) is even imported."""

from __future__ import annotations

import sys

from kailash_cli import __version__
from kailash_cli.constants import EXIT_INTERRUPTED, EXIT_TERMINATED


def main(argv: list[str] | None = None) -> int:
    try:
        return _start(argv)
    except KeyboardInterrupt:  # Ctrl-C while the CLI starts (imports) or ends, outside a command
        capture = sys.modules.get("kailash_cli.report.capture")
        if capture is not None and argv is None:
            capture.release()
        sys.stderr.write("interrupted\n")
        return EXIT_INTERRUPTED


def _start(argv: list[str] | None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if args == ["--version"]:
        print(f"kailash {__version__}")
        return 0
    if argv is None:  # the console script: SIGTERM before a command handles it ends it cleanly
        import signal

        signal.signal(signal.SIGTERM, _terminated)
    from kailash_cli.load.gcpause import start_up_paused

    with start_up_paused(freeze=argv is None):  # until the command starts its work (cli_base._run)
        return _main(args, console=argv is None)


def _terminated(signum: int, frame: object) -> None:
    """SIGTERM while the CLI starts (its imports) or ends, outside a command that stops
    gracefully (``run``, ``serve`` install their own): nothing has started or all is
    recorded, so the process ends at once, with 143, its buffers flushed."""
    raise SystemExit(EXIT_TERMINATED)


def _main(args: list[str], console: bool) -> int:
    from kailash_cli.main import main as cli_main

    if not console:
        return cli_main(args)
    from kailash_cli.report import capture

    capture.linger()  # threads node code started may print after the run: redacted then too
    code = cli_main(args)
    if _busy_workers():
        _exit_now(code)
    if _user_threads():  # they print until the interpreter joins them: keep the guard till then
        import atexit

        atexit.register(capture.CAPTURE.flush)
    else:
        capture.release()
    return code


def _user_threads() -> bool:
    import threading

    return any(t is not threading.current_thread() and t.is_alive() for t in threading.enumerate())


def _busy_workers() -> bool:
    """Node calls the run gave up on (a timeout, Ctrl-C) may still be running on threads."""
    import threading

    return any(t.name.startswith("kailash-worker") and t.is_alive() for t in threading.enumerate())


def _exit_now(code: int) -> None:  # pragma: no cover - ends the process (tested end to end)
    """End the process deliberately: the run is recorded and the output flushed already, and
    user code left running on a thread must not run into interpreter shutdown (where it can
    crash the process and change the exit code)."""
    import contextlib
    import os

    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(OSError, ValueError):  # a closed pipe: nothing more can be written
            stream.flush()
    os._exit(code)

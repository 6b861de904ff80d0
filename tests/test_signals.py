"""``StopOnSigterm``: the first SIGTERM sets the cancel event, the second interrupts."""

from __future__ import annotations

import os
import signal
import threading
import time
from pathlib import Path

import pytest

from kailash_cli.pipeline.signals import StopOnSigterm


def test_sigterm_outside_the_main_thread_changes_nothing() -> None:
    before = signal.getsignal(signal.SIGTERM)
    seen: list[bool] = []

    def off_main() -> None:
        with StopOnSigterm() as stop:
            seen.append(signal.getsignal(signal.SIGTERM) is before and not stop.received)

    thread = threading.Thread(target=off_main)
    thread.start()
    thread.join()
    assert seen == [True]


def test_stop_on_sigterm_sets_the_event_then_interrupts(tmp_path: Path) -> None:

    before = signal.getsignal(signal.SIGTERM)
    said = threading.Event()
    with StopOnSigterm(on_first=said.set) as stop:
        os.kill(os.getpid(), signal.SIGTERM)
        assert stop.cancel.wait(10) and stop.received
        assert said.wait(10)
        with pytest.raises(KeyboardInterrupt):
            os.kill(os.getpid(), signal.SIGTERM)
            for _ in range(100):  # the handler runs between bytecodes, at the latest
                time.sleep(0.01)
    assert signal.getsignal(signal.SIGTERM) is before


@pytest.mark.parametrize("argv", [None, ["validate", "."]])
def test_ctrl_c_while_the_cli_starts_is_exit_130_without_a_traceback(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], argv: list[str] | None
) -> None:
    """Ctrl-C during the imports before the CLI's own handling (seen when stress-testing
    Ctrl-C at random moments): one line and 130, the streams given back."""
    import sys

    import kailash_cli.main
    from kailash_cli import entry

    def interrupted(args: list[str] | None = None) -> int:
        raise KeyboardInterrupt

    monkeypatch.setattr(kailash_cli.main, "main", interrupted)
    monkeypatch.setattr(sys, "argv", ["kailash", "validate", "."])
    before = sys.stdout, sys.stderr
    assert entry.main(argv) == 130
    assert (sys.stdout, sys.stderr) == before
    captured = capsys.readouterr()
    assert (captured.out, captured.err) == ("", "interrupted\n")

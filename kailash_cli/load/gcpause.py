"""Pausing the cyclic garbage collector while large, acyclic structures are built.

Loading, checking and compiling a big workflow allocates hundreds of thousands of small
objects that all stay alive; each allocation burst makes the collector walk the whole
growing heap again for nothing (on a 10,000-node file that was a third of the time).
Reference counting still frees everything as usual; cycles made meanwhile are collected
once the collector is back on.
"""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def gc_paused() -> Iterator[None]:
    """Run the body with the collector off, restoring its previous state (nesting is fine)."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


class _StartUp:
    """Whether the command line's start has the collector off, and its state before."""

    paused = False
    was_enabled = False
    freeze = False


@contextmanager
def start_up_paused(freeze: bool = False) -> Iterator[None]:
    """The collector off while the command line starts: typer, the YAML library and
    kailash's own modules make objects that all stay alive. :func:`start_up_done` (a command
    about to do its work) or the end of the body turns it back on, as it was. ``freeze`` (a
    process that ends with the command): what the start made is frozen then, so later
    collections, and the interpreter's at exit, do not walk it again. Together they save
    about a tenth of a 1-node run's instructions (issue 15)."""
    if _StartUp.paused:  # a start within a start: the outer one decides
        yield
        return
    _StartUp.paused, _StartUp.was_enabled, _StartUp.freeze = True, gc.isenabled(), freeze
    gc.disable()
    try:
        yield
    finally:
        start_up_done()


def start_up_done() -> None:
    """The command's own work (the engine, node code, a server) runs with the collector as
    it was before the start; nothing to do when the start did not pause it."""
    if _StartUp.paused:
        _StartUp.paused = False
        if _StartUp.freeze:
            gc.freeze()
        if _StartUp.was_enabled:
            gc.enable()


_FROZEN_LOCK = threading.Lock()
_frozen_runs = 0


@contextmanager
def gc_frozen() -> Iterator[None]:
    """Run the body with every object alive now out of the collector's sight.

    A run keeps its loaded workflow and compiled graph (hundreds of thousands of small
    objects on a large workflow) until it ends; without this the collector walks them all
    again in each of its three generations as the run allocates. Only the first of runs
    going on at once freezes (so garbage alive at that moment stays bounded), and the last
    one to end gives everything back to the collector.
    """
    global _frozen_runs
    with _FROZEN_LOCK:
        if _frozen_runs == 0:
            gc.freeze()
        _frozen_runs += 1
    try:
        yield
    finally:
        with _FROZEN_LOCK:
            _frozen_runs -= 1
            if _frozen_runs == 0:
                gc.unfreeze()

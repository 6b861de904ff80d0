"""The one broad ``except``: an exception becomes a message and an exit code."""

from __future__ import annotations

import traceback
from collections.abc import Callable

from kailash_cli.console import err
from kailash_cli.constants import EXIT_BUG, EXIT_INTERRUPTED
from kailash_cli.errors import KailashError


def handle(call: Callable[[], int], *, verbose: bool = False) -> int:
    try:
        return call()
    except KailashError as e:
        if verbose:
            err(traceback.format_exc())
        for line in e.lines():
            err(line)
        return e.exit_code
    except KeyboardInterrupt:
        err("interrupted")
        return EXIT_INTERRUPTED
    except Exception as e:
        if verbose:
            err(traceback.format_exc())
        err(f"error: unexpected {type(e).__name__}: {e}")
        err("this is a bug in kailash, please report it (run with -v for the traceback)")
        return EXIT_BUG

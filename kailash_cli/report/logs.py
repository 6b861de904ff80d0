"""The global logging options: the log format (``--log-format``, ``KAILASH_LOG_FORMAT``),
a trace id from the environment, ``-v``/``-q``/``--log-format`` after the command name and
``-c/--config`` before it.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

from kailash_cli.constants import ENV_LOG_FORMAT

LOG_FORMATS = ("text", "json")
_FLAGS = {"-v", "--verbose", "-q", "--quiet"}
_TRACEPARENT = re.compile(r"^[0-9a-f]{2}-([0-9a-f]{32})-[0-9a-f]{16}-[0-9a-f]{2}$")


def log_format_of(given: str | None, environ: Mapping[str, str]) -> str:
    """``--log-format`` if given, else ``KAILASH_LOG_FORMAT``, else text; ValueError for an
    unknown value in the environment (the option's choices are checked by the parser)."""
    if given is not None:
        return given
    value = environ.get(ENV_LOG_FORMAT, "").strip()
    if not value:
        return "text"
    if value.lower() not in LOG_FORMATS:
        raise ValueError(f"{ENV_LOG_FORMAT}={value}: not a log format; use text or json (or unset it)")
    return value.lower()


def trace_id(environ: Mapping[str, str]) -> str | None:
    """The trace this invocation belongs to: ``KAILASH_TRACE_ID``, else the trace id of a
    W3C ``TRACEPARENT`` (as CI systems and OpenTelemetry set it), else None."""
    given = environ.get("KAILASH_TRACE_ID", "").strip()
    if given:
        return given
    match = _TRACEPARENT.match(environ.get("TRACEPARENT", "").strip().lower())
    return match.group(1) if match else None


def global_options_first(args: Sequence[str]) -> list[str]:
    """``-v``, ``-q`` and ``--log-format X`` moved before the command name, wherever they are
    (up to a ``--``), so ``kailash run wf.yaml -q`` means ``kailash -q run wf.yaml``."""
    moved: list[str] = []
    rest: list[str] = []
    i = 0
    while i < len(args):
        arg = args[i]
        if arg == "--":
            rest.extend(args[i:])
            break
        if arg in _FLAGS or arg.startswith("--log-format="):
            moved.append(arg)
        elif arg == "--log-format" and i + 1 < len(args):
            moved.extend(args[i : i + 2])
            i += 1
        else:
            rest.append(arg)
        i += 1
    return [*moved, *_config_after_command(rest)]


def _config_after_command(args: list[str]) -> list[str]:
    """``-c/--config FILE`` given before the command name moved to the end of its arguments
    (before a ``--``), where the command's own option takes it: ``kailash -c k.yaml run wf.yaml``."""
    config: list[str] = []
    while args:
        if args[0] in ("-c", "--config") and len(args) > 1:
            width = 2
        elif args[0].startswith("--config="):
            width = 1
        else:
            break
        config, args = [*config, *args[:width]], args[width:]
    if not config or not args or args[0].startswith("-"):
        return [*config, *args]
    end = args.index("--") if "--" in args else len(args)
    return [*args[:end], *config, *args[end:]]

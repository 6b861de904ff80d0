"""Which run and node the code on this thread or task belongs to (node output, the command guard).

``NodeCall.run`` sets both around a node's code; threads that node code starts itself
inherit neither.
"""

from __future__ import annotations

import contextvars

CURRENT_NODE: contextvars.ContextVar[str | None] = contextvars.ContextVar("kailash_node", default=None)
CURRENT_RUN: contextvars.ContextVar[str | None] = contextvars.ContextVar("kailash_run", default=None)

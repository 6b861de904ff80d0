"""One server's state, and the JSON answers every route gives."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from fastapi.responses import JSONResponse

from kailash_cli.report.output import Output
from kailash_cli.serve import views
from kailash_cli.serve.logs import ServeLog
from kailash_cli.serve.metrics import ServeMetrics
from kailash_cli.serve.runs import RunPool
from kailash_cli.serve.settings import Settings

RETRY_AFTER = "2"
STOP_WAIT = 30.0  # after the grace period: how long interrupted runs get to be recorded


class JSON(JSONResponse):
    def render(self, content: Any) -> bytes:
        return json.dumps(content, default=str, ensure_ascii=False).encode("utf-8")


def error(status: int, message: str, headers: dict[str, str] | None = None, **extra: Any) -> JSON:
    return JSON({"error": {"message": message}, **extra}, status_code=status, headers=headers)


@dataclass
class Server:
    """One server's state: settings, runs, metrics, log."""

    settings: Settings
    output: Output
    pool: RunPool
    metrics: ServeMetrics
    log: ServeLog
    masks: dict[str | None, views.Mask]
    history: views.History
    ready: Any = None  # (config, environ) -> report with .healthy and .to_dict()

    def stop(self) -> bool:
        """Drain the runs (the grace period counts from the first stop); True when all ended."""
        drained = self.pool.drain(self.settings.grace_period, STOP_WAIT)
        self.history.close()
        return drained

"""WebhookAlertNode: post a message to a chat webhook (Slack, Discord, Teams) or as plain JSON.

The request goes through the run's shared HTTP client (``nodes/http.py`` ``send``). A
webhook URL is a credential (Slack and Discord put the token in the path), so errors show
only its scheme and host. A status other than 2xx fails the node; its ``retry`` policy
may try again.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from kailash_cli.nodes.base import NodeContext, NodeType, Outputs
from kailash_cli.nodes.http import HTTPStatusError, send

DEFAULT_TIMEOUT = 10.0
DISCORD_LIMIT = 2000  # characters of "content" Discord accepts
TRUNCATED = "… (truncated)"
# what the json payload says about the run; filled in by the engine from ${run...}
RUN_FIELDS = {"workflow": "${run.workflow}", "run_id": "${run.id}", "status": "${run.status}"}


class WebhookAlertNode(NodeType):
    name = "WebhookAlertNode"
    summary = "Post an alert to a Slack, Discord or Teams webhook, or as plain JSON; outputs status_code."
    declared_outputs = ("status_code",)
    example = """\
alert:
  type: WebhookAlertNode
  config:
    url: "https://hooks.example.com/services/T000/B000/XXXX"  # or ${ALERT_WEBHOOK_URL}
    format: slack
    message: "${run.workflow} failed at ${failure.node}: ${failure.error}"
"""

    def templated(self, config: dict[str, Any]) -> dict[str, Any]:  # type: ignore[override]
        return {**config, "run": {**RUN_FIELDS, **config.get("run", {})}}

    async def arun(self, params: dict[str, Any], ctx: NodeContext) -> Outputs:
        url = str(params["url"])
        message = params["message"] if isinstance(params["message"], str) else str(params["message"])
        headers = {"User-Agent": "kailash-alert", **(params.get("headers") or {})}
        payload = build_payload(params.get("format", "slack"), message, params.get("run") or {}, ctx.node_id)
        shown = safe_url(url)
        response = await send(
            ctx,
            "POST",
            url,
            params.get("timeout", DEFAULT_TIMEOUT),
            shown=shown,
            json=payload,
            headers=headers,
        )
        if not 200 <= response.status_code < 300:
            snippet = response.text[:200].replace("\n", " ") if response.content else ""
            raise HTTPStatusError(
                f"POST {shown} returned {response.status_code}, expected 2xx"
                + (f": {snippet}" if snippet else "")
            )
        return {"status_code": response.status_code}


def build_payload(format_: str, message: str, run: dict[str, Any], node_id: str) -> dict[str, Any]:
    """The request body each service documents for a plain text message."""
    if format_ == "slack":
        return {"text": message}
    if format_ == "discord":
        if len(message) > DISCORD_LIMIT:
            message = message[: DISCORD_LIMIT - len(TRUNCATED)] + TRUNCATED
        return {"content": message}
    if format_ == "teams":  # a Teams Workflows ("Post to a channel when a webhook request is received") card
        card = {
            "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
            "type": "AdaptiveCard",
            "version": "1.4",
            "body": [{"type": "TextBlock", "text": message, "wrap": True}],
        }
        return {
            "type": "message",
            "attachments": [
                {
                    "contentType": "application/vnd.microsoft.card.adaptive",
                    "contentUrl": None,
                    "content": card,
                }
            ],
        }
    return {"message": message, **{k: run.get(k) for k in RUN_FIELDS}, "node": node_id}


def safe_url(url: str) -> str:
    """``scheme://host[:port]/…``: the path and query of a webhook URL are its secret."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    if parts.port:
        host = f"{host}:{parts.port}"
    hidden = "/…" if parts.path.strip("/") or parts.query else ""
    return f"{parts.scheme}://{host}{hidden}"


NODE_TYPE = WebhookAlertNode()

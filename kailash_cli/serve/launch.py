"""``POST /workflows/{name}/runs``: check the request, start the run on the pool, answer."""

from __future__ import annotations

import asyncio
from typing import Any

from fastapi import Request

from kailash_cli.errors import (
    AccessDeniedError,
    ExpressionError,
    FileAccessError,
    KailashError,
    PathDeniedError,
    RunInterrupted,
    StoreError,
    UsageError,
    WorkflowValidationError,
)
from kailash_cli.model.result import RunResult
from kailash_cli.pipeline.run import run_workflow
from kailash_cli.serve.auth import Caller
from kailash_cli.serve.body import bad, check_name, check_params, parse_params, read_body
from kailash_cli.serve.runs import PoolFull, PoolStopped, RunTicket
from kailash_cli.serve.state import JSON, RETRY_AFTER, Server, error


async def start(server: Server, name: str, request: Request, wait: bool) -> JSON:
    settings = server.settings
    check_name(name)
    workflow = settings.workflows.get(name)
    if workflow is None:
        raise bad(f"unknown workflow '{name}'; GET /workflows lists the workflows served", "name", 404)
    params = parse_params(await read_body(request.stream(), settings.max_body))
    check_params(workflow, params)
    caller = getattr(request.state, "caller", None) or Caller()
    trace = getattr(request.state, "trace_id", None)
    output = server.output.bind(trace_id=trace, user=caller.user)

    def call(ticket: RunTicket) -> RunResult:
        ticket.trace_id, ticket.workflow = trace, name  # for the log of an error
        return run_workflow(
            workflow,
            params=params,
            config=settings.config,
            user=caller.user,
            environ=settings.environ,
            observers=[ticket],
            output=output,
            cancel=ticket.cancel,
            redact=settings.tokens.values,
        )

    try:
        ticket = server.pool.submit(call)
    except PoolFull:
        server.metrics.refused.labels("full").inc()
        message = f"{settings.max_concurrency} runs are going on (serve.max_concurrency); try again shortly"
        return error(503, message, {"Retry-After": RETRY_AFTER})
    except PoolStopped:
        server.metrics.refused.labels("stopping").inc()
        return error(
            503, "the server is stopping; send the run to another instance", {"Retry-After": RETRY_AFTER}
        )
    run_id = await asyncio.wrap_future(ticket.first)
    if run_id is not None and not wait:
        body = {"run_id": run_id, "status": "running", "location": f"/runs/{run_id}"}
        return JSON(body, status_code=202, headers={"Location": f"/runs/{run_id}"})
    try:
        result = await asyncio.wrap_future(ticket.result)
    except KailashError as e:
        return _refused(server, e, ticket)
    return JSON(result.to_dict())


#: what keeps a run from starting once its params were checked: the server's configuration
#: (environment, access_control, files, the workflow itself), never the client's request
SERVER_PROBLEMS = (UsageError, WorkflowValidationError, PathDeniedError, FileAccessError, ExpressionError)


def _refused(server: Server, e: KailashError, ticket: RunTicket) -> JSON:
    """A run that could not start, was refused or was interrupted: its status and why.

    The params were checked before (400, naming the field): a problem left is the server's,
    a 500 whose message names no server path; the log has the full message (``run_error``)."""
    extra: dict[str, Any] = {}
    if isinstance(e, AccessDeniedError):
        if e.result is not None:
            extra["run"] = e.result.to_dict()
        over_http = str(e).replace(
            "; run with --user ID", "; call with a token that serve.tokens maps to a user"
        )
        return error(403, server.output.redact(over_http), **extra)
    if isinstance(e, RunInterrupted):
        message = f"run {ticket.run_id} was interrupted: the server is stopping; it is recorded interrupted"
        partial = getattr(e, "result", None)
        if partial is not None:
            extra["run"] = partial.to_dict()
        return error(503, message, {"Retry-After": RETRY_AFTER}, run_id=ticket.run_id, **extra)
    trace = f"the server log has trace id {ticket.trace_id}"
    if isinstance(e, StoreError):
        return error(503, f"the run store cannot be opened; {trace}", {"Retry-After": RETRY_AFTER})
    if isinstance(e, SERVER_PROBLEMS):
        message = (
            f"workflow '{ticket.workflow}' cannot run on this server: its configuration is "
            f"incomplete (environment, access_control or files); {trace}"
        )
        return error(500, message)
    return error(500, server.output.redact(str(e)), run_id=ticket.run_id)

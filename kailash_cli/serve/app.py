"""The routes of ``kailash serve``, on FastAPI. ``create_app`` builds one app per server
(its pool, metrics and masks); nothing is shared between apps."""

from __future__ import annotations

from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI, Query, Request, Response
from fastapi.exceptions import RequestValidationError
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException

from kailash_cli import __version__
from kailash_cli.errors import AccessDeniedError, KailashError, RunInterrupted, StoreError
from kailash_cli.report.output import Output
from kailash_cli.serve import views
from kailash_cli.serve.auth import Caller
from kailash_cli.serve.body import BadRequest
from kailash_cli.serve.gateway import Auth, Gateway
from kailash_cli.serve.launch import start
from kailash_cli.serve.logs import ServeLog
from kailash_cli.serve.metrics import ServeMetrics
from kailash_cli.serve.openapi import Cors, describe
from kailash_cli.serve.runs import RunPool, RunTicket
from kailash_cli.serve.settings import Settings
from kailash_cli.serve.state import JSON, RETRY_AFTER, Server, error

STORE_DOWN = {
    "name": "store",
    "type": "store",
    "status": "fail",
    "duration_ms": 0.0,
    "attempts": 1,
    "detail": "the run store cannot be read (runtime.store); the server log says why",
}


def create_app(settings: Settings, output: Output, ready: Any = None) -> FastAPI:
    """The ASGI app serving ``settings.workflows``; ``ready`` is the health check of ``/ready``."""
    if ready is None:
        from kailash_cli.health import run_checks as ready
    output.add_secrets(settings.tokens.values)
    log = ServeLog(output)
    pool = RunPool(settings.max_concurrency, on_error=lambda t, e: _run_error(log, t, e))
    users = set(settings.tokens.users)
    server = Server(
        settings,
        output,
        pool,
        ServeMetrics(settings.store, pool.in_progress),
        log,
        views.masks(settings.config, users),
        views.History(settings.store),
        ready,
    )

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> Any:
        yield
        await run_in_threadpool(server.stop)

    app = FastAPI(
        title="kailash",
        version=__version__,
        description="Run the workflows of a folder over HTTP.",
        docs_url=None,
        redoc_url=None,
        redirect_slashes=False,  # a 307 built from the client's Host header: 404 instead
        default_response_class=JSON,
        lifespan=lifespan,
    )
    app.state.server = server
    app.openapi = lambda: describe(app)  # type: ignore[method-assign]
    _handlers(app)
    _routes(app, server)
    app.add_middleware(Auth, tokens=settings.tokens)
    if settings.cors_origins:
        app.add_middleware(
            Cors,
            allow_origins=list(settings.cors_origins),
            allow_methods=["GET", "POST"],
            allow_headers=["Authorization", "Content-Type", "X-Request-ID", "traceparent"],
            expose_headers=["X-Request-ID", "Location", "Retry-After"],
        )
    app.add_middleware(
        Gateway,
        log=log,
        max_body=settings.max_body,
        trusted_proxies=settings.trusted_proxies,
        on_request=server.metrics.request,
        redact=output.redact,
    )
    return app


def _run_error(log: ServeLog, ticket: RunTicket, e: BaseException) -> None:
    if isinstance(e, KailashError):
        level = "warning" if isinstance(e, RunInterrupted | AccessDeniedError) else "error"
        where = {"run_id": ticket.run_id, "workflow": ticket.workflow, "trace_id": ticket.trace_id}
        log.event("run_error", level, message=str(e), **{k: v for k, v in where.items() if v})
    elif isinstance(e, Exception):
        log.error("run failed", e, run_id=ticket.run_id)


def _handlers(app: FastAPI) -> None:
    @app.exception_handler(BadRequest)
    async def bad_request(request: Request, e: BadRequest) -> JSON:
        # a token or secret the caller typed into the body is not written back
        document = app.state.server.output.redactor.value(e.document())
        return JSON(document, status_code=e.status)

    @app.exception_handler(StoreError)
    async def store_error(request: Request, e: StoreError) -> JSON:
        trace = getattr(request.state, "trace_id", None)
        app.state.server.log.event("store_error", "error", message=str(e), trace_id=trace)
        message = f"the run store cannot be read; the server log has trace id {trace}"
        return error(503, message, {"Retry-After": RETRY_AFTER})

    @app.exception_handler(HTTPException)
    async def http_error(request: Request, e: HTTPException) -> JSON:
        return error(e.status_code, str(e.detail), dict(e.headers or {}))

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, e: RequestValidationError) -> JSON:
        first = e.errors()[0]
        field = str(first["loc"][-1]) if first.get("loc") else None
        return JSON({"error": {"message": f"{field}: {first['msg']}", "field": field}}, status_code=400)


def _caller(request: Request) -> Caller:
    caller = getattr(request.state, "caller", None)
    return caller if isinstance(caller, Caller) else Caller()


def _routes(app: FastAPI, server: Server) -> None:
    settings = server.settings

    @app.get("/health")
    async def health() -> dict[str, Any]:
        """Liveness: the process answers."""
        return {"status": "ok"}

    app.add_api_route("/health", health, methods=["HEAD"], include_in_schema=False)

    @app.get("/ready")
    async def ready(request: Request) -> JSON:
        """Readiness: the config's health checks and the run store (200 healthy, 503 not),
        503 while stopping."""
        if not server.pool.accepting:
            return JSON({"status": "stopping", "checks": []}, status_code=503)
        report = await run_in_threadpool(server.ready, settings.config, settings.environ)
        body, healthy = report.to_dict(), report.healthy
        broken = await run_in_threadpool(server.history.check)
        if broken is not None:
            server.log.event("store_error", "error", message=broken, trace_id=request.state.trace_id)
            body = {**body, "status": "unhealthy", "checks": [*body["checks"], STORE_DOWN]}
            healthy = False
        return JSON(body, status_code=200 if healthy else 503)

    @app.get("/metrics")
    async def metrics() -> Response:
        """Prometheus text: the store's runs and node executions, this server's requests
        (404 when ``runtime.enable_monitoring`` is false: no metrics leave the process)."""
        if settings.config.section("runtime").get("enable_monitoring") is False:
            return error(404, "metrics are off: runtime.enable_monitoring is false in the config")
        body = await run_in_threadpool(server.metrics.render)
        return Response(body, media_type="text/plain; version=0.0.4; charset=utf-8")

    @app.get("/workflows")
    async def workflows() -> list[dict[str, Any]]:
        """The workflows served, with their params."""
        return [views.describe(w) for w in settings.workflows.values()]

    @app.get("/runs")
    def runs(
        workflow: str | None = None,
        status: str | None = Query(None, pattern="^(running|succeeded|failed|interrupted)$"),
        limit: int = Query(20, ge=1, le=1000),
    ) -> list[dict[str, Any]]:
        """Run history, newest first (as `kailash runs list --output json`)."""
        return server.history.runs(workflow, status, limit)

    @app.get("/runs/{run_id}")
    def run(run_id: str, request: Request) -> JSON:
        """One run (as `kailash runs show ID --output json`), masked for the caller."""
        document = server.history.run(run_id, server.masks[_caller(request).user])
        if document is None:
            shown = server.output.redact(run_id)  # a token pasted into the path is not sent back
            return error(404, f"unknown run id '{shown}'; GET /runs lists the runs")
        return JSON(document)

    @app.post("/workflows/{name:path}/runs", status_code=200)  # `a/b`, `../x`: 400, not 404
    async def start_run(name: str, request: Request, wait: bool = True) -> JSON:
        """Run a workflow with `{"params": {...}}`: the run document (200 whether it succeeded
        or failed), or with `?wait=false` 202 and its id. 400 bad params, 403 access denied,
        404 unknown workflow, 413 body too large, 503 too many runs or stopping, 500 the
        server's configuration keeps the run from starting."""
        return await start(server, name, request, wait)

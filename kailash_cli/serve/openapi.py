"""What ``/openapi.json`` says beyond FastAPI's defaults (the body of a run, the bearer token,
400 and the JSON errors instead of 422), and CORS preflights refused as JSON errors."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware
from fastapi.openapi.utils import get_openapi
from starlette.datastructures import Headers
from starlette.responses import Response

from kailash_cli.serve.state import JSON

RUNS_PATH = "/workflows/{name}/runs"
_ERROR_REF = {"$ref": "#/components/schemas/Error"}
ERROR_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["error"],
    "properties": {
        "error": {
            "type": "object",
            "required": ["message"],
            "properties": {
                "message": {"type": "string"},
                "field": {"type": "string", "description": "what is to blame, e.g. params.who"},
                "problems": {
                    "type": "array",
                    "items": {
                        "type": "object",
                        "properties": {"message": {"type": "string"}, "field": {"type": "string"}},
                    },
                },
            },
        }
    },
}
RUN_BODY: dict[str, Any] = {
    "required": False,
    "description": "The run's params (an empty body: the defaults). GET /workflows lists them.",
    "content": {
        "application/json": {
            "schema": {
                "type": "object",
                "additionalProperties": False,
                "properties": {"params": {"type": "object", "additionalProperties": True}},
            },
            "example": {"params": {"who": "Ada"}},
        }
    },
}
RUN_ERRORS = {
    "202": "?wait=false: the run started; its id and Location: /runs/{id}",
    "400": "bad body or params, or not a workflow name",
    "403": "the caller's user lacks a node's permissions (the refused run in `run`)",
    "404": "unknown workflow",
    "408": "the body did not arrive in time",
    "413": "the body is over serve.max_body",
    "500": "the server's configuration keeps the run from starting (the log has the reason)",
    "503": "max_concurrency runs going on, the server stopping, or the run store unreadable",
}


def _error(description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": _ERROR_REF}}}


def describe(app: FastAPI) -> dict[str, Any]:
    """The OpenAPI document of ``app``: FastAPI's, with 400 + ``Error`` where it says 422,
    a bearer scheme for every route but ``/health``, and the body of ``POST`` runs."""
    if app.openapi_schema is not None:
        return app.openapi_schema
    schema = get_openapi(title=app.title, version=app.version, description=app.description, routes=app.routes)
    components = schema.setdefault("components", {})
    schemas = components.setdefault("schemas", {})
    for name in ("HTTPValidationError", "ValidationError"):
        schemas.pop(name, None)
    schemas["Error"] = ERROR_SCHEMA
    components["securitySchemes"] = {"bearer": {"type": "http", "scheme": "bearer"}}
    schema["security"] = [{"bearer": []}]
    for path, operations in schema["paths"].items():
        for operation in operations.values():
            responses = operation["responses"]
            if responses.pop("422", None) is not None:
                responses["400"] = _error("a bad query or path parameter (`field` names it)")
            if path == "/health":
                operation["security"] = []
            else:
                responses["401"] = _error("no bearer token, or a wrong one")
    post = schema["paths"][RUNS_PATH]["post"]
    post["requestBody"] = RUN_BODY
    post["responses"].update({status: _error(text) for status, text in RUN_ERRORS.items()})
    post["responses"]["202"] = {"description": RUN_ERRORS["202"]}
    app.openapi_schema = schema
    return schema


class Cors(CORSMiddleware):
    """Starlette's CORS, with a refused preflight answered as the other errors are: JSON."""

    def preflight_response(self, request_headers: Headers) -> Response:
        response = super().preflight_response(request_headers)
        if response.status_code != 400:
            return response
        reason = bytes(response.body).decode("utf-8", "replace")
        headers = {k: v for k, v in response.headers.items() if k not in ("content-type", "content-length")}
        message = f"CORS preflight refused: {reason[0].lower()}{reason[1:]}; see serve.cors_origins"
        return JSON({"error": {"message": message}}, status_code=400, headers=headers)

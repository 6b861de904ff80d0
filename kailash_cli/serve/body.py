"""The body of ``POST /workflows/{name}/runs``: read within the size limit, parsed, checked.

Every problem is a ``BadRequest`` naming its field (``params.<name>``), the first one as
the message and all of them in ``problems``."""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import AsyncIterator
from typing import Any

from kailash_cli.errors import UsageError
from kailash_cli.load import params as params_mod
from kailash_cli.model.workflow import Workflow
from kailash_cli.schema.messages import did_you_mean

NAME = re.compile(r"^[a-z0-9][a-z0-9_-]*$")  # the workflow schema's name pattern
FIELDS = ("params",)
BODY_TIMEOUT = 30.0


class BadRequest(Exception):
    """A request refused with ``status``; ``problems`` are ``(message, field)`` pairs."""

    def __init__(self, status: int, problems: list[tuple[str, str | None]]) -> None:
        super().__init__(problems[0][0])
        self.status = status
        self.problems = problems

    def document(self) -> dict[str, Any]:
        message, field = self.problems[0]
        error: dict[str, Any] = {"message": message}
        if field is not None:
            error["field"] = field
        if len(self.problems) > 1:
            error["problems"] = [{"message": m, "field": f} for m, f in self.problems]
        return {"error": error}


def bad(message: str, field: str | None = None, status: int = 400) -> BadRequest:
    return BadRequest(status, [(message, field)])


def check_name(name: str) -> None:
    """A workflow name as the schema writes them: anything else (``..``, ``/``, ``%2e``) is refused."""
    if not NAME.match(name):
        raise bad(
            "not a workflow name: names are lower case letters, digits, '_' and '-' "
            "(GET /workflows lists them)",
            "name",
        )


async def read_body(chunks: AsyncIterator[bytes], limit: int, timeout: float = BODY_TIMEOUT) -> bytes:
    """The body, refused (413) as soon as it passes ``limit`` bytes: the rest is never read;
    a body that has not all come within ``timeout`` seconds is refused (408), so a client
    trickling bytes holds nothing for long."""
    body = bytearray()
    try:
        async with asyncio.timeout(timeout):
            async for chunk in chunks:
                body += chunk
                if len(body) > limit:
                    raise bad(f"the body is over {limit} bytes (serve.max_body)", status=413)
    except TimeoutError:
        raise bad(f"the body did not arrive within {timeout:g} s", status=408) from None
    return bytes(body)


def _no_constant(text: str) -> float:
    raise ValueError(f"{text} is not a JSON number")


def parse_params(raw: bytes) -> dict[str, Any]:
    """``{"params": {...}}`` (an empty body: no params) -> the params given."""
    if not raw.strip():
        return {}
    try:
        body = json.loads(raw, parse_constant=_no_constant)
    except (ValueError, RecursionError) as e:
        where = f" (line {e.lineno}, column {e.colno})" if isinstance(e, json.JSONDecodeError) else ""
        reason = e.msg if isinstance(e, json.JSONDecodeError) else str(e)
        raise bad(f'the body is not valid JSON: {reason}{where}; send {{"params": {{...}}}}') from None
    if not isinstance(body, dict):
        raise bad(f'the body must be a JSON object like {{"params": {{...}}}}, not {_kind(body)}')
    broken = _lone_surrogate(body, "")
    if broken is not None:
        raise bad(
            "a string holds a lone surrogate (\\ud800-\\udfff), which is not text; send valid Unicode",
            broken or None,
        )
    for key in body:
        if key not in FIELDS:
            raise bad(
                f"unknown field '{key}'{did_you_mean(key, FIELDS)}; the body is {{\"params\": {{...}}}}", key
            )
    params = body.get("params", {})
    if not isinstance(params, dict):
        raise bad(f"params must be a JSON object of param names to values, not {_kind(params)}", "params")
    return params


def _lone_surrogate(value: Any, path: str) -> str | None:
    """The path of the first string (key or value) that cannot be UTF-8, else None."""

    def bad_text(text: str) -> bool:
        try:
            text.encode("utf-8")
        except UnicodeEncodeError:
            return True
        return False

    if isinstance(value, str):
        return path if bad_text(value) else None
    items = value.items() if isinstance(value, dict) else enumerate(value) if isinstance(value, list) else ()
    for key, item in items:
        where = f"{path}.{key}" if isinstance(key, str) and path else f"{path}[{key}]" if path else str(key)
        if isinstance(key, str) and bad_text(key):
            return path or "params"
        found = _lone_surrogate(item, where)
        if found is not None:
            return found
    return None


def _kind(value: Any) -> str:
    if value is None:
        return "null"
    return {list: "an array", str: "a string", bool: "a boolean"}.get(type(value), "a number")


def check_params(workflow: Workflow, given: dict[str, Any]) -> None:
    """Each param given is declared and fits its declaration; each required one is given."""
    declared = workflow.params
    problems: list[tuple[str, str | None]] = []
    for name, value in given.items():
        if name not in declared:
            known = ", ".join(declared) or "none"
            problems.append(
                (
                    f"unknown param '{name}'{did_you_mean(name, declared)}; known params: {known}",
                    f"params.{name}",
                )
            )
            continue
        try:
            params_mod.resolve({name: declared[name]}, [], {name: value}, source="params")
        except UsageError as e:
            problems.append((str(e).splitlines()[0], f"params.{name}"))
    for name, param in declared.items():
        if param.required and not param.has_default and name not in given:
            hint = f" ({param.description})" if param.description else ""
            problems.append((f"missing required param '{name}'{hint}", f"params.{name}"))
    if problems:
        raise BadRequest(400, problems)

"""A workflow's ``env:``: the names it needs, typed values, and ``${...}`` in its ``runtime``.

The list form (``env: [DATABASE_URL]``) names variables that must be set; their values are
text. The mapping form declares each one like a param (``type``, ``default``, ``enum``,
``minimum``...): the text is coerced to the type and checked against the declaration
before the run starts, every problem at once; a variable with a default may be unset
(``required: true`` makes it needed anyway). ``${env.NAME}`` then has that type, and the
workflow's ``runtime.max_concurrency`` and ``runtime.timeout`` may be written with it.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Iterable, Mapping
from typing import Any

from kailash_cli.errors import ExpressionError, UsageError
from kailash_cli.load.params import _safe_check, coerce
from kailash_cli.model.evaluation import Scope, compile_value
from kailash_cli.model.workflow import Param, Workflow

#: runtime fields that may be written as an expression: (kind, how to read it, lowest value)
RUNTIME_FIELDS = {"max_concurrency": ("an integer >= 1", int, 1), "timeout": ("a number > 0", float, 0)}


def typed_env(workflow: Workflow, environ: Mapping[str, str], needed: Iterable[str] = ()) -> dict[str, Any]:
    """The declared variables' values (typed for the mapping form); UsageError lists every
    variable that is missing (of ``workflow.env`` and ``needed``) or does not fit its type."""
    values: dict[str, Any] = {}
    missing: list[str] = []
    errors: list[str] = []
    for name in dict.fromkeys([*workflow.env, *needed]):
        declared = workflow.env_types.get(name)
        if name in environ:
            if declared is None:
                values[name] = environ[name]
                continue
            problem = _typed(name, environ[name], declared, values)
            if problem:
                errors.append(f"environment variable {name}: {problem}")
        elif declared is not None and declared.has_default and not declared.required:
            values[name] = declared.default
        else:
            missing.append(name)
    if missing:
        errors.insert(
            0,
            f"missing environment variable(s): {', '.join(missing)}; "
            "export them before the run (the workflow needs them)",
        )
    if errors:
        raise UsageError("\n".join(errors))
    return values


def _typed(name: str, text: str, declared: Param, values: dict[str, Any]) -> str | None:
    try:
        value = coerce(text, declared)
    except ValueError as e:
        return str(e)
    problem = _safe_check(value, declared.schema)
    if problem is None:
        values[name] = value
    return problem


def resolve_runtime(workflow: Workflow, environ: Mapping[str, str]) -> Workflow:
    """``workflow`` with the ``${...}`` of its runtime fields evaluated (typed env, environment)."""
    written = {k: v for k, v in workflow.runtime.items() if k in RUNTIME_FIELDS and isinstance(v, str)}
    if not written:
        return workflow
    scope = Scope({"env": {**environ, **typed_env(workflow, environ)}}, environ)
    runtime = dict(workflow.runtime)
    errors = []
    for key, text in written.items():
        kind, read, lowest = RUNTIME_FIELDS[key]
        resolve = compile_value(text)
        value: Any = text
        try:
            value = resolve(scope) if resolve else text
            number = read(value)
            if (
                isinstance(value, bool)
                or not math.isfinite(number)
                or number < lowest
                or (lowest == 0 and number == 0)
            ):
                raise ValueError
            if read is int and float(value) != number:
                raise ValueError
            runtime[key] = number
        except ExpressionError as e:
            errors.append(f"runtime.{key}: {e}")
        except (TypeError, ValueError, OverflowError):
            errors.append(f"runtime.{key}: {text} gave {value!r}; expected {kind}")
    if errors:
        raise UsageError("\n".join(errors))
    return dataclasses.replace(workflow, runtime=runtime)

"""Workflow params: their declarations, and the values given with -p and --params-file."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from kailash_cli.errors import UsageError
from kailash_cli.model import Param
from kailash_cli.result import Problem
from kailash_cli.schemas import check_value, did_you_mean
from kailash_cli.yaml_io import Document, load

_TRUE = {"true", "yes", "on", "1"}
_FALSE = {"false", "no", "off", "0"}
_NOT_JSON = object()


def check_declarations(doc: Document, params: dict[str, Any]) -> list[Problem]:
    """KV401 for a default that does not fit its own declaration, or a bad pattern."""
    problems = []
    for name, spec in params.items():
        if not isinstance(spec, dict) or not isinstance(spec.get("type"), str):
            continue
        path = ("params", name)
        if isinstance(spec.get("pattern"), str):
            try:
                re.compile(spec["pattern"])
            except re.error as e:
                problems.append(doc.problem("KV401", f"param '{name}': pattern is not a valid "
                                            f"regular expression: {e}", (*path, "pattern"),
                                            fix="fix the regular expression"))
                continue
        if "default" in spec:
            schema = {k: v for k, v in spec.items() if k not in ("required", "default", "description")}
            error = _safe_check(spec["default"], schema)
            if error:
                problems.append(doc.problem("KV401", f"param '{name}': default {error}",
                                            (*path, "default"),
                                            fix=f"make the default fit type {spec['type']}"))
            if spec.get("required") is True:
                problems.append(doc.problem("KV402", f"param '{name}' is required and has a "
                                            "default; the default is never used", (*path, "required"),
                                            fix="remove required: true or the default",
                                            severity="warning"))
    return problems


def _safe_check(value: Any, schema: dict[str, Any]) -> str | None:
    try:
        return check_value(value, schema)
    except Exception as e:  # a schema fragment jsonschema cannot use (bad items:, ...)
        return f"cannot be checked: {str(e).splitlines()[0].rstrip(':')}"  # one line, no dump


def coerce(text: str, param: Param) -> Any:
    """Turn command-line text into the param's type; ValueError says why not."""
    kind = param.type
    if kind == "string":
        return text
    if kind == "integer":
        try:
            return int(text)
        except ValueError:
            raise ValueError(f"expected an integer, got '{text}'") from None
    if kind == "number":
        try:
            number = float(text)
        except ValueError:
            raise ValueError(f"expected a number, got '{text}'") from None
        return int(number) if number.is_integer() and re.fullmatch(r"[-+]?\d+", text) else number
    if kind == "boolean":
        if text.lower() in _TRUE | _FALSE:
            return text.lower() in _TRUE
        raise ValueError(f"expected true or false, got '{text}'")
    try:
        value = json.loads(text)
    except json.JSONDecodeError:
        value = None if kind == "array" else _NOT_JSON
    if kind == "array" and not isinstance(value, list):  # a comma list: a,b,c (or one item)
        return [item.strip() for item in text.split(",")] if text else []
    if value is _NOT_JSON:
        raise ValueError(f"expected a JSON object, got '{text}'")
    return value


def read_params_file(path: Path) -> dict[str, Any]:
    doc = load(path)
    if doc.problems:
        first = doc.problems[0]
        where = ":".join(str(p) for p in (first.file, first.line, first.column) if p is not None)
        raise UsageError(f"{where}: {first.message}")
    if doc.data is None:
        return {}
    if not isinstance(doc.data, dict):
        raise UsageError(f"{path}: a params file must be a mapping of param names to values")
    return doc.data


def resolve(declared: dict[str, Param], cli: list[str], file_values: dict[str, Any],
            source: str = "--params-file") -> dict[str, Any]:
    """Every param's value; UsageError lists every bad, unknown or missing param at once."""
    values: dict[str, Any] = {}
    errors: list[str] = []
    for name, value in file_values.items():
        if name not in declared:
            errors.append(f"{source}: unknown param '{name}'{did_you_mean(name, declared)}")
        else:
            values[name] = value
    for item in cli:
        name, sep, text = item.partition("=")
        name = name.strip()
        if not sep or not name:
            errors.append(f"-p {item}: expected KEY=VALUE")
        elif name not in declared:
            errors.append(f"-p {name}: unknown param '{name}'{did_you_mean(name, declared)}")
        else:
            try:
                values[name] = coerce(text, declared[name])
            except ValueError as e:
                errors.append(f"-p {name}: {e}")
    for name, param in declared.items():
        if name in values:
            problem = _safe_check(values[name], param.schema)
            if problem:
                errors.append(f"param '{name}': {problem}")  # the message shows the value
        elif param.has_default:
            values[name] = param.default
        elif param.required:
            errors.append(f"missing required param '{name}'"
                          + (f" ({param.description})" if param.description else "")
                          + f"; pass -p {name}=VALUE")
        else:
            values[name] = None
    if errors:
        raise UsageError("\n".join(errors))
    return values

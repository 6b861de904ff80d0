"""Workflow params: their declarations, and the values given with -p and --params-file."""

from __future__ import annotations

import json
import math
import re
from pathlib import Path
from typing import Any

from kailash_cli.errors import UsageError
from kailash_cli.load.patterns import (
    MAX_EXPANSION,
    PatternTooLarge,
    check_size,
    check_with_patterns,
    has_pattern,
)
from kailash_cli.load.yaml_io import Document, load
from kailash_cli.model.result import Problem
from kailash_cli.model.workflow import Param
from kailash_cli.schema.messages import did_you_mean
from kailash_cli.schema.schemas import check_value, non_finite

_TRUE = {"true", "yes", "on", "1"}
_FALSE = {"false", "no", "off", "0"}
_YAML11_BOOLEANS = {"yes", "no", "on", "off", "y", "n"}  # booleans in YAML 1.1, text in YAML 1.2
_NOT_JSON = object()


class ParamsFile(dict[str, Any]):
    """The values of a params file, plus where each one is written (``file:line:col``).

    A plain dict to every caller; :func:`resolve` uses ``locations`` to place its errors.
    """

    def __init__(
        self,
        values: dict[str, Any],
        locations: dict[str, str] | None = None,
        key_locations: dict[str, str] | None = None,
    ) -> None:
        super().__init__(values)
        self.locations = locations or {}  # of each value
        self.key_locations = key_locations or {}  # of each name


def check_declarations(doc: Document, params: dict[str, Any], section: str = "params") -> list[Problem]:
    """KV401 for a default that does not fit its own declaration, or a bad pattern
    (``section``: ``params``, or ``env`` for typed environment variables)."""
    problems = []
    what = "param" if section == "params" else "environment variable"
    for name, spec in params.items():
        if not isinstance(spec, dict) or not isinstance(spec.get("type"), str):
            continue
        path = (section, name)
        if isinstance(spec.get("pattern"), str):
            try:
                check_size(spec["pattern"])  # before compiling: a{65535}{65535} takes gigabytes
                re.compile(spec["pattern"])
            except PatternTooLarge:
                problems.append(
                    doc.problem(
                        "KV401",
                        f"{what} '{name}': pattern repeats more than {MAX_EXPANSION:,} steps "
                        "(counted repetitions multiply: a{1000}{1000} is a million)",
                        (*path, "pattern"),
                        fix="use smaller repetition counts",
                    )
                )
                continue
            except (re.error, OverflowError) as e:  # OverflowError: a count past what re takes
                problems.append(
                    doc.problem(
                        "KV401",
                        f"{what} '{name}': pattern is not a valid regular expression: {e}",
                        (*path, "pattern"),
                        fix="fix the regular expression",
                    )
                )
                continue
        if "default" in spec:
            schema = {k: v for k, v in spec.items() if k not in ("required", "default", "description")}
            error = _safe_check(spec["default"], schema)
            if error:
                problems.append(
                    doc.problem(
                        "KV401",
                        f"{what} '{name}': default {error}",
                        (*path, "default"),
                        fix=f"make the default fit type {spec['type']}",
                    )
                )
            if spec.get("required") is True:
                problems.append(
                    doc.problem(
                        "KV402",
                        f"{what} '{name}' is required and has a default; the default is never used",
                        (*path, "required"),
                        fix="remove required: true or the default",
                        severity="warning",
                    )
                )
    return problems


def _safe_check(value: Any, schema: dict[str, Any]) -> str | None:
    try:
        if has_pattern(schema):  # matched under a timeout (ReDoS), after everything else
            return check_value(value, _without_patterns(schema)) or check_with_patterns(value, schema)
        return check_value(value, schema)
    except Exception as e:  # a schema fragment jsonschema cannot use (bad items:, ...)
        text = str(e) or type(e).__name__  # a MemoryError says nothing
        return f"cannot be checked: {text.splitlines()[0].rstrip(':')}"  # one line, no dump


def _without_patterns(schema: Any) -> Any:
    if isinstance(schema, dict):
        return {k: _without_patterns(v) for k, v in schema.items() if k != "pattern"}
    if isinstance(schema, list):
        return [_without_patterns(v) for v in schema]
    return schema


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
        if re.fullmatch(r"[-+]?\d+", text.strip()):
            return int(text)  # exact, however long (float() would round or overflow)
        try:
            number = float(text)
        except ValueError:
            raise ValueError(f"expected a number, got '{text}'") from None
        if not math.isfinite(number):  # nan, inf, 1e999: JSON has no such numbers
            raise ValueError(f"expected a finite number, got '{text}'")
        return number
    if kind == "boolean":
        if text.lower() in _TRUE | _FALSE:
            return text.lower() in _TRUE
        raise ValueError(f"expected true or false, got '{text}'")
    try:
        value = json.loads(text)
    except json.JSONDecodeError as e:
        if text.lstrip().startswith(("[", "{")):  # meant as JSON: never split into strings
            raise ValueError(
                f"'{text}' looks like JSON but does not parse: {e.msg} at character {e.pos + 1}"
            ) from None
        value = _NOT_JSON
    except RecursionError:
        raise ValueError("the JSON value is nested too deeply") from None
    if kind == "array":
        if value is _NOT_JSON or value is None or isinstance(value, bool | int | float):
            # a comma list: a,b,c (or one item; a lone number or word is one item too)
            return [item.strip() for item in text.split(",")] if text else []
        if not isinstance(value, list):  # {"x": 1} or "text": JSON, but not a list
            raise ValueError(f"expected a JSON array or a comma-separated list, got '{text}'")
    elif not isinstance(value, dict):
        raise ValueError(f"expected a JSON object, got '{text}'")
    where = _non_finite(value)
    if where is not None:  # NaN, Infinity, 1e999 inside
        raise ValueError(f"expected finite numbers, got NaN or Infinity at {where.lstrip('.')}")
    return value


def _non_finite(value: Any) -> str | None:
    """Where a NaN or infinite number is in ``value`` ("" for the value itself), else None."""
    found = non_finite(value)
    return None if found is None else found[0]


def read_params_file(path: Path) -> ParamsFile:
    """The values of a params file, with where each is written (for :func:`resolve`'s errors)."""
    doc = load(path)
    if doc.problems:
        first = doc.problems[0]
        where = ":".join(str(p) for p in (first.file, first.line, first.column) if p is not None)
        raise UsageError(f"{where}: {first.message}")
    if doc.data is None:
        return ParamsFile({})
    if not isinstance(doc.data, dict):
        raise UsageError(f"{path}: a params file must be a mapping of param names to values")

    def located(name: str, key: bool) -> str:
        line, col = doc.position((name,), key=key) or (None, None)
        return ":".join(str(p) for p in (doc.file, line, col) if p is not None)

    return ParamsFile(
        doc.data,
        {name: located(name, False) for name in doc.data},
        {name: located(name, True) for name in doc.data},
    )


def _known(declared: dict[str, Param]) -> str:
    return f"known params: {', '.join(declared)}" if declared else "this workflow has no params"


def _hint(value: Any, param: Param) -> str:
    if param.type == "boolean" and isinstance(value, str) and value.lower() in _YAML11_BOOLEANS:
        return "; YAML 1.2 reads yes/no as text: write true or false"
    return ""


def _utf8_error(item: str) -> str | None:
    """Why a -p item is not valid UTF-8 text (undecodable bytes arrive as lone surrogates)."""
    name, _, text = item.partition("=")
    try:
        name.encode("utf-8")
    except UnicodeEncodeError:
        return "-p: the param name is not valid UTF-8"
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return f"-p {name.strip()}: the value is not valid UTF-8"
    return None


def resolve(
    declared: dict[str, Param], cli: list[str], file_values: dict[str, Any], source: str = "--params-file"
) -> dict[str, Any]:
    """Every param's value; UsageError lists every bad, unknown or missing param at once.

    When ``file_values`` is a :class:`ParamsFile` its errors are located ``file:line:col``.
    """
    values: dict[str, Any] = {}
    errors: list[str] = []
    unknown = False
    value_at: dict[str, str] = getattr(file_values, "locations", {})
    key_at: dict[str, str] = getattr(file_values, "key_locations", {})
    where: dict[str, str] = {}  # name -> location prefix of a value that came from the file
    refused: set[str] = set()  # given, but its value was refused (reported once, not as missing)
    for name, value in file_values.items():
        if name not in declared:
            place, unknown = key_at.get(name, source), True
            errors.append(f"{place}: unknown param '{name}'{did_you_mean(name, declared)}")
        else:
            values[name] = value
            if name in value_at:
                where[name] = f"{value_at[name]}: "
    for item in cli:
        bad_text = _utf8_error(item)
        if bad_text:
            errors.append(bad_text)
            continue
        name, sep, text = item.partition("=")
        name = name.strip()
        if not sep or not name:
            errors.append(f"-p {item}: expected KEY=VALUE")
        elif name not in declared:
            unknown = True
            errors.append(f"-p {name}: unknown param '{name}'{did_you_mean(name, declared)}")
        else:
            try:
                values[name] = coerce(text, declared[name])
                where.pop(name, None)  # the command line wins over the file
            except ValueError as e:
                refused.add(name)
                errors.append(f"-p {name}: {e}")
    for name, param in declared.items():
        if name in values:
            value = values[name]
            bad = _non_finite(value)  # a params file can hold .nan, .inf or 1e999
            if bad is not None:
                problem: str | None = (
                    f"expected a finite number, got {value}"
                    if not bad
                    else f"expected finite numbers, got NaN or Infinity at {bad.lstrip('.')}"
                )
            else:
                problem = _safe_check(value, param.schema)
            if problem:  # the message shows the value
                errors.append(f"{where.get(name, '')}param '{name}': {problem}{_hint(value, param)}")
        elif name in refused:
            continue
        elif param.has_default:
            values[name] = param.default
        elif param.required:
            errors.append(
                f"missing required param '{name}'"
                + (f" ({param.description})" if param.description else "")
                + f"; pass -p {name}=VALUE"
            )
        else:
            values[name] = None
    if unknown:
        errors.append(_known(declared))  # once, however many names were unknown
    if errors:
        raise UsageError("\n".join(errors))
    return values

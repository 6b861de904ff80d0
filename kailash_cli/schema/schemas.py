"""The packaged JSON Schemas, and validation that turns their errors into located problems.

Only this module knows where the schema files live: inside the wheel they are
``kailash_cli/schemas``; in a source checkout (editable install) they are ``schemas/``
at the top of the repository.
"""

from __future__ import annotations

import difflib
import json
import math
import re
from collections.abc import Mapping
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from kailash_cli.load.yaml_io import Document, JsonPath
from kailash_cli.model.result import Problem
from kailash_cli.schema.fastcheck import Check, compile_schema

if TYPE_CHECKING:  # jsonschema is imported only when a value is invalid (fastcheck decides the rest)
    from jsonschema import Draft202012Validator
    from jsonschema.exceptions import ValidationError

_HERE = Path(__file__).resolve().parent.parent
_TYPE_NAMES = {
    "string": "a string",
    "integer": "an integer",
    "number": "a number",
    "boolean": "true or false",
    "array": "a list",
    "object": "a mapping",
    "null": "null",
}


def schema_dir() -> Path:
    packaged = _HERE / "schemas"
    return packaged if packaged.is_dir() else _HERE.parent / "schemas"


@cache
def load_schema(name: str) -> dict[str, Any]:
    """``name`` is a path below the schema folder, e.g. ``workflow`` or ``nodes/CSVReaderNode``."""
    with open(schema_dir() / f"{name}.schema.json", encoding="utf-8") as f:
        return json.load(f)  # type: ignore[no-any-return]


@cache
def _validator(name: str) -> Draft202012Validator:
    from jsonschema import Draft202012Validator

    return Draft202012Validator(load_schema(name))


@cache
def _fast_check(name: str, skip_required: bool, expressions: bool) -> Check | None:
    return compile_schema(load_schema(name), ignore_root_required=skip_required, expressions=expressions)


def property_defaults(name: str) -> dict[str, Any]:
    props = load_schema(name).get("properties", {})
    return {key: spec["default"] for key, spec in props.items() if "default" in spec}


def describe_type(value: Any) -> str:
    for json_type, python_types in (
        ("null", type(None)),
        ("boolean", bool),
        ("integer", int),
        ("number", float),
        ("string", str),
        ("array", list),
        ("object", dict),
    ):
        if isinstance(value, python_types):
            return json_type
    return type(value).__name__


def non_finite(value: Any, where: str = "") -> tuple[str, float] | None:
    """Where (``data[2].score``; "" for the value itself) the first NaN or infinite number in
    ``value`` is, and that number: JSON cannot represent either."""
    if isinstance(value, float):
        return None if math.isfinite(value) else (where, value)
    if isinstance(value, Mapping):
        items: Any = ((f"{where}.{k}", v) for k, v in value.items())
    elif isinstance(value, list | tuple):
        items = ((f"{where}[{i}]", v) for i, v in enumerate(value))
    else:
        return None
    for path, item in items:
        found = non_finite(item, path)
        if found is not None:
            return found
    return None


def did_you_mean(word: str, choices: Any) -> str:
    match = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.6)
    return f" (did you mean '{match[0]}'?)" if match else ""


def dotted(path: JsonPath) -> str:
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "the document"


def _is_expression(value: Any) -> bool:
    return isinstance(value, str) and "${" in value


def _schema_props(schema: dict[str, Any]) -> tuple[dict[str, Any], list[str]]:
    return schema.get("properties", {}), list(schema.get("patternProperties", {}))


def _convert(error: ValidationError, doc: Document, base: JsonPath) -> list[Problem]:
    path = (*base, *error.absolute_path)
    where = dotted(path)
    keyword = error.validator
    if keyword in ("anyOf", "oneOf") and error.context:
        # a branch whose type the value does not have says nothing useful about the value
        branches = [e for e in error.context if e.validator != "type" or e.relative_path]
        if not branches:
            names = [n for e in error.context for n in _as_list(e.validator_value)]
            return _type_problem(doc, path, where, list(dict.fromkeys(names)), error.instance)
        alternatives = _alternative_keys(error)
        if alternatives:
            return [_alternatives_problem(doc, path, where, error, alternatives)]
        from jsonschema.exceptions import best_match

        deepest = best_match(branches)
        if deepest.validator not in ("anyOf", "oneOf") and len(deepest.absolute_path) > 0:
            return _convert(deepest, doc, path[: len(path) - len(error.relative_path)])
    if keyword == "required":
        missing = [k for k in error.validator_value if k not in error.instance]
        return [
            doc.problem("KV101", f"{where}: missing required field '{k}'", path, fix=f"add '{k}:' to {where}")
            for k in missing
        ]
    if keyword == "additionalProperties":
        known, patterns = _schema_props(error.schema)
        extra = [k for k in error.instance if k not in known and not any(re.search(p, k) for p in patterns)]
        return [
            doc.problem(
                "KV102",
                f"{where}: unknown field '{k}'{did_you_mean(k, known)}",
                (*path, k),
                key=True,
                fix=f"remove '{k}' or use one of: " + ", ".join(sorted(known)),
            )
            for k in extra
        ]
    if keyword == "type":
        return _type_problem(doc, path, where, _as_list(error.validator_value), error.instance)
    if keyword == "enum":
        options = ", ".join(json.dumps(v) for v in error.validator_value)
        hint = did_you_mean(str(error.instance), [str(v) for v in error.validator_value])
        return [
            doc.problem(
                "KV104",
                f"{where}: {json.dumps(error.instance)} is not allowed{hint}",
                path,
                fix=f"use one of: {options}",
            )
        ]
    if "propertyNames" in list(error.relative_schema_path)[-2:]:  # a bad key: locate the key
        return [
            doc.problem(
                "KV104",
                f"{where}: name '{error.instance}' is not allowed",
                (*path, str(error.instance)),
                key=True,
                fix="use letters, digits and '_', not starting with a digit",
            )
        ]
    message = error.message.replace("\n", " ")
    return [doc.problem("KV104", f"{where}: {message}", path, fix=_fix_for(error))]


def _as_list(value: Any) -> list[str]:
    return [value] if isinstance(value, str) else list(value)


def _type_problem(
    doc: Document, path: JsonPath, where: str, names: list[str], instance: Any
) -> list[Problem]:
    wanted = " or ".join(_TYPE_NAMES.get(n, n) for n in names)
    return [
        doc.problem(
            "KV103",
            f"{where} must be {wanted}, got {describe_type(instance)}",
            path,
            fix=f"write {wanted} here",
        )
    ]


def _alternative_keys(error: ValidationError) -> list[str]:
    """The keys a oneOf/anyOf offers as alternatives, when every branch failed only on
    ``required``/``not`` at the value itself (PythonCodeNode: ``function`` or ``code``)."""
    if not all(e.validator in ("required", "not") and not e.relative_path for e in error.context or ()):
        return []
    keys: list[str] = []
    for branch in error.validator_value:
        if isinstance(branch, dict):
            keys.extend(k for k in branch.get("required", ()) if isinstance(k, str))
    return list(dict.fromkeys(keys))


def _alternatives_problem(
    doc: Document, path: JsonPath, where: str, error: ValidationError, keys: list[str]
) -> Problem:
    quoted = [f"'{k}'" for k in keys]
    choice = ", ".join(quoted[:-1]) + f" or {quoted[-1]}" if len(quoted) > 1 else quoted[0]
    title = error.schema.get("title") if isinstance(error.schema, dict) else None
    who = where
    if len(path) == 3 and path[0] == "nodes" and path[2] == "config" and isinstance(title, str):
        who = f"node '{path[1]}' ({title})"
    present = [k for k in keys if isinstance(error.instance, dict) and k in error.instance]
    if error.validator == "oneOf":
        message = f"{who} needs exactly one of {choice}"
        fix = f"keep only one of {', '.join(quoted)}" if len(present) > 1 else f"add {choice}"
    else:
        message, fix = f"{who} needs at least one of {choice}", f"add {choice}"
    return doc.problem("KV104", message, path, fix=fix)


def _plural(count: Any, word: str) -> str:
    return f"{count} {word}" if count == 1 else f"{count} {word}s"


def _fix_for(error: ValidationError) -> str | None:
    """What to write instead, for the keywords whose message alone does not say it."""
    bound = error.validator_value
    keyword = error.validator
    if keyword == "pattern":
        desc = _description(error)
        return desc or f"match the pattern {bound}"
    if keyword in _BOUND_FIXES:
        return _BOUND_FIXES[keyword].format(bound=bound)
    if keyword == "minLength":
        return "write a non-empty string" if bound == 1 else f"use at least {_plural(bound, 'character')}"
    if keyword == "maxLength":
        return f"use at most {_plural(bound, 'character')}"
    if keyword == "minItems":
        return f"list at least {_plural(bound, 'item')}"
    if keyword == "maxItems":
        return f"list at most {_plural(bound, 'item')}"
    if keyword == "minProperties":
        if list(error.absolute_path) == ["nodes"]:
            return "add at least one node"
        return f"add at least {_plural(bound, 'entry').replace('entrys', 'entries')}"
    if keyword == "maxProperties":
        return f"keep at most {_plural(bound, 'entry').replace('entrys', 'entries')}"
    if keyword == "uniqueItems":
        return "remove the repeated entries"
    if keyword in ("anyOf", "oneOf"):
        return _description(error)
    return None


_BOUND_FIXES = {
    "minimum": "use a number >= {bound}",
    "maximum": "use a number <= {bound}",
    "exclusiveMinimum": "use a number > {bound}",
    "exclusiveMaximum": "use a number < {bound}",
}


def _description(error: ValidationError) -> str | None:
    """The schema's own description of the value; for a failed anyOf/oneOf branch without
    one, the description of the schema holding the branches (config sizes, durations)."""
    current: ValidationError | None = error
    while current is not None:
        desc = current.schema.get("description") if isinstance(current.schema, dict) else None
        if isinstance(desc, str):
            return desc
        current = (
            current.parent
            if current.parent is not None and current.parent.validator in ("anyOf", "oneOf")
            else None
        )
    return None


def validate(
    doc: Document,
    instance: Any,
    name: str,
    base: JsonPath = (),
    *,
    skip_required: bool = False,
    expressions: bool = False,
) -> list[Problem]:
    """Validate ``instance`` (found at ``base`` in ``doc``) against schema ``name``.

    With ``expressions`` (node configs), values that are expressions (``${...}``) are
    checked at run time, once resolved, so keyword errors on them are not reported here.
    Elsewhere (timeouts, retry, runtime, ...) values are used as written, so they are checked.
    """
    fast = _fast_check(name, skip_required, expressions)
    if fast is not None and fast(instance):
        return []  # valid: jsonschema would report nothing (see schema_check)
    problems: list[Problem] = []
    for error in _validator(name).iter_errors(instance):
        if expressions and _is_expression(error.instance):
            continue
        if skip_required and error.validator == "required" and not error.absolute_path:
            continue
        problems.extend(_convert(error, doc, base))
    return problems


def check_value(value: Any, schema: dict[str, Any]) -> str | None:
    """First error of ``value`` against a schema fragment, as text, or None."""
    fast = compile_schema(schema)
    try:
        if fast is not None and fast(value):
            return None
    except (TypeError, ValueError, AttributeError, re.error):  # a bad fragment: jsonschema says how
        pass
    from jsonschema import Draft202012Validator
    from jsonschema.exceptions import best_match

    error = best_match(Draft202012Validator(schema).iter_errors(value), key=lambda e: 0)
    if error is None:
        return None
    if error.validator == "type":
        expected = _TYPE_NAMES.get(str(error.validator_value), error.validator_value)
        return f"must be {expected}, got {describe_type(value)}"
    return str(error.message)

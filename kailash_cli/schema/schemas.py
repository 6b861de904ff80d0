"""The packaged JSON Schemas, and validation that turns their errors into located problems.

Only this module knows where the schema files live: inside the wheel they are
``kailash_cli/schemas``; in a source checkout (editable install) they are ``schemas/``
at the top of the repository. How each error is worded is ``schema/messages.py``.
"""

from __future__ import annotations

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
from kailash_cli.schema.messages import TYPE_NAMES, convert, describe_type

if TYPE_CHECKING:  # jsonschema is imported only when a value is invalid (fastcheck decides the rest)
    from jsonschema import Draft202012Validator

_HERE = Path(__file__).resolve().parent.parent


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


#: node configs found valid, by schema and content: those of text, whole numbers, booleans
#: and nulls only (a float may be NaN, which equals nothing; 1 and True are told apart)
_VALID: dict[tuple[Any, ...], bool] = {}
_VALID_MAX = 4096
_FLAT = frozenset({str, int, bool, type(None)})
_TEXT = frozenset({str})


def _flat_key(name: str, skip_required: bool, instance: Any) -> tuple[Any, ...] | None:
    """What a flat config's verdict depends on, or None for any other instance."""
    if type(instance) is not dict:
        return None
    kinds = tuple(map(type, instance.values()))
    if not _FLAT.issuperset(kinds) or not _TEXT.issuperset(map(type, instance)):
        return None
    return name, skip_required, tuple(instance.items()), kinds


def property_defaults(name: str) -> dict[str, Any]:
    props = load_schema(name).get("properties", {})
    return {key: spec["default"] for key, spec in props.items() if "default" in spec}


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


def _is_expression(value: Any) -> bool:
    return isinstance(value, str) and "${" in value


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
    key = _flat_key(name, skip_required, instance) if expressions else None
    if key is not None and key in _VALID:
        return []  # the same config was valid before (nodes of a large workflow repeat theirs)
    fast = _fast_check(name, skip_required, expressions)
    if fast is not None and fast(instance):
        if key is not None:
            if len(_VALID) >= _VALID_MAX:
                _VALID.clear()
            _VALID[key] = True
        return []  # valid: jsonschema would report nothing (see schema_check)
    problems: list[Problem] = []
    for error in _validator(name).iter_errors(instance):
        if expressions and _is_expression(error.instance):
            continue
        if skip_required and error.validator == "required" and not error.absolute_path:
            continue
        problems.extend(convert(error, doc, base))
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
        expected = TYPE_NAMES.get(str(error.validator_value), error.validator_value)
        return f"must be {expected}, got {describe_type(value)}"
    return str(error.message)

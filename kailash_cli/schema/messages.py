"""How schema findings are worded: jsonschema errors turned into located problems.

``convert`` makes each jsonschema error one or more findings (KV101 missing field, KV102
unknown field, KV103 wrong type, KV104 any other value), at the path the error names and
with a fix: the schema's own description where it has one, else a fix per keyword. The
small helpers every message uses (``did_you_mean``, ``dotted``, ``describe_type``) live
here too. jsonschema itself is imported only when a value is invalid.
"""

from __future__ import annotations

import difflib
import json
import re
from typing import TYPE_CHECKING, Any

from kailash_cli.load.yaml_io import Document, JsonPath
from kailash_cli.model.result import Problem

if TYPE_CHECKING:  # jsonschema is imported only when a value is invalid (fastcheck decides the rest)
    from jsonschema.exceptions import ValidationError

TYPE_NAMES = {
    "string": "a string",
    "integer": "an integer",
    "number": "a number",
    "boolean": "true or false",
    "array": "a list",
    "object": "a mapping",
    "null": "null",
}


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


def did_you_mean(word: str, choices: Any) -> str:
    match = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.6)
    return f" (did you mean '{match[0]}'?)" if match else ""


def dotted(path: JsonPath) -> str:
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "the document"


def _schema_props(schema: dict[str, Any]) -> tuple[dict[str, Any], list[str]]:
    return schema.get("properties", {}), list(schema.get("patternProperties", {}))


def convert(error: ValidationError, doc: Document, base: JsonPath) -> list[Problem]:
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
            return convert(deepest, doc, path[: len(path) - len(error.relative_path)])
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
    form = expected_form(error)
    if "propertyNames" in list(error.relative_schema_path)[-2:]:  # a bad key: locate the key
        return [
            doc.problem(
                "KV104",
                f"{where}: name '{error.instance}' is not allowed" + (f": expected {form}" if form else ""),
                (*path, str(error.instance)),
                key=True,
                fix=f"write {form}" if form else "use letters, digits and '_', not starting with a digit",
            )
        ]
    if keyword == "pattern":
        said = f"is not {form}" if form else "is not in the form this value takes"
        return [doc.problem("KV104", f"{where}: '{error.instance}' {said}", path, fix=_fix_for(error))]
    message = error.message.replace("\n", " ")
    return [doc.problem("KV104", f"{where}: {message}", path, fix=_fix_for(error))]


def expected_form(error: ValidationError) -> str | None:
    """What a ``pattern`` stands for, in words: the schema's ``patternErrorMessage`` ("Expected
    a size like 50MB.", the keyword VS Code and the YAML language server show too), so no
    message ever shows the regular expression itself."""
    text = error.schema.get("patternErrorMessage") if isinstance(error.schema, dict) else None
    if error.validator != "pattern" or not isinstance(text, str):
        return None
    return text.removeprefix("Expected ").rstrip(".")


def _as_list(value: Any) -> list[str]:
    return [value] if isinstance(value, str) else list(value)


def _type_problem(
    doc: Document, path: JsonPath, where: str, names: list[str], instance: Any
) -> list[Problem]:
    wanted = " or ".join(TYPE_NAMES.get(n, n) for n in names)
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
        form = expected_form(error)
        return f"write {form}" if form else _description(error) or "see the form in `kailash schema`"
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

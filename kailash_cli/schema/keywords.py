"""The JSON Schema keywords :mod:`kailash_cli.schema.fastcheck` compiles, one builder each.

Each builder mirrors the keyword function of the same name in ``jsonschema._keywords``
and returns a predicate; a value it does not handle raises :class:`Unsupported`.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sized
from typing import TYPE_CHECKING, Any

from kailash_cli.schema.values import equal, is_integer, is_number

if TYPE_CHECKING:
    from kailash_cli.schema.fastcheck import Compiler

Check = Callable[[Any], bool]
_PLAIN_TYPES: dict[str, type] = {"object": dict, "array": list, "string": str, "boolean": bool}


class Unsupported(Exception):
    """The schema uses something this module does not decide; jsonschema will."""


def always(instance: Any) -> bool:
    return True


def never(instance: Any) -> bool:
    return False


def every(checks: list[Check]) -> Check:
    if not checks:
        return always
    if len(checks) == 1:
        return checks[0]

    def check_all(instance: Any) -> bool:
        for check in checks:  # noqa: SIM110 - a plain loop: all() over a generator is slower
            if not check(instance):
                return False
        return True

    return check_all


def _type(c: Compiler, value: Any, schema: dict[str, Any]) -> Check:
    names = [value] if isinstance(value, str) else value
    if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
        raise Unsupported(value)
    tests = [_type_test(name) for name in names]
    if len(tests) == 1:
        return tests[0]
    return lambda instance: any(test(instance) for test in tests)


def _type_test(name: str) -> Check:
    plain = _PLAIN_TYPES.get(name)
    if plain is not None:
        return lambda instance: isinstance(instance, plain)
    if name == "null":
        return lambda instance: instance is None
    if name == "integer":
        return is_integer
    if name == "number":
        return is_number
    raise Unsupported(name)


def _properties(c: Compiler, value: Any, schema: dict[str, Any]) -> Check:
    checks = {name: c.compile(sub) for name, sub in value.items()}

    def check(instance: Any) -> bool:
        if not isinstance(instance, dict):
            return True
        for name, item in instance.items():  # the same pairs as walking the schema's names
            sub = checks.get(name)
            if sub is not None and not sub(item):
                return False
        return True

    return check


def _pattern_properties(c: Compiler, value: Any, schema: dict[str, Any]) -> Check:
    checks = [(_regex(pattern).search, c.compile(sub)) for pattern, sub in value.items()]

    def check(instance: Any) -> bool:
        if not isinstance(instance, dict):
            return True
        return all(sub(item) for search, sub in checks for key, item in instance.items() if search(key))

    return check


def _additional_properties(c: Compiler, value: Any, schema: dict[str, Any]) -> Check:
    known = schema.get("properties", {})
    patterns = "|".join(schema.get("patternProperties", {}))
    search = _regex(patterns).search if patterns else None
    extra = c.compile(value) if isinstance(value, dict) else (always if value else never)
    if extra is always:
        return always

    def check(instance: Any) -> bool:
        if not isinstance(instance, dict):
            return True
        for key, item in instance.items():
            if key not in known and not (search and search(key)) and not extra(item):
                return False
        return True

    return check


def _property_names(c: Compiler, value: Any, schema: dict[str, Any]) -> Check:
    names = c.compile(value)
    return lambda instance: not isinstance(instance, dict) or all(names(k) for k in instance)


def _required(c: Compiler, value: Any, schema: dict[str, Any]) -> Check:
    names = tuple(value)
    if len(names) == 1:
        name = names[0]
        return lambda instance: not isinstance(instance, dict) or name in instance
    return lambda instance: not isinstance(instance, dict) or all(n in instance for n in names)


def _items(c: Compiler, value: Any, schema: dict[str, Any]) -> Check:
    if "prefixItems" in schema:
        raise Unsupported("prefixItems")
    item = c.compile(value)
    return lambda instance: not isinstance(instance, list) or all(item(x) for x in instance)


def _size(kind: type[Sized], least: bool) -> Callable[[Compiler, Any, dict[str, Any]], Check]:
    def build(c: Compiler, value: Any, schema: dict[str, Any]) -> Check:
        if least:
            return lambda instance: not isinstance(instance, kind) or not len(instance) < value
        return lambda instance: not isinstance(instance, kind) or not len(instance) > value

    return build


def _bound(test: Callable[[Any, Any], bool]) -> Callable[[Compiler, Any, dict[str, Any]], Check]:
    def build(c: Compiler, value: Any, schema: dict[str, Any]) -> Check:
        return lambda instance: not is_number(instance) or test(instance, value)

    return build


def _pattern(c: Compiler, value: Any, schema: dict[str, Any]) -> Check:
    search = _regex(value).search
    return lambda instance: not isinstance(instance, str) or search(instance) is not None


def _regex(pattern: Any) -> re.Pattern[str]:
    """``pattern`` compiled once (jsonschema calls ``re.search`` with it); a pattern ``re``
    cannot compile is left to jsonschema."""
    if not isinstance(pattern, str):
        raise Unsupported(pattern)
    try:
        return re.compile(pattern)
    except re.error:
        raise Unsupported(pattern) from None


def _any_of(c: Compiler, value: Any, schema: dict[str, Any]) -> Check:
    checks = c.many(value, branches=True)
    return lambda instance: any(check(instance) for check in checks)


def _all_of(c: Compiler, value: Any, schema: dict[str, Any]) -> Check:
    return every(c.many(value, branches=False))


def _one_of(c: Compiler, value: Any, schema: dict[str, Any]) -> Check:
    checks = c.many(value, branches=True)

    def check(instance: Any) -> bool:
        passed = 0
        for branch in checks:
            if branch(instance):
                passed += 1
                if passed > 1:  # no other branch can make it one
                    return False
        return passed == 1

    return check


def _not(c: Compiler, value: Any, schema: dict[str, Any]) -> Check:
    inner = c.strict.compile(value)
    return lambda instance: not inner(instance)


def _enum(c: Compiler, value: Any, schema: dict[str, Any]) -> Check:
    if not isinstance(value, list):
        raise Unsupported(value)
    return lambda instance: any(equal(each, instance) for each in value)


def _const(c: Compiler, value: Any, schema: dict[str, Any]) -> Check:
    return lambda instance: equal(instance, value)


def _unique_items(c: Compiler, value: Any, schema: dict[str, Any]) -> Check:
    if not value:
        return always
    slow: list[Check] = []

    def check(instance: Any) -> bool:
        if not isinstance(instance, list):
            return True
        if all(isinstance(item, str) for item in instance):
            return len(set(instance)) == len(instance)
        if not slow:  # anything else: jsonschema's own rules, imported only now
            from jsonschema import Draft202012Validator

            slow.append(Draft202012Validator({"uniqueItems": True}).is_valid)
        return slow[0](instance)

    return check


KEYWORDS: dict[str, Callable[[Compiler, Any, dict[str, Any]], Check]] = {
    "type": _type,
    "properties": _properties,
    "patternProperties": _pattern_properties,
    "additionalProperties": _additional_properties,
    "propertyNames": _property_names,
    "required": _required,
    "items": _items,
    "minItems": _size(list, True),
    "maxItems": _size(list, False),
    "minProperties": _size(dict, True),
    "maxProperties": _size(dict, False),
    "minLength": _size(str, True),
    "maxLength": _size(str, False),
    "minimum": _bound(lambda x, bound: not x < bound),  # "not <": NaN passes, as in jsonschema
    "maximum": _bound(lambda x, bound: not x > bound),
    "exclusiveMinimum": _bound(lambda x, bound: not x <= bound),
    "exclusiveMaximum": _bound(lambda x, bound: not x >= bound),
    "pattern": _pattern,
    "anyOf": _any_of,
    "allOf": _all_of,
    "oneOf": _one_of,
    "not": _not,
    "$ref": lambda c, value, schema: c.ref(value),
    "enum": _enum,
    "const": _const,
    "uniqueItems": _unique_items,
}

"""A JSON Schema compiled once into a plain predicate: is this instance valid?

jsonschema builds a validator object for every subschema it descends into; that costs
tens of microseconds per workflow node, most of the time of validating a large workflow.
For the keywords kailash's schemas use, :func:`compile_schema` turns a schema into nested
closures that answer valid / not valid by the rules of jsonschema's Draft 2020-12
validator (the keyword functions in ``jsonschema._keywords``, mirrored one by one).
It never imports jsonschema for an instance it finds valid, so checking a valid workflow
costs no jsonschema import.

It is a fast path only: when it answers "not valid", the caller runs jsonschema, whose
errors are what users see. A schema that uses any keyword not handled here compiles to
None, and jsonschema does all the work. ``enum`` and ``const`` use a copy of jsonschema's
equality (``true`` is not ``1``); ``uniqueItems`` over anything but strings is asked of
jsonschema.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sized
from typing import Any

from kailash_cli.schema.values import equal, is_integer, is_number

Check = Callable[[Any], bool]
_ANNOTATIONS = frozenset({"$schema", "$defs", "$comment", "title", "description", "default",
                          "examples", "deprecated", "readOnly", "writeOnly"})
_PLAIN_TYPES: dict[str, type] = {"object": dict, "array": list, "string": str, "boolean": bool}


class _Unsupported(Exception):
    """The schema uses something this module does not decide; jsonschema will."""


def compile_schema(schema: Any, *, ignore_root_required: bool = False) -> Check | None:
    """A predicate equal to ``Draft202012Validator(schema).is_valid``, or None.

    ``ignore_root_required`` leaves out the top-level ``required`` keyword: the answer is
    then "jsonschema reports no error other than a missing top-level field".
    """
    if ignore_root_required and isinstance(schema, dict) and ("allOf" in schema or "$ref" in schema):
        return None  # these could report a top-level missing field of their own
    try:
        return _Compiler(schema).compile(schema, root=True, skip_required=ignore_root_required)
    except (_Unsupported, AttributeError, TypeError):  # not a schema this module reads
        return None


def _always(instance: Any) -> bool:
    return True


def _never(instance: Any) -> bool:
    return False


def _all(checks: list[Check]) -> Check:
    if not checks:
        return _always
    if len(checks) == 1:
        return checks[0]

    def check_all(instance: Any) -> bool:
        for check in checks:  # noqa: SIM110 - a plain loop: all() over a generator is slower
            if not check(instance):
                return False
        return True
    return check_all


class _Compiler:
    def __init__(self, root: Any) -> None:
        self.root = root
        self.refs: dict[str, Check] = {}

    def compile(self, schema: Any, *, root: bool = False, skip_required: bool = False) -> Check:
        if schema is True:
            return _always
        if schema is False:
            return _never
        if not isinstance(schema, dict):
            raise _Unsupported(schema)
        checks = []
        for keyword, value in schema.items():
            if keyword in _ANNOTATIONS or (keyword == "$id" and root):
                continue
            if keyword == "required" and skip_required:
                continue
            build = _KEYWORDS.get(keyword)
            if build is None:
                raise _Unsupported(keyword)
            checks.append(build(self, value, schema))
        return _all(checks)

    def ref(self, ref: Any) -> Check:
        """A local ``#/...`` reference, compiled once (a recursive one refers to itself)."""
        if not isinstance(ref, str) or not (ref == "#" or ref.startswith("#/")) or "%" in ref:
            raise _Unsupported(ref)  # remote documents, anchors, escapes: jsonschema's job
        if ref not in self.refs:
            target: list[Check] = []
            self.refs[ref] = lambda instance: target[0](instance)
            target.append(self.compile(self._resolve(ref[1:])))
        return self.refs[ref]

    def _resolve(self, pointer: str) -> Any:
        found = self.root
        for token in pointer.split("/")[1:] if pointer else ():
            token = token.replace("~1", "/").replace("~0", "~")
            if not isinstance(found, dict) or token not in found:
                raise _Unsupported(pointer)
            found = found[token]
        return found

    def many(self, schemas: Any) -> list[Check]:
        if not isinstance(schemas, list) or not schemas:
            raise _Unsupported(schemas)
        return [self.compile(s) for s in schemas]


def _type(c: _Compiler, value: Any, schema: dict[str, Any]) -> Check:
    names = [value] if isinstance(value, str) else value
    if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
        raise _Unsupported(value)
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
    raise _Unsupported(name)



def _properties(c: _Compiler, value: Any, schema: dict[str, Any]) -> Check:
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


def _pattern_properties(c: _Compiler, value: Any, schema: dict[str, Any]) -> Check:
    checks = [(pattern, c.compile(sub)) for pattern, sub in value.items()]

    def check(instance: Any) -> bool:
        if not isinstance(instance, dict):
            return True
        return all(sub(item) for pattern, sub in checks for key, item in instance.items()
                   if re.search(pattern, key))
    return check


def _additional_properties(c: _Compiler, value: Any, schema: dict[str, Any]) -> Check:
    known = schema.get("properties", {})
    patterns = "|".join(schema.get("patternProperties", {}))
    extra = c.compile(value) if isinstance(value, dict) else (_always if value else _never)

    def check(instance: Any) -> bool:
        if not isinstance(instance, dict):
            return True
        for key, item in instance.items():
            if key not in known and not (patterns and re.search(patterns, key)) and not extra(item):
                return False
        return True
    return check


def _property_names(c: _Compiler, value: Any, schema: dict[str, Any]) -> Check:
    names = c.compile(value)
    return lambda instance: not isinstance(instance, dict) or all(names(k) for k in instance)


def _required(c: _Compiler, value: Any, schema: dict[str, Any]) -> Check:
    names = tuple(value)
    return lambda instance: not isinstance(instance, dict) or all(n in instance for n in names)


def _items(c: _Compiler, value: Any, schema: dict[str, Any]) -> Check:
    if "prefixItems" in schema:
        raise _Unsupported("prefixItems")
    item = c.compile(value)
    return lambda instance: not isinstance(instance, list) or all(item(x) for x in instance)


def _size(kind: type[Sized], least: bool) -> Callable[[_Compiler, Any, dict[str, Any]], Check]:
    def build(c: _Compiler, value: Any, schema: dict[str, Any]) -> Check:
        if least:
            return lambda instance: not isinstance(instance, kind) or not len(instance) < value
        return lambda instance: not isinstance(instance, kind) or not len(instance) > value
    return build


def _bound(test: Callable[[Any, Any], bool]) -> Callable[[_Compiler, Any, dict[str, Any]], Check]:
    def build(c: _Compiler, value: Any, schema: dict[str, Any]) -> Check:
        return lambda instance: not is_number(instance) or test(instance, value)
    return build


def _pattern(c: _Compiler, value: Any, schema: dict[str, Any]) -> Check:
    return lambda instance: not isinstance(instance, str) or re.search(value, instance) is not None


def _any_of(c: _Compiler, value: Any, schema: dict[str, Any]) -> Check:
    checks = c.many(value)
    return lambda instance: any(check(instance) for check in checks)


def _all_of(c: _Compiler, value: Any, schema: dict[str, Any]) -> Check:
    return _all(c.many(value))


def _one_of(c: _Compiler, value: Any, schema: dict[str, Any]) -> Check:
    checks = c.many(value)
    return lambda instance: sum(1 for check in checks if check(instance)) == 1


def _not(c: _Compiler, value: Any, schema: dict[str, Any]) -> Check:
    inner = c.compile(value)
    return lambda instance: not inner(instance)


def _enum(c: _Compiler, value: Any, schema: dict[str, Any]) -> Check:
    if not isinstance(value, list):
        raise _Unsupported(value)
    return lambda instance: any(equal(each, instance) for each in value)


def _const(c: _Compiler, value: Any, schema: dict[str, Any]) -> Check:
    return lambda instance: equal(instance, value)


def _unique_items(c: _Compiler, value: Any, schema: dict[str, Any]) -> Check:
    if not value:
        return _always
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


_KEYWORDS: dict[str, Callable[[_Compiler, Any, dict[str, Any]], Check]] = {
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

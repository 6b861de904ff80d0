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

from typing import Any

from kailash_cli.schema.keywords import KEYWORDS, Check, Unsupported, always, every, never

_ANNOTATIONS = frozenset(
    {
        "$schema",
        "$defs",
        "$comment",
        "title",
        "description",
        "default",
        "examples",
        "deprecated",
        "readOnly",
        "writeOnly",
        "patternErrorMessage",  # editors' wording of a pattern (VS Code, YAML language server)
    }
)


def compile_schema(
    schema: Any, *, ignore_root_required: bool = False, expressions: bool = False
) -> Check | None:
    """A predicate equal to ``Draft202012Validator(schema).is_valid``, or None.

    ``ignore_root_required`` leaves out the top-level ``required`` keyword: the answer is
    then "jsonschema reports no error other than a missing top-level field".
    ``expressions`` answers "jsonschema reports no error other than errors whose instance
    is a string holding ``${``" (node configs: such values are checked once resolved).
    """
    if ignore_root_required and isinstance(schema, dict) and ("allOf" in schema or "$ref" in schema):
        return None  # these could report a top-level missing field of their own
    try:
        compiler = Compiler(schema, lenient=expressions)
        return compiler.compile(schema, root=True, skip_required=ignore_root_required)
    except (Unsupported, AttributeError, TypeError):  # not a schema this module reads
        return None


class Compiler:
    """Compiles subschemas; a ``lenient`` one lets expression strings pass where jsonschema
    would report an error on the string itself: everywhere but inside the branches of
    ``anyOf``/``oneOf``/``not``, whose failures are an error of the value holding them."""

    def __init__(self, root: Any, *, lenient: bool = False) -> None:
        self.root = root
        self.refs: dict[str, Check] = {}
        self.strict = Compiler(root) if lenient else self
        self.lenient = lenient

    def compile(self, schema: Any, *, root: bool = False, skip_required: bool = False) -> Check:
        check = self._compile(schema, root=root, skip_required=skip_required)
        if not self.lenient or check is always:
            return check
        return lambda instance: (isinstance(instance, str) and "${" in instance) or check(instance)

    def _compile(self, schema: Any, *, root: bool, skip_required: bool) -> Check:
        if schema is True:
            return always
        if schema is False:
            return never
        if not isinstance(schema, dict):
            raise Unsupported(schema)
        checks = []
        for keyword, value in schema.items():
            if keyword in _ANNOTATIONS or (keyword == "$id" and root):
                continue
            if keyword == "required" and skip_required:
                continue
            build = KEYWORDS.get(keyword)
            if build is None:
                raise Unsupported(keyword)
            checks.append(build(self, value, schema))
        return every(checks)

    def ref(self, ref: Any) -> Check:
        """A local ``#/...`` reference, compiled once (a recursive one refers to itself)."""
        if not isinstance(ref, str) or not (ref == "#" or ref.startswith("#/")) or "%" in ref:
            raise Unsupported(ref)  # remote documents, anchors, escapes: jsonschema's job
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
                raise Unsupported(pointer)
            found = found[token]
        return found

    def many(self, schemas: Any, *, branches: bool) -> list[Check]:
        """Checks of ``allOf`` (errors of their own) or of ``anyOf``/``oneOf`` ``branches``."""
        if not isinstance(schemas, list) or not schemas:
            raise Unsupported(schemas)
        compiler = self.strict if branches else self
        return [compiler.compile(s) for s in schemas]

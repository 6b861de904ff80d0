"""ruamel.yaml's resolver made cheaper for large files, and the YAML reader kailash uses."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.nodes import MappingNode, ScalarNode
from ruamel.yaml.resolver import VersionedResolver
from ruamel.yaml.tag import Tag


class Resolver(VersionedResolver):  # type: ignore[misc]
    """ruamel's resolver, picking its implicit-tag rules once per document, and resolving
    each distinct plain scalar once.

    The stock one looks the YAML version up again for every scalar (through attribute
    lookups that fail with the C parser); a document is composed under one version, and
    without path resolvers a plain scalar's tag depends on its text alone (a large workflow
    repeats ``type:``, ``config:`` and its node types thousands of times).
    """

    _rules: Any = None

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # tags by plain text; None when code added path resolvers (then ruamel's own way)
        self._plain: dict[str, Any] | None = None if self.yaml_path_resolvers else {}

    @property
    def versioned_resolver(self) -> Any:
        if self._rules is None:
            self._rules = super().versioned_resolver
        return self._rules

    def resolve(self, kind: Any, value: Any, implicit: Any) -> Any:
        plain = self._plain
        if plain is None:
            return super().resolve(kind, value, implicit)
        if kind is ScalarNode:
            if not implicit[0]:
                return _STR  # quoted: a string
            tag = plain.get(value)
            if tag is None:
                tag = plain[value] = super().resolve(kind, value, implicit)
            return tag
        if kind is MappingNode:
            return self.DEFAULT_MAPPING_TAG
        return super().resolve(kind, value, implicit)


_STR = Resolver.DEFAULT_SCALAR_TAG


def safe_yaml() -> YAML:
    """A safe (plain data) reader with :class:`Resolver`."""
    yaml = YAML(typ="safe")
    yaml.Resolver = Resolver
    return yaml


def plain_tags(yaml: YAML) -> Callable[[str], Any]:
    """The tag of a plain scalar by its text, as ``yaml``'s resolver gives it when composing:
    the implicit rules for the text's first character (ruamel's ``resolve`` without its
    lookups of the version, the rules without a first character and the path resolvers,
    when there are none of either)."""
    resolver = yaml.resolver
    rules = resolver.versioned_resolver
    if resolver.yaml_path_resolvers or rules.get(None):
        implicit = (True, False)
        return lambda text: resolver.resolve(ScalarNode, text, implicit)

    def tag_of(text: str) -> Any:
        for tag, regexp in rules.get(text[:1], ()):
            if regexp.match(text):
                return Tag(suffix=tag)
        return _STR

    return tag_of

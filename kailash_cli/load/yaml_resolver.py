"""ruamel.yaml's resolver made cheaper for large files, and the YAML reader kailash uses."""

from __future__ import annotations

from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.nodes import MappingNode, ScalarNode
from ruamel.yaml.resolver import VersionedResolver


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


def plain_tags(yaml: YAML) -> Any:
    """The tag of a plain scalar by its text (``yaml``'s resolver, as if composing)."""
    resolve = yaml.resolver.resolve
    implicit = (True, False)
    return lambda text: resolve(ScalarNode, text, implicit)

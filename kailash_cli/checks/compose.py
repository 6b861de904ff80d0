"""KD62x: Docker Compose services run pinned images.

A compose file is a YAML file whose top-level ``services:`` maps names to services, one of
them with an ``image`` or a ``build`` (``docker-compose.yml``, ``compose.yaml``, overrides).
"""

from __future__ import annotations

from collections.abc import Iterator

from ruamel.yaml.nodes import MappingNode, Node

from kailash_cli.checks.base import Check
from kailash_cli.checks.images import unpinned_image
from kailash_cli.checks.project import Project
from kailash_cli.checks.yaml_nodes import mapping_get, pos, scalar
from kailash_cli.load.discovery import is_test_path
from kailash_cli.model.result import Problem

COMPOSE_IMAGE_TAG = Check(
    "KD621",
    "warning",
    "compose service image not pinned",
    "A service image without a tag, or with :latest, is whatever the registry holds at the next "
    "pull: the same compose file starts different software on two hosts.",
    "pin a version tag (postgres:16.4) or a digest (postgres@sha256:...)",
)
CHECKS = (COMPOSE_IMAGE_TAG,)


def services(doc: Node) -> list[tuple[str, MappingNode]]:
    """The services of a compose document; [] when ``doc`` is not one."""
    found = mapping_get(doc, "services")
    if mapping_get(doc, "apiVersion") is not None or not isinstance(found, MappingNode):
        return []
    pairs = [(scalar(k) or "?", v) for k, v in found.value if isinstance(v, MappingNode)]
    if not any(mapping_get(v, "image") is not None or mapping_get(v, "build") is not None for _, v in pairs):
        return []
    return pairs


def run(project: Project) -> Iterator[Problem]:
    for path in project.yaml_files:
        if is_test_path(path.relative_to(project.root)) or path == project.config_path:
            continue
        for doc in project.yaml_documents(path) or []:
            for name, service in services(doc):
                image = mapping_get(service, "image")
                if image is None or mapping_get(service, "build") is not None:
                    continue  # with build:, image: names the image built here
                why = unpinned_image(scalar(image) or "")
                if why:
                    yield COMPOSE_IMAGE_TAG.at(
                        f"service {name}: image '{scalar(image)}' {why}", project.display(path), *pos(image)
                    )

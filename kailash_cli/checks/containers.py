"""KD6xx: Dockerfiles and Kubernetes manifests follow the container hardening basics.

Dockerfile findings point at the instruction (the final stage's ``FROM`` when an
instruction is missing); Kubernetes findings point at the container, or at its
``securityContext`` / ``resources`` line when that exists but is wrong.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

from kailash_cli.checks import compose, kubernetes, systemd
from kailash_cli.checks.base import Check, CheckFamily
from kailash_cli.checks.file_kinds import is_dockerfile
from kailash_cli.checks.images import unpinned_image
from kailash_cli.checks.literals import Instruction, dockerfile_instructions, env_pairs
from kailash_cli.checks.project import Project
from kailash_cli.checks.secret_names import is_placeholder, is_reference, is_secret_name
from kailash_cli.load.discovery import is_test_path
from kailash_cli.model.result import Problem

ROOT_USER = Check(
    "KD601",
    "error",
    "container runs as root",
    "A process running as root in the container turns any code execution bug into root on the "
    "container and a step away from the host.",
    "add a user and switch to it: RUN useradd --uid 10001 app, then USER app",
)
NO_HEALTHCHECK = Check(
    "KD602",
    "warning",
    "Dockerfile has no HEALTHCHECK",
    "Without a health check the runtime cannot tell a hung service from a healthy one.",
    "add HEALTHCHECK CMD curl -f http://localhost:8000/health || exit 1",
)
UNPINNED_BASE = Check(
    "KD603",
    "warning",
    "base image not pinned",
    "A base image without a version tag (or with :latest) changes under you between builds.",
    "pin the tag (python:3.12-slim) or better the digest (python:3.12-slim@sha256:...)",
)
DOCKER_SECRET = Check(
    "KD604",
    "error",
    "secret in ENV or ARG",
    "ENV and ARG values are stored in the image layers and shown by docker history and docker inspect.",
    "use a build secret (RUN --mount=type=secret) or pass it at run time",
    sensitive=True,
)
CHECKS = (
    ROOT_USER,
    NO_HEALTHCHECK,
    UNPINNED_BASE,
    DOCKER_SECRET,
    *kubernetes.CHECKS,
    *compose.CHECKS,
    *systemd.CHECKS,
)


def run(project: Project) -> Iterator[Problem]:
    for path in project.files:
        if is_dockerfile(path) and not is_test_path(path.relative_to(project.root)):
            yield from _dockerfile(project, path)
    yield from kubernetes.run(project)
    yield from compose.run(project)
    yield from systemd.run(project)


# --- Dockerfile ----------------------------------------------------------------------------------


def _dockerfile(project: Project, path: Path) -> Iterator[Problem]:
    file = project.display(path)
    instructions = dockerfile_instructions(project.text(path) or "")
    stages: list[str] = []
    build_args: set[str] = set()
    final: list[Instruction] = []
    for ins in instructions:
        if ins.keyword == "FROM":
            yield from _base_image(ins, stages, file)
            final = []
        final.append(ins)
        if ins.keyword in ("ENV", "ARG"):
            for key, value in env_pairs(ins.args):
                message = _docker_secret(ins.keyword, key, value, build_args)
                if ins.keyword == "ARG":
                    build_args.add(key)
                if message:
                    if value and not is_reference(value) and not is_placeholder(value):
                        project.sensitive_values.add(value)
                    yield DOCKER_SECRET.at(message, file, ins.line, ins.column)
    if not final or final[0].keyword != "FROM":
        return
    users = [ins for ins in final if ins.keyword == "USER"]
    user = users[-1].args.split(":")[0].strip() if users else None
    if user is None:
        yield ROOT_USER.at(
            "the final stage has no USER instruction, so it runs as root",
            file,
            final[0].line,
            final[0].column,
        )
    elif user in ("root", "0"):
        yield ROOT_USER.at(
            f"USER {user} makes the container run as root", file, users[-1].line, users[-1].column
        )
    checks = [ins for ins in final if ins.keyword == "HEALTHCHECK"]
    if not checks:
        yield NO_HEALTHCHECK.at("the final stage has no HEALTHCHECK", file, final[0].line, final[0].column)
    elif checks[-1].args.upper().startswith("NONE"):
        yield NO_HEALTHCHECK.at(
            "HEALTHCHECK NONE disables the health check", file, checks[-1].line, checks[-1].column
        )


def _docker_secret(keyword: str, key: str, value: str, build_args: set[str]) -> str | None:
    """Why ``ENV``/``ARG key=value`` bakes a secret into the image, or None. ``ENV TOKEN=$TOKEN``
    copies a build argument into every container's environment: the ARG's value, in the image."""
    copied = [n for n in _REFERENCED.findall(value) if n in build_args]
    if keyword == "ENV" and copied and (is_secret_name(key) or any(is_secret_name(n) for n in copied)):
        return f"ENV {key} copies build argument {copied[0]} into the image"
    if is_secret_name(key) and (keyword == "ARG" or (value and not is_reference(value))):
        return f"{keyword} {key} puts a secret into the image"
    return None


_REFERENCED = re.compile(r"\$\{?([A-Za-z_][A-Za-z0-9_]*)")


def _base_image(ins: Instruction, stages: list[str], file: str) -> Iterator[Problem]:
    words = [w for w in ins.args.split() if not w.startswith("--")]
    if not words:
        return
    image = words[0]
    if len(words) >= 3 and words[1].lower() == "as":
        stages.append(words[2].lower())
    if image.lower() in stages or image == "scratch":
        return
    why = unpinned_image(image)
    if why:
        yield UNPINNED_BASE.at(f"base image '{image}' {why}", file, ins.line, ins.column)


FAMILY = CheckFamily("KD6", "Containers", CHECKS, run)

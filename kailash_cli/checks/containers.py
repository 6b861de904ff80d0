"""KD6xx: Dockerfiles and Kubernetes manifests follow the container hardening basics.

Dockerfile findings point at the instruction (the final stage's ``FROM`` when an
instruction is missing); Kubernetes findings point at the container, or at its
``securityContext`` / ``resources`` line when that exists but is wrong.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from ruamel.yaml.nodes import MappingNode, Node

from kailash_cli.checks.base import Check, CheckFamily
from kailash_cli.checks.file_kinds import is_dockerfile
from kailash_cli.checks.literals import Instruction, dockerfile_instructions, env_pairs
from kailash_cli.checks.project import Project
from kailash_cli.checks.secret_names import is_reference, is_secret_name
from kailash_cli.checks.yaml_nodes import items, mapping_get, mapping_key, pos, scalar
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
K8S_RUN_AS_NON_ROOT = Check(
    "KD611",
    "error",
    "Kubernetes container may run as root",
    "Without runAsNonRoot: true the kubelet starts the container as root when the image says so.",
    "set securityContext.runAsNonRoot: true (container or pod)",
)
K8S_PRIVILEGE_ESCALATION = Check(
    "KD612",
    "error",
    "Kubernetes container allows privilege escalation",
    "allowPrivilegeEscalation defaults to true: setuid binaries can gain more rights than the "
    "process started with.",
    "set securityContext.allowPrivilegeEscalation: false (and never privileged: true)",
)
K8S_WRITABLE_ROOT = Check(
    "KD613",
    "warning",
    "Kubernetes container root filesystem is writable",
    "A writable root filesystem lets an attacker drop tools and persist changes.",
    "set securityContext.readOnlyRootFilesystem: true and mount an emptyDir for scratch space",
)
K8S_CAPABILITIES = Check(
    "KD614",
    "warning",
    "Kubernetes container keeps Linux capabilities",
    "The default capability set (NET_RAW, CHOWN, ...) is more than an application needs.",
    "set securityContext.capabilities.drop: [ALL] and add back only what is needed",
)
K8S_LIMITS = Check(
    "KD615",
    "warning",
    "Kubernetes container has no resource limits",
    "A container without CPU and memory limits can starve every other workload on its node.",
    "set resources.limits.cpu and resources.limits.memory",
)
K8S_PROBES = Check(
    "KD616",
    "warning",
    "Kubernetes container has no liveness or readiness probe",
    "Without probes a hung container keeps receiving traffic and is never restarted.",
    "add livenessProbe and readinessProbe",
)
CHECKS = (
    ROOT_USER,
    NO_HEALTHCHECK,
    UNPINNED_BASE,
    DOCKER_SECRET,
    K8S_RUN_AS_NON_ROOT,
    K8S_PRIVILEGE_ESCALATION,
    K8S_WRITABLE_ROOT,
    K8S_CAPABILITIES,
    K8S_LIMITS,
    K8S_PROBES,
)

WORKLOAD_KINDS = frozenset(
    {"Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "Pod", "Job", "CronJob", "ReplicationController"}
)
BATCH_KINDS = frozenset({"Job", "CronJob"})


def run(project: Project) -> Iterator[Problem]:
    for path in project.files:
        if is_dockerfile(path) and not is_test_path(path.relative_to(project.root)):
            yield from _dockerfile(project, path)
    for path, doc in project.manifests():
        if not is_test_path(path.relative_to(project.root)):
            yield from _manifest(project, path, doc)


# --- Dockerfile ----------------------------------------------------------------------------------


def _dockerfile(project: Project, path: Path) -> Iterator[Problem]:
    file = project.display(path)
    instructions = dockerfile_instructions(project.text(path) or "")
    stages: list[str] = []
    final: list[Instruction] = []
    for ins in instructions:
        if ins.keyword == "FROM":
            yield from _base_image(ins, stages, file)
            final = []
        final.append(ins)
        if ins.keyword in ("ENV", "ARG"):
            for key, value in env_pairs(ins.args):
                if is_secret_name(key) and (ins.keyword == "ARG" or (value and not is_reference(value))):
                    if value:
                        project.sensitive_values.add(value)
                    yield DOCKER_SECRET.at(
                        f"{ins.keyword} {key} puts a secret into the image", file, ins.line, ins.column
                    )
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


def _base_image(ins: Instruction, stages: list[str], file: str) -> Iterator[Problem]:
    words = [w for w in ins.args.split() if not w.startswith("--")]
    if not words:
        return
    image = words[0]
    if len(words) >= 3 and words[1].lower() == "as":
        stages.append(words[2].lower())
    if image.lower() in stages or image == "scratch" or "$" in image or "@sha256:" in image:
        return
    tag = image.rsplit("/", 1)[-1].partition(":")[2]
    if not tag:
        yield UNPINNED_BASE.at(f"base image '{image}' has no tag", file, ins.line, ins.column)
    elif tag == "latest":
        yield UNPINNED_BASE.at(
            f"base image '{image}' uses the moving 'latest' tag", file, ins.line, ins.column
        )


# --- Kubernetes ----------------------------------------------------------------------------------


def _pod_spec(doc: MappingNode) -> Node | None:
    kind = scalar(mapping_get(doc, "kind"))
    spec = mapping_get(doc, "spec")
    if kind == "Pod":
        return spec
    if kind == "CronJob":
        spec = mapping_get(mapping_get(spec, "jobTemplate"), "spec")
    return mapping_get(mapping_get(spec, "template"), "spec")


def _manifest(project: Project, path: Path, doc: MappingNode) -> Iterator[Problem]:
    kind = scalar(mapping_get(doc, "kind")) or ""
    if kind not in WORKLOAD_KINDS:
        return
    pod = _pod_spec(doc)
    if pod is None:
        return
    file = project.display(path)
    name = scalar(mapping_get(mapping_get(doc, "metadata"), "name")) or "?"
    pod_context = mapping_get(pod, "securityContext")
    for field in ("initContainers", "containers"):
        for container in items(mapping_get(pod, field)):
            where = f"{kind} {name}, container {scalar(mapping_get(container, 'name')) or '?'}"
            yield from _container(
                container, pod_context, where, file, probes=field == "containers" and kind not in BATCH_KINDS
            )


def _flag(node: Node | None, key: str) -> str | None:
    value = scalar(mapping_get(node, key))
    return value.lower() if value is not None else None


def _container(
    container: Node, pod_context: Node | None, where: str, file: str, *, probes: bool
) -> Iterator[Problem]:
    context = mapping_get(container, "securityContext")
    anchor = mapping_key(container, "securityContext") or container
    line, column = pos(anchor)

    def at(check: Check, message: str) -> Problem:
        return check.at(f"{where}: {message}", file, line, column)

    non_root = _flag(context, "runAsNonRoot") or _flag(pod_context, "runAsNonRoot")
    if non_root != "true":
        yield at(K8S_RUN_AS_NON_ROOT, "runAsNonRoot is not true")
    if _flag(context, "privileged") == "true":
        yield at(K8S_PRIVILEGE_ESCALATION, "privileged: true")
    elif _flag(context, "allowPrivilegeEscalation") != "false":
        yield at(K8S_PRIVILEGE_ESCALATION, "allowPrivilegeEscalation is not false")
    if _flag(context, "readOnlyRootFilesystem") != "true":
        yield at(K8S_WRITABLE_ROOT, "readOnlyRootFilesystem is not true")
    drops = [
        (scalar(n) or "").upper() for n in items(mapping_get(mapping_get(context, "capabilities"), "drop"))
    ]
    if "ALL" not in drops:
        yield at(K8S_CAPABILITIES, "capabilities.drop does not contain ALL")
    limits = mapping_get(mapping_get(container, "resources"), "limits")
    missing = [r for r in ("cpu", "memory") if mapping_get(limits, r) is None]
    if missing:
        anchor = mapping_key(container, "resources") or container
        yield K8S_LIMITS.at(f"{where}: no {' and '.join(missing)} limit", file, *pos(anchor))
    if probes:
        absent = [p for p in ("livenessProbe", "readinessProbe") if mapping_get(container, p) is None]
        if absent:
            yield K8S_PROBES.at(f"{where}: no {' or '.join(absent)}", file, *pos(container))


FAMILY = CheckFamily("KD6", "Containers", CHECKS, run)

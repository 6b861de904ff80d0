"""KD61x: Kubernetes workloads follow the pod security basics (checkov's and kube-score's).

Every document with ``apiVersion`` and ``kind`` is read, and the items of a ``kind: List``.
Findings point at the container, or at its ``securityContext`` / ``resources`` line when that
exists but is wrong.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from ruamel.yaml.nodes import MappingNode, Node

from kailash_cli.checks.base import Check
from kailash_cli.checks.images import unpinned_image
from kailash_cli.checks.project import Project
from kailash_cli.checks.yaml_nodes import items, mapping_get, mapping_key, pos, scalar
from kailash_cli.load.discovery import is_test_path
from kailash_cli.model.result import Problem

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
K8S_IMAGE_TAG = Check(
    "KD617",
    "warning",
    "Kubernetes container image not pinned",
    "An image without a tag, or with :latest, is whatever the registry holds when the pod starts: "
    "two replicas of one Deployment can run different code, and a rollback changes nothing.",
    "pin a version tag (api:1.4.2) or better a digest (api@sha256:...)",
)
CHECKS = (
    K8S_RUN_AS_NON_ROOT,
    K8S_PRIVILEGE_ESCALATION,
    K8S_WRITABLE_ROOT,
    K8S_CAPABILITIES,
    K8S_LIMITS,
    K8S_PROBES,
    K8S_IMAGE_TAG,
)
WORKLOAD_KINDS = frozenset(
    {"Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "Pod", "Job", "CronJob", "ReplicationController"}
)
BATCH_KINDS = frozenset({"Job", "CronJob"})
#: a Pod that is not restarted runs to completion, like a Job: probes mean nothing there
_ONE_SHOT_RESTART = frozenset({"Never", "OnFailure"})


def run(project: Project) -> Iterator[Problem]:
    for path, doc in project.manifests():
        if not is_test_path(path.relative_to(project.root)):
            yield from _manifest(project, path, doc)


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
    one_shot = kind in BATCH_KINDS or scalar(mapping_get(pod, "restartPolicy")) in _ONE_SHOT_RESTART
    for field in ("initContainers", "containers"):
        for container in items(mapping_get(pod, field)):
            where = f"{kind} {name}, container {scalar(mapping_get(container, 'name')) or '?'}"
            yield from _container(
                container, pod_context, where, file, probes=field == "containers" and not one_shot
            )
            image = mapping_get(container, "image")
            why = unpinned_image(scalar(image) or "")
            if image is not None and why:
                yield K8S_IMAGE_TAG.at(f"{where}: image '{scalar(image)}' {why}", file, *pos(image))


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
    user = _flag(context, "runAsUser") or _flag(pod_context, "runAsUser")
    if non_root != "true":
        yield at(K8S_RUN_AS_NON_ROOT, "runAsNonRoot is not true")
    elif user == "0":  # the kubelet then refuses to start it: a broken rollout, not a safe one
        yield at(K8S_RUN_AS_NON_ROOT, "runAsUser: 0 is root, whatever runAsNonRoot says")
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

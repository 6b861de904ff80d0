"""The repository's own Dockerfile and deploy/ examples pass `kailash check-deploy`."""

from __future__ import annotations

import fnmatch
import shutil
import subprocess
from pathlib import Path

from helpers import REPO, kailash
from ruamel.yaml import YAML

SHIPPED = ("Dockerfile", ".dockerignore", "deploy", "workflows")


def _ignored(relative: str) -> bool:
    """What .dockerignore keeps out of the build context (its plain patterns)."""
    patterns = (REPO / ".dockerignore").read_text().splitlines()
    return any(
        fnmatch.fnmatch(relative, p.removeprefix("**/"))
        or fnmatch.fnmatch(relative.rsplit("/", 1)[-1], p.removeprefix("**/"))
        for p in patterns
        if p and not p.startswith("#")
    )


def _project(tmp_path: Path) -> Path:
    """What the image is built from: the Dockerfile, its config and the example workflows."""
    root = tmp_path / "image"
    for name in SHIPPED:
        source = REPO / name
        files = [source] if source.is_file() else [p for p in source.rglob("*") if p.is_file()]
        for path in files:
            relative = path.relative_to(REPO).as_posix()
            if not any(_ignored(part) for part in _prefixes(relative)):
                (root / relative).parent.mkdir(parents=True, exist_ok=True)
                shutil.copy(path, root / relative)
    return root


def _prefixes(relative: str) -> list[str]:
    parts = relative.split("/")
    return ["/".join(parts[: i + 1]) for i in range(len(parts))]


def test_dockerfile_and_manifests_pass_check_deploy(tmp_path: Path) -> None:
    root = _project(tmp_path)
    proc = kailash("check-deploy", ".", "-c", "deploy/kailash.yaml", "--fail-level", "info", cwd=root)
    assert (proc.returncode, proc.stdout) == (0, "")
    assert proc.stderr.split() == ["0", "errors", "0", "warnings", "0", "info"]


def test_check_deploy_sees_a_weakened_manifest(tmp_path: Path) -> None:
    """The pass above is the checks' verdict, not an empty scan: break the Deployment, see it."""
    root = _project(tmp_path)
    serve = root / "deploy" / "kubernetes" / "serve.yaml"
    serve.write_text(
        serve.read_text().replace("readOnlyRootFilesystem: true", "readOnlyRootFilesystem: false")
    )
    proc = kailash("check-deploy", ".", "-c", "deploy/kailash.yaml", cwd=root)
    assert "KD613" in proc.stdout
    assert "Deployment kailash-serve, container kailash" in proc.stdout


def test_container_state_lives_on_the_volume() -> None:
    """A read-only root filesystem works: every path kailash writes is under the volume."""
    config = YAML(typ="safe").load((REPO / "deploy" / "kailash.yaml").read_text())
    assert config["runtime"]["store"].startswith("/var/lib/kailash/")
    assert config["security"]["audit_log"].startswith("/var/lib/kailash/")
    dockerfile = (REPO / "Dockerfile").read_text()
    assert 'VOLUME ["/var/lib/kailash"]' in dockerfile
    assert "COPY deploy/kailash.yaml ./kailash.yaml" in dockerfile


def test_the_config_in_the_image_validates() -> None:
    proc = kailash("validate", str(REPO / "deploy" / "kailash.yaml"))
    assert (proc.returncode, proc.stderr) == (0, "1 file(s) checked, no problems\n")


def test_the_image_leaves_out_what_it_cannot_serve(tmp_path: Path) -> None:
    root = _project(tmp_path)
    assert (root / "workflows" / "hello.yaml").is_file()
    assert not (root / "workflows" / "secure").exists()
    assert not list(root.rglob(".kailash"))


def test_the_cronjob_runs_a_workflow_the_image_has() -> None:
    docs = list(YAML(typ="safe").load_all((REPO / "deploy" / "kubernetes" / "cronjob.yaml").read_text()))
    container = docs[0]["spec"]["jobTemplate"]["spec"]["template"]["spec"]["containers"][0]
    args = container["args"]
    assert args[0] == "run"
    assert (REPO / args[1]).is_file()
    proc = kailash("run", str(REPO / args[1]), *args[2:4], "--dry-run")
    assert proc.returncode == 0, proc.stderr


def test_the_repository_itself_passes_check_deploy(tmp_path: Path) -> None:
    """kailash's own code and schemas too: what a team vendoring it would check."""
    tracked = subprocess.run(
        ["git", "ls-files", "-z"], cwd=REPO, capture_output=True, text=True, check=True
    ).stdout.split("\0")
    for name in filter(None, tracked):
        if (REPO / name).is_file():
            (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy(REPO / name, tmp_path / name)
    proc = kailash("check-deploy", ".", "-c", "deploy/kailash.yaml", "--fail-level", "info", cwd=tmp_path)
    assert (proc.returncode, proc.stdout) == (0, "")


def test_the_readiness_probe_checks_the_state_volume() -> None:
    """`kailash health` as the probe tests something: the image config has checks."""
    deployment = next(YAML(typ="safe").load_all((REPO / "deploy" / "kubernetes" / "serve.yaml").read_text()))
    container = deployment["spec"]["template"]["spec"]["containers"][0]
    assert container["readinessProbe"]["exec"]["command"] == [
        "kailash",
        "health",
        "--config",
        "/app/kailash.yaml",
    ]
    mounts = {m["mountPath"] for m in container["volumeMounts"]}
    config = YAML(typ="safe").load((REPO / "deploy" / "kailash.yaml").read_text())
    disk = [c for c in config["health"]["checks"] if c["type"] == "disk"]
    assert [c["path"] for c in disk] == ["/var/lib/kailash"]
    assert "/var/lib/kailash" in mounts

"""KD7xx: the project config turns the security features on; every workflow validates."""

from __future__ import annotations

from collections.abc import Iterator

from kailash_cli.checks.base import Check, CheckFamily
from kailash_cli.checks.project import Project
from kailash_cli.compile.validation import check_document
from kailash_cli.load.config import check_config
from kailash_cli.load.discovery import is_test_path
from kailash_cli.load.yaml_io import JsonPath
from kailash_cli.model.result import Problem

NO_SECURITY = Check(
    "KD701",
    "error",
    "config has no security section",
    "Without security: file nodes may read and write anywhere and nothing is audited.",
    "add a security: section with allowed_directories, enable_audit_logging and enable_path_validation",
)
AUDIT_OFF = Check(
    "KD702",
    "warning",
    "audit logging is off",
    "Without the audit log there is no record of who ran what, and no tamper-evident trail.",
    "set security.enable_audit_logging: true",
)
PATH_VALIDATION_OFF = Check(
    "KD703",
    "error",
    "path validation is off",
    "With enable_path_validation: false a file node can be pointed at any file (../../etc/passwd).",
    "set security.enable_path_validation: true (the default)",
)
NO_ALLOWED_DIRECTORIES = Check(
    "KD704",
    "warning",
    "no allowed_directories",
    "allowed_directories confines file nodes to the folders the workflows need.",
    "list the data folders under security.allowed_directories",
)
INVALID = Check(
    "KD705",
    "error",
    "workflow or config does not validate",
    "A file that `kailash validate` rejects fails at deploy or run time.",
    "run `kailash validate` and fix what it reports",
)
MISSING_FILE = Check(
    "KD706",
    "error",
    "required file missing",
    "deploy.required_files lists files the deployment needs (Dockerfile, requirements.txt, ...).",
    "add the file, or remove it from deploy.required_files",
)
UNCHECKED_FILE = Check(
    "KD707",
    "warning",
    "file could not be checked",
    "A file that is too large, unreadable, not UTF-8 or not valid YAML gets none of the other "
    "checks: a broken Kubernetes manifest would pass without its container checks.",
    "fix the file (or move generated and binary data out of the project), or silence it with "
    "deploy.ignore: [KD707]",
)
UNKNOWN_ID = Check(
    "KD708",
    "error",
    "deploy.ignore or deploy.severity names no check",
    "An entry that matches no check id (a typo, a check renamed) silences or changes nothing, "
    "while the config reads as if it did.",
    "use an id or prefix that `kailash check-deploy --list` shows (KD203, KD7)",
)
CHECKS = (
    NO_SECURITY,
    AUDIT_OFF,
    PATH_VALIDATION_OFF,
    NO_ALLOWED_DIRECTORIES,
    INVALID,
    MISSING_FILE,
    UNCHECKED_FILE,
    UNKNOWN_ID,
)
_FIXES = {
    "larger": "the checks read files up to 1 MB: move generated or bundled data out of the project",
    "read": "make the file readable by the user running the check",
    "UTF-8": "save the file as UTF-8",
    "YAML": "fix the YAML syntax at this line",
    "TOML": "fix the TOML syntax at this line",
    "nests deeper": "flatten the structure: no hand-written file nests that deep",
}


def run(project: Project) -> Iterator[Problem]:
    doc = project.config_doc
    if doc is not None:
        yield from _invalid(check_config(doc))
        yield from _security(project)
        yield from _required_files(project)
    for workflow in project.workflows:
        yield from _invalid(check_document(workflow))
    yield from _unchecked(project)


_BROKEN_YAML = ("it is not valid YAML", "it nests deeper")


def _unchecked(project: Project) -> Iterator[Problem]:
    """Text files the other checks silently got nothing from. Python files are KD104's, the
    config and workflows KD705's; Helm chart templates never parse before rendering."""
    outside = (
        [project.config_path] if project.config_path and project.config_path not in project.files else []
    )
    for path in [*project.text_files, *outside]:
        if path.suffix == ".py" or (path in project.files and is_test_path(path.relative_to(project.root))):
            continue
        why = project.unchecked(path)
        if why is None:
            continue
        reason, line, column = why
        if reason.startswith("it is not valid YAML") and (
            path == project.config_path or project.is_workflow(path) or project.is_helm_template(path)
        ):
            continue
        fix = next(text for word, text in _FIXES.items() if word in reason)
        # a config, workflow or manifest that does not parse must not pass the gate: an error
        broken = path == project.config_path or project.is_workflow(path) or reason.startswith(_BROKEN_YAML)
        yield UNCHECKED_FILE.at(
            f"this file was not checked: {reason}",
            project.display(path),
            line,
            column,
            fix=fix,
            severity="error" if broken else None,
        )


def _at(project: Project, path: JsonPath, *, key: bool = False) -> tuple[int, int]:
    assert project.config_doc is not None
    return project.config_doc.position(path, key=key) or (1, 1)


def _invalid(problems: list[Problem]) -> Iterator[Problem]:
    """KD705 reports each finding of ``kailash validate`` as ``"<its id>: <its message>"``."""
    for p in problems:
        yield INVALID.at(
            f"{p.id}: {p.message}",
            p.file or "",
            p.line or 1,
            p.column,
            fix=p.fix or INVALID.fix,
            severity=p.severity,
        )


def _security(project: Project) -> Iterator[Problem]:
    file = project.config_doc.file if project.config_doc else ""
    security = project.config.get("security")
    if not isinstance(security, dict):
        where = _at(project, ("security",), key=True) if "security" in project.config else (1, 1)
        yield NO_SECURITY.at("the config has no security section", file, *where)
        return
    section = _at(project, ("security",), key=True)
    if security.get("enable_audit_logging") is not True:
        where = (
            _at(project, ("security", "enable_audit_logging"))
            if "enable_audit_logging" in security
            else section
        )
        yield AUDIT_OFF.at("security.enable_audit_logging is not true", file, *where)
    if security.get("enable_path_validation") is False:
        yield PATH_VALIDATION_OFF.at(
            "security.enable_path_validation is false",
            file,
            *_at(project, ("security", "enable_path_validation")),
        )
    if not security.get("allowed_directories"):
        where = (
            _at(project, ("security", "allowed_directories"))
            if "allowed_directories" in security
            else section
        )
        yield NO_ALLOWED_DIRECTORIES.at("security.allowed_directories is missing or empty", file, *where)


def _required_files(project: Project) -> Iterator[Problem]:
    assert project.config_doc is not None and project.config_path is not None
    names = project.section("deploy").get("required_files")
    for i, name in enumerate(names if isinstance(names, list) else []):
        if isinstance(name, str) and not (project.config_path.parent / name).exists():
            yield MISSING_FILE.at(
                f"required file {name} does not exist",
                project.config_doc.file,
                *_at(project, ("deploy", "required_files", i)),
            )


def reported_id(p: Problem) -> str | None:
    """The ``kailash validate`` id a KD705 finding reports (``KV102``); None for other checks."""
    return p.message.split(":", 1)[0] if p.id == INVALID.id else None


FAMILY = CheckFamily("KD7", "Kailash config and workflows", CHECKS, run)

"""KD5xx: production requirements are pinned and hold no development tools.

Also the declared distributions that the import checks resolve against.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from kailash_cli.checks.base import Check, CheckFamily
from kailash_cli.checks.project import Project
from kailash_cli.load.discovery import is_test_path
from kailash_cli.model.result import Problem

UNPINNED = Check(
    "KD501",
    "warning",
    "requirement not pinned to an exact version",
    "An unpinned requirement installs whatever is newest at build time, so two builds of the same "
    "commit can differ and a bad release breaks production.",
    "pin it with == (pip freeze, pip-compile or uv pip compile produce the pins)",
)
DEV_TOOL = Check(
    "KD502",
    "warning",
    "development tool in production requirements",
    "Test runners, linters and type checkers enlarge the image and its attack surface and are "
    "never needed at run time.",
    "move it to requirements-dev.txt or a dev dependency group",
)
CHECKS = (UNPINNED, DEV_TOOL)

DEV_TOOLS = frozenset(
    {
        "pytest",
        "pytest-cov",
        "pytest-mock",
        "pytest-asyncio",
        "pytest-xdist",
        "black",
        "ruff",
        "mypy",
        "flake8",
        "pylint",
        "isort",
        "coverage",
        "tox",
        "nox",
        "pre-commit",
        "ipython",
        "ipdb",
        "pdbpp",
        "bandit",
        "autopep8",
        "yapf",
        "hypothesis",
        "debugpy",
        "jupyter",
        "notebook",
        "pyright",
        "pycodestyle",
        "pydocstyle",
        "pyflakes",
        "types-requests",
        "types-pyyaml",
        "mkdocs",
        "sphinx",
        "twine",
        "build",
        "pip-tools",
        "bump2version",
        "faker",
        "factory-boy",
        "responses",
        "freezegun",
    }
)
_DEV_WORDS = frozenset(
    {
        "dev",
        "develop",
        "development",
        "test",
        "tests",
        "testing",
        "lint",
        "docs",
        "doc",
        "ci",
        "local",
        "typing",
        "types",
        "qa",
    }
)
_NAME = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)\s*(\[[^\]]*\])?\s*(.*)$")


def normalize(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def is_dev_name(name: str) -> bool:
    words = re.split(r"[-_.\s/]+", name.lower())
    return any(word in _DEV_WORDS for word in words)


@dataclass(frozen=True)
class Requirement:
    name: str
    spec: str  # the version part, markers removed
    file: Path
    line: int
    column: int
    production: bool


def requirement_files(project: Project) -> list[Path]:
    return [
        p
        for p in project.files
        if p.suffix in (".txt", ".in")
        and (p.name.startswith("requirements") or p.parent.name == "requirements")
        and not is_test_path(p.relative_to(project.root))
    ]


def _requirements_txt(project: Project, path: Path) -> Iterator[Requirement]:
    production = not is_dev_name(path.relative_to(project.root).as_posix().replace("requirements", ""))
    lines = project.lines(path)
    for index, raw in enumerate(lines):
        if index and lines[index - 1].rstrip().endswith("\\"):
            continue  # continuation of the line before (hashes)
        text = re.split(r"(^|\s)#", raw, maxsplit=1)[0].rstrip().rstrip("\\").strip()
        if not text or text.startswith("-") or "://" in text.split("@")[0]:
            continue
        match = _NAME.match(text)
        if match:
            spec = match.group(3).split(";")[0].strip()
            yield Requirement(
                match.group(1), spec, path, index + 1, raw.index(match.group(1)) + 1, production
            )


def _pyproject(project: Project, path: Path) -> Iterator[Requirement]:
    text = project.text(path) or ""
    data = project.toml(path)
    if data is None:
        return  # KD707 says why
    proj = data.get("project", {}) if isinstance(data.get("project"), dict) else {}
    groups: list[tuple[bool, Any]] = [(True, proj.get("dependencies", []))]
    for group, reqs in _dict(proj.get("optional-dependencies")).items():
        groups.append((not is_dev_name(group), reqs))
    for reqs in _dict(data.get("dependency-groups")).values():
        groups.append((False, reqs))
    poetry = _dict(_dict(data.get("tool")).get("poetry"))
    groups.append((True, [k for k in _dict(poetry.get("dependencies")) if k != "python"]))
    groups.append((False, list(_dict(poetry.get("dev-dependencies")))))
    for group in _dict(poetry.get("group")).values():
        groups.append((False, list(_dict(_dict(group).get("dependencies")))))
    for production, reqs in groups:
        for req in reqs if isinstance(reqs, list) else []:
            match = _NAME.match(req) if isinstance(req, str) else None
            if match:
                line, column = _locate(text, req)
                yield Requirement(
                    match.group(1), match.group(3).split(";")[0].strip(), path, line, column, production
                )


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _locate(text: str, needle: str) -> tuple[int, int]:
    for quoted in (f'"{needle}"', f"'{needle}'", needle):
        offset = text.find(quoted)
        if offset >= 0:
            line_start = text.rfind("\n", 0, offset) + 1
            return text.count("\n", 0, offset) + 1, offset - line_start + 1
    return 1, 1  # pragma: no cover - every name read from the file is in its text


def requirements(project: Project) -> list[Requirement]:
    found = [r for path in requirement_files(project) for r in _requirements_txt(project, path)]
    for path in project.files:
        if path.name == "pyproject.toml" and not is_test_path(path.relative_to(project.root)):
            found.extend(_pyproject(project, path))
    return found


def declared(project: Project) -> tuple[set[str], dict[str, str]]:
    """Normalized production distribution names, and dev-only ones with the file declaring them."""
    reqs = requirements(project)
    production = {normalize(r.name) for r in reqs if r.production}
    dev_only = {
        normalize(r.name): project.display(r.file)
        for r in reqs
        if not r.production and normalize(r.name) not in production
    }
    return production, dev_only


def is_pinned(spec: str) -> bool:
    if spec.startswith("@"):
        return True  # a direct reference names one artifact
    return bool(re.fullmatch(r"===?\s*[A-Za-z0-9][A-Za-z0-9.+!_-]*", spec))


def run(project: Project) -> Iterator[Problem]:
    for req in requirements(project):
        if not req.production:
            continue
        file = project.display(req.file)
        if normalize(req.name) in DEV_TOOLS:
            yield DEV_TOOL.at(
                f"'{req.name}' is a development tool but is listed in production dependencies",
                file,
                req.line,
                req.column,
            )
        elif req.file.suffix == ".txt" and not is_pinned(req.spec):
            shown = f"'{req.name}{req.spec}'" if req.spec else f"'{req.name}'"
            yield UNPINNED.at(
                f"{shown} is not pinned to one version",
                file,
                req.line,
                req.column,
                fix=f"pin it: {req.name}==<version>",
            )


FAMILY = CheckFamily("KD5", "Dependencies", CHECKS, run)

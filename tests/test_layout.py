"""The layout holds: small modules, and imports that go one way down the stages."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "kailash_cli"

#: ARCHITECTURE.md's order: a module may import from its own line or any line below it
LAYERS = [
    {"main", "entry", "__main__", "commands", "cli_base", "cli_check", "cli_project", "cli_store"},
    {"api", "__init__", "serve"},
    {"pipeline", "checks", "error_handler", "health"},
    {"report"},
    {"engine"},
    {"compile"},
    {"nodes", "load", "schema", "security", "db"},
    {"model", "errors", "constants"},
]


def _layer(module: str) -> int:
    top = module.split(".")[1] if "." in module else "__init__"
    return next(i for i, names in enumerate(LAYERS) if top in names)


def _modules() -> list[Path]:
    return sorted(p for p in PACKAGE.rglob("*.py") if "__pycache__" not in p.parts)


def _name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


@pytest.mark.parametrize("path", _modules(), ids=lambda p: str(p.relative_to(PACKAGE)))
def test_no_module_over_300_lines(path: Path) -> None:
    assert len(path.read_text(encoding="utf-8").splitlines()) <= 300


def test_imports_go_down_the_stages() -> None:
    upward = []
    for path in _modules():
        module = _name(path)
        tree = ast.parse(path.read_text(encoding="utf-8"))
        typing_only = {
            id(n)
            for block in ast.walk(tree)
            if isinstance(block, ast.If) and ast.unparse(block.test) == "TYPE_CHECKING"
            for n in ast.walk(block)
        }
        for node in ast.walk(tree):
            target = node.module or "" if isinstance(node, ast.ImportFrom) else ""
            runtime = target.startswith("kailash_cli.") and id(node) not in typing_only
            if runtime and _layer(target) < _layer(module):
                upward.append(f"{module} -> {target}")
    assert upward == []


def test_the_repository_stands_alone() -> None:
    """Users get the repository only: nothing in it may point outside it (a `../` link to
    a document they do not have)."""
    import subprocess

    root = PACKAGE.parent
    tracked = subprocess.run(["git", "ls-files", "-z"], cwd=root, capture_output=True, text=True, check=True)
    needle = ".." + "/shared"  # not written whole: this file would find itself
    outside = [
        f"{name}:{number}"
        for name in filter(None, tracked.stdout.split("\0"))
        if name.endswith((".md", ".py", ".yaml", ".yml", ".toml", ".json"))
        for number, line in enumerate(
            (root / name).read_text(encoding="utf-8", errors="replace").splitlines(), 1
        )
        if needle in line
    ]
    assert outside == []

"""Which files a project holds, and which of its YAML files are Kailash workflows and configs.

One walk and one set of rules for ``kailash validate DIR`` and ``kailash check-deploy DIR``:
hidden folders, virtual environments, build output and caches are skipped; a file named
``kailash.yaml``/``kailash.yml`` is a config; a workflow is a YAML file, not hidden, holding
one mapping with ``nodes:`` and no ``apiVersion:`` (so docker-compose, mkdocs, CI files and
Kubernetes manifests are left alone). Files are read once, as UTF-8, up to ``MAX_TEXT_BYTES``.
"""

from __future__ import annotations

import re
from pathlib import Path

from ruamel.yaml import YAML
from ruamel.yaml.error import YAMLError
from ruamel.yaml.nodes import MappingNode, Node, ScalarNode

from kailash_cli.constants import CONFIG_FILE_NAMES, WORKFLOW_SUFFIXES
from kailash_cli.load.yaml_limits import MAX_DEPTH, too_deep

SKIPPED_DIRS = frozenset(
    {
        "node_modules",
        "venv",
        "env",
        "__pycache__",
        "site-packages",
        "build",
        "dist",
        "htmlcov",
        "__pypackages__",
    }
)
TEST_DIRS = frozenset({"tests", "test", "testing"})
MAX_TEXT_BYTES = 1_000_000
_WORKFLOW_START = re.compile(r"^nodes:", re.MULTILINE)

#: why a file could not be read or parsed: (reason, line, column)
Unread = tuple[str, int | None, int | None]


def skipped_dir(entry: Path) -> bool:
    name = entry.name
    return (
        name.startswith(".")
        or name in SKIPPED_DIRS
        or name.endswith(".egg-info")
        or (entry / "pyvenv.cfg").is_file()
    )


def walk(root: Path) -> list[Path]:
    """Every file under ``root`` (sorted), hidden folders, venvs and build output left out.
    Symbolic links to folders are not followed (no loops, nothing outside the project)."""
    found: list[Path] = []
    stack = [root]
    while stack:
        folder = stack.pop()
        try:
            entries = list(folder.iterdir())
        except OSError:
            continue
        for entry in entries:
            if entry.is_dir() and not entry.is_symlink():
                if not skipped_dir(entry):
                    stack.append(entry)
            elif entry.is_file():
                found.append(entry)
    return sorted(found)


def is_test_path(rel: Path) -> bool:
    """A test module or a file under a test folder (``rel`` relative to the project root)."""
    if any(part in TEST_DIRS for part in rel.parts[:-1]):
        return True
    name = rel.name
    return name.startswith("test_") or name.endswith("_test.py") or name == "conftest.py"


def is_config_file(path: Path) -> bool:
    return path.name in CONFIG_FILE_NAMES


def is_yaml_file(path: Path) -> bool:
    return path.suffix in WORKFLOW_SUFFIXES


def _may_be_workflow(path: Path) -> bool:
    return is_yaml_file(path) and not path.name.startswith(".") and not is_config_file(path)


def _mapping_has(node: Node, key: str) -> bool:
    return isinstance(node, MappingNode) and any(
        isinstance(k, ScalarNode) and k.value == key for k, _ in node.value
    )


class SourceFiles:
    """The text and YAML node trees of files, each read once, and why one could not be."""

    def __init__(self) -> None:
        self._text: dict[Path, str | None] = {}
        self._yaml: dict[Path, list[Node] | None] = {}
        self._unread: dict[Path, Unread] = {}

    def text(self, path: Path) -> str | None:
        """The file's text, or None (and the reason in ``unread``) when it is too large,
        cannot be read or is not UTF-8."""
        if path not in self._text:
            self._text[path] = None
            try:
                if path.stat().st_size > MAX_TEXT_BYTES:
                    limit = f"{MAX_TEXT_BYTES // 1_000_000} MB"
                    self._unread[path] = (f"it is larger than {limit}", None, None)
                else:
                    raw = path.read_bytes()
                    try:
                        self._text[path] = raw.decode("utf-8-sig")
                    except UnicodeDecodeError as e:
                        line = raw.count(b"\n", 0, e.start) + 1
                        reason = f"it is not UTF-8 text (byte 0x{raw[e.start]:02x})"
                        self._unread[path] = (reason, line, None)
            except OSError as e:
                self._unread[path] = (f"it cannot be read ({e.strerror or e})", None, None)
        return self._text[path]

    def put(self, path: Path, text: str) -> None:
        """``path`` reads as ``text`` (what was read from standard input)."""
        self._text[path] = text

    def lines(self, path: Path) -> list[str]:
        return (self.text(path) or "").splitlines()

    def unread(self, path: Path) -> Unread | None:
        """Why ``path`` could not be read (YAML files: or parsed), with the line and column
        when known; None when it was read."""
        if self.text(path) is not None and is_yaml_file(path):
            self.yaml_documents(path)
        return self._unread.get(path)

    def yaml_documents(self, path: Path) -> list[Node] | None:
        """Every document's node tree (positions kept), or None when the file does not parse."""
        if path not in self._yaml:
            deep = too_deep(self.text(path) or "")
            if deep is not None:
                self._yaml[path] = None
                self._unread[path] = (f"it nests collections more than {MAX_DEPTH} levels deep", *deep)
                return None
            try:
                nodes = list(YAML(typ="safe").compose_all(self.text(path) or ""))
                self._yaml[path] = [n for n in nodes if n is not None]
            except YAMLError as e:
                self._yaml[path] = None
                mark = getattr(e, "problem_mark", None)
                if mark is not None and mark.line >= len(self.lines(path)):
                    # at the end of the file: the construct left open is the better place
                    mark = getattr(e, "context_mark", None) or mark
                # the problem only, never the snippet of the file a YAMLError prints (a secret?)
                problem = getattr(e, "problem", None) or type(e).__name__
                self._unread[path] = (
                    f"it is not valid YAML ({problem})",
                    mark.line + 1 if mark is not None else None,
                    mark.column + 1 if mark is not None else None,
                )
        return self._yaml[path]

    def is_workflow(self, path: Path) -> bool:
        """A YAML file, not hidden and not a config, holding one mapping with ``nodes:`` and no
        ``apiVersion:``; YAML that does not parse counts when a line starts with ``nodes:``, so
        that its syntax error gets reported. Text that cannot be read is not a workflow."""
        if not _may_be_workflow(path):
            return False
        docs = self.yaml_documents(path)
        if docs is None:
            return _WORKFLOW_START.search(self.text(path) or "") is not None
        return len(docs) == 1 and _mapping_has(docs[0], "nodes") and not _mapping_has(docs[0], "apiVersion")


def looks_like_workflow(path: Path) -> bool:
    """For a file whose text cannot be read (too large, not UTF-8): a line starts with ``nodes:``."""
    try:
        return re.search(rb"^nodes:", path.read_bytes(), re.MULTILINE) is not None
    except OSError:
        return False


def kailash_files(folder: Path, sources: SourceFiles | None = None) -> list[Path]:
    """The configs and workflows under ``folder``, sorted. A workflow-looking file that cannot
    be read as text is included, so that ``kailash validate`` says why."""
    sources = sources or SourceFiles()
    found = []
    for path in walk(folder):
        if is_config_file(path):
            found.append(path)
        elif not _may_be_workflow(path):
            continue
        elif sources.text(path) is None:
            if looks_like_workflow(path):
                found.append(path)
        elif sources.is_workflow(path):
            found.append(path)
    return found

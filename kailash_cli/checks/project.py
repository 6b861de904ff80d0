"""The project under check: its files (walked once), parsed lazily and cached.

Production code is every ``*.py`` under the root except tests, virtual environments,
build output and hidden folders. Env files are read with the usual dotenv syntax.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from functools import cached_property, lru_cache
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.error import YAMLError
from ruamel.yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from kailash_cli.load.yaml_io import Document

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
TEXT_SUFFIXES = frozenset(
    {
        ".py",
        ".yaml",
        ".yml",
        ".toml",
        ".json",
        ".cfg",
        ".ini",
        ".conf",
        ".txt",
        ".sh",
        ".env",
        ".properties",
        ".tf",
        ".js",
        ".ts",
        ".pem",
        ".key",
    }
)
#: credential files that carry no suffix (or one that says nothing about the content)
SECRET_FILE_NAMES = frozenset(
    {"id_rsa", "id_dsa", "id_ecdsa", "id_ed25519", ".netrc", ".pypirc", ".npmrc", ".pgpass", "credentials"}
)
MAX_TEXT_BYTES = 1_000_000


def is_dockerfile(path: Path) -> bool:
    name = path.name
    return (
        name in ("Dockerfile", "Containerfile")
        or name.startswith("Dockerfile.")
        or name.endswith(".Dockerfile")
    )


def is_env_file(path: Path) -> bool:
    return path.name == ".env" or path.name.startswith(".env.") or path.suffix == ".env"


def is_test_path(rel: Path) -> bool:
    if any(part in TEST_DIRS for part in rel.parts[:-1]):
        return True
    name = rel.name
    return name.startswith("test_") or name.endswith("_test.py") or name == "conftest.py"


def _skipped_dir(entry: Path) -> bool:
    name = entry.name
    return (
        name.startswith(".")
        or name in SKIPPED_DIRS
        or name.endswith(".egg-info")
        or (entry / "pyvenv.cfg").is_file()
    )


def walk(root: Path) -> list[Path]:
    """Every file under ``root`` (sorted), hidden folders, venvs and build output left out."""
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
                if not _skipped_dir(entry):
                    stack.append(entry)
            elif entry.is_file():
                found.append(entry)
    return sorted(found)


# --- env files -------------------------------------------------------------------------------


@dataclass(frozen=True)
class EnvEntry:
    key: str
    value: str
    file: Path
    line: int
    column: int


_ENV_LINE = re.compile(r"^\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_.-]*)\s*=\s*(.*)$")
_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", '"': '"', "\\": "\\", "$": "$"}


def parse_env(text: str, file: Path) -> list[EnvEntry]:
    """``KEY=value`` entries: ``export``, comments, single/double quotes (multi-line too)."""
    entries: list[EnvEntry] = []
    lines = text.splitlines()
    index = 0
    while index < len(lines):
        match = _ENV_LINE.match(lines[index])
        start = index
        index += 1
        if not match:
            continue
        key, raw = match.group(1), match.group(2)
        column = match.start(2) + 1
        if raw[:1] in ("'", '"'):
            quote, body = raw[0], raw[1:]
            while _closing(body, quote) < 0 and index < len(lines):
                body += "\n" + lines[index]
                index += 1
            end = _closing(body, quote)
            value = body if end < 0 else body[:end]
            if quote == '"':
                value = re.sub(r"\\(.)", lambda m: _ESCAPES.get(m.group(1), "\\" + m.group(1)), value)
        else:
            value = re.split(r"\s+#", raw, maxsplit=1)[0].strip()
        entries.append(EnvEntry(key, value, file, start + 1, column))
    return entries


def _closing(body: str, quote: str) -> int:
    escaped = False
    for i, char in enumerate(body):
        if quote == '"' and char == "\\" and not escaped:
            escaped = True
            continue
        if char == quote and not escaped:
            return i
        escaped = False
    return -1


def _read_bytes(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError:
        return b""


# --- secret-like names and values ---------------------------------------------------------------

_NOT_SECRET_SUFFIXES = (
    "_FILE",
    "_PATH",
    "_DIR",
    "_URL",
    "_URI",
    "_ENDPOINT",
    "_HEADER",
    "_TTL",
    "_EXPIRY",
    "_EXPIRES",
    "_LENGTH",
    "_TIMEOUT",
    "_NAME",
    "_ID",
    "_TYPE",
    "_ALGORITHM",
    "_REF",
    "_BACKEND",
    "_PROVIDER",
    "_ENV",
    "_VAR",
    "_PREFIX",
    "_FIELD",
    "_MOUNT",
    "_SOURCE",
    "_KEYRING",
    "_TEMPLATE",
    "_PROMPT",
    "_REGEX",
    "_PATTERN",
    "_LABEL",
    "_MESSAGE",
    "_HELP",
)
_PLACEHOLDERS = frozenset(
    {
        "changeme",
        "change-me",
        "change_me",
        "change-in-production",
        "change_in_production",
        "changeinproduction",
        "change-this",
        "changethis",
        "secret",
        "password",
        "passwd",
        "token",
        "todo",
        "tbd",
        "fixme",
        "replace-me",
        "replaceme",
        "replace_me",
        "your-secret-here",
        "your_secret_here",
        "example",
        "dummy",
        "placeholder",
        "default",
        "test",
        "none",
        "null",
        "xxx",
        "secret-key",
        "secret_key",
        "mysecret",
        "supersecret",
        "admin",
        "password123",
    }
)


def snake_upper(name: str) -> str:
    """``secretName`` / ``secret-name`` -> ``SECRET_NAME``."""
    name = re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", name)
    return re.sub(r"[^A-Za-z0-9]+", "_", name).upper()


@lru_cache(maxsize=4096)
def is_secret_name(name: str) -> bool:
    """``*SECRET*``, ``*_KEY``, ``*TOKEN*``, ``*PASSWORD*`` (and ``PASSWD``), or plain ``token``."""
    upper = snake_upper(name)
    if not upper or upper.endswith(_NOT_SECRET_SUFFIXES) or "PUBLIC_KEY" in upper:
        return False
    return any(word in upper for word in ("SECRET", "TOKEN", "PASSWORD", "PASSWD")) or upper.endswith("_KEY")


def is_placeholder(value: str) -> bool:
    lowered = value.strip().lower()
    return (
        lowered in _PLACEHOLDERS
        or bool(re.fullmatch(r"x{3,}|\*+|\.{3}|<[^>]*>|\[[^\]]*\]", lowered))
        or lowered.startswith(("your-", "your_", "change-me", "changeme", "change_me", "replace"))
        or "change-in-production" in lowered
        or "changeme" in lowered
    )


def is_reference(value: str) -> bool:
    """A value that names where the secret comes from instead of holding it."""
    text = value.strip()
    return bool(
        re.fullmatch(
            r"\$\{[^}]*\}|\$[A-Za-z_][A-Za-z0-9_]*|\{\{.*\}\}|%\([a-z_]+\)s|"
            r"[A-Z][A-Z0-9_]*|(?:env|keyring|vault|secret|file):.*",
            text,
        )
    )


# --- YAML nodes ----------------------------------------------------------------------------------


def mapping_get(node: Node | None, key: str) -> Node | None:
    if isinstance(node, MappingNode):
        for key_node, value_node in node.value:
            if isinstance(key_node, ScalarNode) and key_node.value == key:
                return value_node  # type: ignore[no-any-return]
    return None


def mapping_key(node: Node | None, key: str) -> Node | None:
    if isinstance(node, MappingNode):
        for key_node, _ in node.value:
            if isinstance(key_node, ScalarNode) and key_node.value == key:
                return key_node  # type: ignore[no-any-return]
    return None


def scalar(node: Node | None) -> str | None:
    return node.value if isinstance(node, ScalarNode) else None  # type: ignore[no-any-return]


def items(node: Node | None) -> list[Node]:
    return list(node.value) if isinstance(node, SequenceNode) else []


def pos(node: Node) -> tuple[int, int]:
    return node.start_mark.line + 1, node.start_mark.column + 1


# --- the project ---------------------------------------------------------------------------------


@dataclass
class Project:
    """Everything the checks read; files are parsed on first use and cached."""

    root: Path
    environ: Mapping[str, str]
    env_files: list[Path] = field(default_factory=list)
    config_path: Path | None = None
    config_doc: Document | None = None
    cwd: Path = field(default_factory=Path.cwd)
    _text: dict[Path, str | None] = field(default_factory=dict, repr=False)
    _ast: dict[Path, ast.Module | SyntaxError] = field(default_factory=dict, repr=False)
    _yaml: dict[Path, list[Node] | None] = field(default_factory=dict, repr=False)
    #: why a file could not be read or parsed: (reason, line, column)
    _unchecked: dict[Path, tuple[str, int | None, int | None]] = field(default_factory=dict, repr=False)
    sensitive_values: set[str] = field(default_factory=set, repr=False)
    cache: dict[str, Any] = field(default_factory=dict, repr=False)
    _display: dict[Path, str] = field(default_factory=dict, repr=False)

    @cached_property
    def files(self) -> list[Path]:
        return walk(self.root)

    @cached_property
    def python_files(self) -> list[Path]:
        return [p for p in self.files if p.suffix == ".py"]

    @cached_property
    def production_files(self) -> list[Path]:
        return [p for p in self.python_files if not is_test_path(p.relative_to(self.root))]

    @cached_property
    def yaml_files(self) -> list[Path]:
        return [
            p
            for p in self.files
            if p.suffix in (".yaml", ".yml") and not is_test_path(p.relative_to(self.root))
        ]

    @cached_property
    def text_files(self) -> list[Path]:
        return [
            p
            for p in self.files
            if p.suffix in TEXT_SUFFIXES or is_dockerfile(p) or is_env_file(p) or p.name in SECRET_FILE_NAMES
        ]

    @cached_property
    def config(self) -> dict[str, Any]:
        data = self.config_doc.data if self.config_doc else None
        return data if isinstance(data, dict) else {}

    def section(self, *names: str) -> dict[str, Any]:
        value: Any = self.config
        for name in names:
            value = value.get(name) if isinstance(value, dict) else None
        return value if isinstance(value, dict) else {}

    @cached_property
    def env_entries(self) -> list[EnvEntry]:
        entries: list[EnvEntry] = []
        for path in self.env_files:
            entries.extend(parse_env(self.text(path) or "", path))
        return entries

    def display(self, path: Path) -> str:
        """The path as findings show it: relative to the working directory when inside it."""
        if path not in self._display:
            try:
                self._display[path] = path.resolve().relative_to(self._cwd).as_posix()
            except ValueError:
                self._display[path] = str(path)
        return self._display[path]

    @cached_property
    def _cwd(self) -> Path:
        return self.cwd.resolve()

    def text(self, path: Path) -> str | None:
        """The file's text, or None (and the reason in ``unchecked``) when it is too large,
        cannot be read or is not UTF-8."""
        if path not in self._text:
            self._text[path] = None
            try:
                if path.stat().st_size > MAX_TEXT_BYTES:
                    limit = f"{MAX_TEXT_BYTES // 1_000_000} MB"
                    self._unchecked[path] = (f"it is larger than {limit}", None, None)
                else:
                    raw = path.read_bytes()
                    try:
                        self._text[path] = raw.decode("utf-8-sig")
                    except UnicodeDecodeError as e:
                        line = raw.count(b"\n", 0, e.start) + 1
                        reason = f"it is not UTF-8 text (byte 0x{raw[e.start]:02x})"
                        self._unchecked[path] = (reason, line, None)
            except OSError as e:
                self._unchecked[path] = (f"it cannot be read ({e.strerror or e})", None, None)
        return self._text[path]

    def unchecked(self, path: Path) -> tuple[str, int | None, int | None] | None:
        """Why the checks could not read ``path`` (YAML files: or parse it), with the line and
        column when known; None when it was read."""
        if self.text(path) is not None and path.suffix in (".yaml", ".yml"):
            self.yaml_documents(path)
        return self._unchecked.get(path)

    def lines(self, path: Path) -> list[str]:
        return (self.text(path) or "").splitlines()

    def python_ast(self, path: Path) -> ast.Module | SyntaxError:
        if path not in self._ast:
            text = self.text(path)
            try:
                # bytes when the text is not UTF-8 (or too large): Python honours a coding
                # cookie, and a file Python cannot decode is a syntax error, as at import time
                source = text if text is not None else _read_bytes(path)
                self._ast[path] = ast.parse(source, filename=str(path))
            except SyntaxError as e:
                self._ast[path] = e
            except ValueError as e:  # null bytes
                self._ast[path] = SyntaxError(str(e), (str(path), 1, 1, None))
        return self._ast[path]

    def yaml_documents(self, path: Path) -> list[Node] | None:
        """Every document's node tree (positions kept), or None when the file does not parse."""
        if path not in self._yaml:
            try:
                nodes = list(YAML(typ="safe").compose_all(self.text(path) or ""))
                self._yaml[path] = [n for n in nodes if n is not None]
            except YAMLError as e:
                self._yaml[path] = None
                mark = getattr(e, "problem_mark", None)
                if mark is not None and mark.line >= len((self.text(path) or "").splitlines()):
                    # at the end of the file: the construct left open is the better place
                    mark = getattr(e, "context_mark", None) or mark
                # the problem only, never the snippet of the file a YAMLError prints (a secret?)
                problem = getattr(e, "problem", None) or type(e).__name__
                self._unchecked[path] = (
                    f"it is not valid YAML ({problem})",
                    mark.line + 1 if mark is not None else None,
                    mark.column + 1 if mark is not None else None,
                )
        return self._yaml[path]

    def manifests(self) -> Iterator[tuple[Path, MappingNode]]:
        """Kubernetes-style documents: mappings with ``apiVersion`` and ``kind``."""
        for path in self.yaml_files:
            for doc in self.yaml_documents(path) or []:
                if scalar(mapping_get(doc, "apiVersion")) and scalar(mapping_get(doc, "kind")):
                    yield path, doc  # type: ignore[misc]

    @cached_property
    def workflows(self) -> list[Document]:
        """Workflow files (a single mapping with ``nodes:``), loaded as ``kailash validate`` does."""
        from kailash_cli.load.yaml_io import load

        return [load(p, display=self.display(p)) for p in self.yaml_files if self.is_workflow(p)]

    def is_helm_template(self, path: Path) -> bool:
        """A file under the ``templates/`` folder of a Helm chart (a folder holding Chart.yaml):
        Go-template YAML that only parses once Helm has rendered it."""
        parts = path.relative_to(self.root).parts[:-1]
        return any(
            part == "templates" and (self.root.joinpath(*parts[:i]) / "Chart.yaml").is_file()
            for i, part in enumerate(parts)
        )

    def is_workflow(self, path: Path) -> bool:
        docs = self.yaml_documents(path)
        if path == self.config_path or path.name in ("kailash.yaml", "kailash.yml"):
            return False
        if docs is None:  # unparsable YAML that looks like a workflow still gets reported
            return bool(re.search(r"^nodes:", self.text(path) or "", re.MULTILINE))
        return (
            len(docs) == 1
            and mapping_get(docs[0], "nodes") is not None
            and mapping_get(docs[0], "apiVersion") is None
        )

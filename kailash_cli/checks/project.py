"""The project under check: its files (walked once), parsed lazily and cached.

Production code is every ``*.py`` under the root except tests, virtual environments,
build output and hidden folders (``load.discovery`` decides which files there are).
"""

from __future__ import annotations

import ast
import re
import tomllib
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

from ruamel.yaml.nodes import MappingNode, Node

from kailash_cli.checks.env_files import EnvEntry, parse_env
from kailash_cli.checks.file_kinds import is_text_file
from kailash_cli.checks.python_sources import parse_python
from kailash_cli.checks.yaml_nodes import items, mapping_get, scalar
from kailash_cli.constants import CONFIG_FILE_NAMES
from kailash_cli.errors import UsageError
from kailash_cli.load.discovery import SourceFiles, Unread, is_test_path, is_yaml_file, walk
from kailash_cli.load.yaml_io import STDIN_NAME, Document, is_stdin, load, read_stdin
from kailash_cli.load.yaml_limits import MAX_DEPTH, UnreadableFile, too_deep
from kailash_cli.model.result import Problem

#: how an env file read from standard input (``--env-file -``) is named in findings
STDIN_ENV = Path(STDIN_NAME)


@dataclass
class Project:
    """Everything the checks read; files are parsed on first use and cached."""

    root: Path
    environ: Mapping[str, str]
    env_files: list[Path] = field(default_factory=list)
    config_path: Path | None = None
    config_doc: Document | None = None
    cwd: Path = field(default_factory=Path.cwd)
    #: the project's interpreter (``--python``): its packages resolve imports (KD102)
    python: Path | None = None
    sources: SourceFiles = field(default_factory=SourceFiles, repr=False)
    _ast: dict[Path, ast.Module | SyntaxError] = field(default_factory=dict, repr=False)
    #: every value a check saw as secret: scrubbed from the output (see ``checks.runner.scrub``)
    sensitive_values: set[str] = field(default_factory=set, repr=False)
    cache: dict[str, Any] = field(default_factory=dict, repr=False)
    _display: dict[Path, str] = field(default_factory=dict, repr=False)
    _parse_errors: dict[Path, Unread | None] = field(default_factory=dict, repr=False)

    @cached_property
    def files(self) -> list[Path]:
        return walk(self.root)

    @cached_property
    def python_files(self) -> list[Path]:
        return [p for p in self.files if p.suffix == ".py"]

    @cached_property
    def production_files(self) -> list[Path]:
        """Python files that run in production: not tests, nor build and tooling files
        (``setup.py``, ``noxfile.py``, ``fabfile.py``) nor documentation (``docs/conf.py``),
        whose imports come from build or development requirements."""
        return [p for p in self.python_files if not _not_production(p.relative_to(self.root))]

    @cached_property
    def yaml_files(self) -> list[Path]:
        return [p for p in self.files if is_yaml_file(p) and not is_test_path(p.relative_to(self.root))]

    @cached_property
    def text_files(self) -> list[Path]:
        return [p for p in self.files if is_text_file(p)]

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
    def _given_env_files(self) -> frozenset[Path]:
        return frozenset(p.resolve() for p in self.env_files)

    def is_env_file_given(self, path: Path) -> bool:
        """``path`` (a file of the walk) is one of the ``--env-file`` files."""
        given = self._given_env_files
        return bool(given) and (path in given or (path.is_symlink() and path.resolve() in given))

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
        return self.sources.text(path)

    def lines(self, path: Path) -> list[str]:
        return self.sources.lines(path)

    def unchecked(self, path: Path) -> Unread | None:
        if is_yaml_file(path):
            return self.nested_too_deep(path) or self.sources.unread(path)
        if path.name == "pyproject.toml" and self.text(path) is not None:
            self.toml(path)
            return self._parse_errors.get(path)
        return self.sources.unread(path)

    def toml(self, path: Path) -> dict[str, Any] | None:
        """A TOML file's data; None (and the reason in ``unchecked``) when it does not parse."""
        key = f"toml:{path}"
        if key not in self.cache:
            try:
                self.cache[key] = tomllib.loads(self.text(path) or "")
            except tomllib.TOMLDecodeError as e:
                self.cache[key] = None
                where = re.search(r"\(at line (\d+), column (\d+)\)", str(e))
                line, column = (int(where.group(1)), int(where.group(2))) if where else (None, None)
                self._parse_errors[path] = (
                    f"it is not valid TOML ({str(e).split(' (at ')[0]})",
                    line,
                    column,
                )
            except RecursionError:
                self.cache[key] = None
                self._parse_errors[path] = ("it is not valid TOML (nested too deep)", None, None)
        return self.cache[key]  # type: ignore[no-any-return]

    def yaml_documents(self, path: Path) -> list[Node] | None:
        """Every document's node tree; None when the file does not parse or nests too deep."""
        return None if self.nested_too_deep(path) else self.sources.yaml_documents(path)

    def nested_too_deep(self, path: Path) -> Unread | None:
        """Why a YAML file is not composed at all: it nests deeper than ``MAX_DEPTH``."""
        if path not in self._parse_errors:
            where = too_deep(self.text(path) or "")
            reason = f"it nests deeper than {MAX_DEPTH} levels"
            self._parse_errors[path] = (reason, *where) if where else None
        return self._parse_errors[path]

    def finding_line(self, p: Problem, offset: int = 0) -> str:
        """The source line a finding points at (``offset`` lines away); "" when there is none."""
        if not p.file or not p.line or p.line + offset < 1:
            return ""
        path = Path(p.file) if Path(p.file).is_absolute() else self.cwd / p.file
        lines = self.lines(path)
        index = p.line - 1 + offset
        return lines[index] if index < len(lines) else ""

    def python_ast(self, path: Path) -> ast.Module | SyntaxError:
        if path not in self._ast:
            self._ast[path] = parse_python(path, self.text(path))
        return self._ast[path]

    def manifests(self) -> Iterator[tuple[Path, MappingNode]]:
        """Kubernetes-style documents: mappings with ``apiVersion`` and ``kind``, and the items of
        a ``kind: List`` (what ``kubectl get -o yaml`` writes)."""
        for path in self.yaml_files:
            for doc in self.yaml_documents(path) or []:
                kind = scalar(mapping_get(doc, "kind")) or ""
                if scalar(mapping_get(doc, "apiVersion")) and kind:
                    yield path, doc  # type: ignore[misc]
                    if kind.endswith("List"):
                        for item in items(mapping_get(doc, "items")):
                            if scalar(mapping_get(item, "apiVersion")) and scalar(mapping_get(item, "kind")):
                                yield path, item  # type: ignore[misc]

    @cached_property
    def workflows(self) -> list[Document]:
        """Workflow files, loaded as ``kailash validate`` does."""
        return [load(p, display=self.display(p)) for p in self.yaml_files if self.is_workflow(p)]

    def is_workflow(self, path: Path) -> bool:
        return path != self.config_path and not self.nested_too_deep(path) and self.sources.is_workflow(path)

    def is_helm_template(self, path: Path) -> bool:
        """A file under the ``templates/`` folder of a Helm chart (a folder holding Chart.yaml):
        Go-template YAML that only parses once Helm has rendered it."""
        parts = path.relative_to(self.root).parts[:-1]
        return any(
            part == "templates" and (self.root.joinpath(*parts[:i]) / "Chart.yaml").is_file()
            for i, part in enumerate(parts)
        )


def open_project(
    directory: Path, config_path: Path | None, env_files: Sequence[Path], environ: Mapping[str, str]
) -> Project:
    """The project in ``directory`` with its config loaded; a missing directory, config or env
    file is a usage error."""
    if not directory.is_dir():
        raise UsageError(f"directory {directory} not found; give the project directory to check")
    if config_path is None:
        config_path = next(
            (directory / n for n in CONFIG_FILE_NAMES if (directory / n).is_file()),
            directory / CONFIG_FILE_NAMES[0],
        )
        if not config_path.is_file():
            raise UsageError(f"config file {config_path} not found; create it or pass -c CONFIG")
    elif not config_path.exists():
        raise UsageError(f"config file {config_path} not found; check the path given to -c")
    elif not config_path.is_file():  # a FIFO or a device
        raise UsageError(f"config file {config_path} is not a regular file; give the file to -c")
    stdin = [f for f in env_files if is_stdin(f)]
    if len(stdin) > 1:
        raise UsageError("--env-file - is given twice; standard input can be read once")
    for env_file in env_files:
        if not is_stdin(env_file) and not env_file.exists():
            raise UsageError(f"env file {env_file} not found; check the path given to --env-file")
        if not is_stdin(env_file) and not env_file.is_file():  # a FIFO waits for ever
            raise UsageError(f"env file {env_file} is not a regular file; give the file to --env-file")
    project = Project(
        root=directory.resolve(),
        environ=environ,
        env_files=[STDIN_ENV if is_stdin(f) else f for f in env_files],
        config_path=config_path.resolve(),
    )
    if stdin:  # read now, once: the checks read the env file through the sources like any file
        try:
            project.sources.put(STDIN_ENV, read_stdin().decode("utf-8-sig"))
        except (OSError, UnicodeDecodeError, UnreadableFile) as e:
            why = e.args[0] if isinstance(e, UnreadableFile) else "it is not UTF-8 text"
            why = e.strerror if isinstance(e, OSError) else why
            raise UsageError(
                f"--env-file -: cannot read standard input ({why}); pipe a file in (- < .env)"
            ) from None
    if not project.nested_too_deep(config_path.resolve()):  # else KD707, and no config to read
        project.config_doc = load(config_path, display=project.display(config_path))
    return project


_TOOLING = frozenset({"setup.py", "noxfile.py", "fabfile.py"})
_DOC_DIRS = frozenset({"docs", "doc"})


def _not_production(rel: Path) -> bool:
    return is_test_path(rel) or rel.name in _TOOLING or any(part in _DOC_DIRS for part in rel.parts[:-1])

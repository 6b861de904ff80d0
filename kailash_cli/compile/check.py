"""What ``kailash validate`` checks: files named or found in folders, each as a workflow or a config."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from kailash_cli.compile.validation import check_document
from kailash_cli.errors import UsageError
from kailash_cli.load.config import check_config
from kailash_cli.load.discovery import is_config_file, kailash_files
from kailash_cli.load.yaml_io import Document, display_path, is_stdin, load
from kailash_cli.model.result import Problem
from kailash_cli.nodes.sql import NODE_TYPE as SQL
from kailash_cli.schema.messages import did_you_mean

SQL_NODE = SQL.name


def check_files(paths: list[Path]) -> tuple[list[Path], list[Problem]]:
    """The files ``paths`` name (directories searched) and every finding in them.

    A workflow below the folder of a config checked in the same call is checked against
    it too: a SQLDatabaseNode ``connection`` must name one of its ``databases:`` (KV231).
    """
    files = _collect(paths)
    docs = [(f, load(f, display=display_path(f))) for f in files]
    configs = {
        f.resolve().parent: (f.name, doc.data.get("databases"))
        for f, doc in docs
        if is_config_file(f) and isinstance(doc.data, dict)
    }
    problems = []
    for path, doc in docs:
        if is_config_file(path):
            problems.extend(check_config(doc))
            continue
        problems.extend(check_document(doc))
        config = next((configs[d] for d in path.resolve().parents if d in configs), None)
        if config is not None and isinstance(doc.data, dict):
            problems.extend(_connections(doc, doc.data, *config))
    return files, problems


def _connections(doc: Document, data: dict[str, Any], config: str, databases: Any) -> list[Problem]:
    names = databases if isinstance(databases, dict) else {}
    nodes = data.get("nodes")
    problems = []
    for node_id, node in (nodes if isinstance(nodes, dict) else {}).items():
        config_ = node.get("config") if isinstance(node, dict) and node.get("type") == SQL_NODE else None
        name = config_.get("connection") if isinstance(config_, dict) else None
        if not isinstance(name, str) or "://" in name or "${" in name or name in names:
            continue
        where = "defined under databases:" if names else "defined: it has no databases: section"
        problems.append(
            doc.problem(
                "KV231",
                f"node '{node_id}': connection '{name}' is not {where} in {config}"
                + did_you_mean(name, names),
                ("nodes", node_id, "config", "connection"),
                fix=f"add it under databases: in {config}, fix the name, or give a URL",
            )
        )
    return problems


def _collect(paths: list[Path]) -> list[Path]:
    """Files as given; directories searched for configs and workflows (``load.discovery``, the
    rule check-deploy uses too), so docker-compose.yml, mkdocs.yml, CI files ... are left
    alone. A directory holding none of them is a usage error: a CI step that matched nothing
    must not pass."""
    files: list[Path] = []
    if sum(map(is_stdin, paths)) > 1:
        raise UsageError("- (standard input) given more than once; it can be read only once")
    for path in paths:
        if is_stdin(path):
            files.append(path)
        elif path.is_dir():
            found = kailash_files(path)
            if not found:
                raise UsageError(f"no workflow or kailash.yaml files under {path}")
            files.extend(found)
        elif path.exists():
            files.append(path)
        else:
            raise UsageError(f"{path}: no such file or directory")
    seen: set[Path] = set()  # `validate . sub/` names sub/'s files twice: each is checked once
    unique = []
    for file in files:
        key = file if is_stdin(file) else file.resolve()
        if key not in seen:
            seen.add(key)
            unique.append(file)
    return unique

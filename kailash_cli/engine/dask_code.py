"""Code on Dask workers: how a ``PythonCodeNode``'s function is made where the call runs.

A ``Recipe`` is plain data: inline code as its text, a ``module:callable`` function by its
reference (importable on the workers: a shared image, or the project folder on the same
machine), and a ``./file.py:callable`` function with its file's source, so a fresh
``dask worker`` needs nothing but ``kailash-cli``. A worker makes each once and keeps it.
"""

from __future__ import annotations

import hashlib
import inspect
import sys
import types
from pathlib import Path
from typing import Any

from kailash_cli.nodes.python_code import Prepared, resolve_function, split_ref

Recipe = tuple[str, str, str, str]  # (kind, text, where, the ./file.py source or "")


def recipe_of(prepared: Prepared, sources: dict[Path, str]) -> Recipe:
    """How to make ``prepared`` on a worker; a ``./file.py`` function carries its file's source
    (read once per file into ``sources``)."""
    kind, text, where = prepared.source
    module, _ = split_ref(text)
    if kind != "function" or not _is_file(module):
        return (kind, text, where, "")
    path = (Path(where) / module).resolve()
    if path not in sources:
        sources[path] = path.read_text(encoding="utf-8")
    return (kind, text, where, sources[path])


def make_prepared(recipe: Recipe) -> Prepared:
    kind, text, where, source = recipe
    if kind == "code":
        return _code(text, where)
    if not source:  # module:callable: importable here (a shared image), or the project folder
        function = resolve_function(text, Path(where))
        return Prepared(function, None, inspect.iscoroutinefunction(function), (kind, text, where))
    module, attr = split_ref(text)
    target: Any = _shipped_module(source, str((Path(where) / module).resolve()), where)
    for part in attr.split("."):
        target = getattr(target, part)
    return Prepared(target, None, inspect.iscoroutinefunction(target), (kind, text, where))


_CODE: dict[tuple[str, str], types.CodeType] = {}  # inline code compiled once per worker


def _code(text: str, where: str) -> Prepared:
    code = _CODE.get((text, where))
    if code is None:
        code = _CODE[(text, where)] = compile(text, where, "exec")
    return Prepared(None, code, False, ("code", text, where))


def _shipped_module(source: str, path: str, base_dir: str) -> types.ModuleType:
    """The module made from a shipped ``./file.py`` source, once per source on this worker.
    Its folder goes on ``sys.path`` when it exists here, so sibling imports work too."""
    name = "kailash_user_" + hashlib.sha256(f"{path}\0{source}".encode()).hexdigest()[:16]
    loaded = sys.modules.get(name)
    if loaded is not None:
        return loaded
    if Path(base_dir).is_dir() and base_dir not in sys.path:
        sys.path.insert(0, base_dir)
    module = types.ModuleType(name)
    module.__file__ = path
    exec(compile(source, path, "exec"), module.__dict__)  # noqa: S102 - the workflow's own code
    sys.modules[name] = module
    return module


def _is_file(module: str) -> bool:
    return module.endswith(".py") or "/" in module or "\\" in module

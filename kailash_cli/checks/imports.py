"""KD1xx: imports in production code resolve, are absolute and form no cycles; files parse."""

from __future__ import annotations

import ast
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from kailash_cli.checks.base import Check, CheckFamily
from kailash_cli.checks.dependencies import declared
from kailash_cli.checks.distributions import Resolver, project_resolver
from kailash_cli.checks.project import Project
from kailash_cli.model.result import Problem

RELATIVE = Check(
    "KD101",
    "error",
    "relative import in production code",
    "Relative imports break when a module is run as a script or moved between packages; the "
    "Kailash production checklist asks for absolute imports.",
    "write the absolute import (from mypackage.module import name)",
)
UNRESOLVED = Check(
    "KD102",
    "error",
    "import resolves to nothing declared",
    "A module that is neither standard library, nor part of the project, nor a declared "
    "distribution is missing in the deployed image and fails at import time.",
    "add the distribution to requirements.txt (or pyproject.toml), or fix the module name",
)
CYCLE = Check(
    "KD103",
    "warning",
    "import cycle among project modules",
    "Circular imports fail or half-initialise modules depending on which is imported first.",
    "move the shared code into a third module, or import inside the function that needs it",
)
UNPARSABLE = Check(
    "KD104",
    "error",
    "Python file does not parse",
    "A file with a syntax error fails at import time in production.",
    "fix the syntax error",
)
CHECKS = (RELATIVE, UNRESOLVED, CYCLE, UNPARSABLE)

_OPTIONAL_IMPORT_ERRORS = {"ImportError", "ModuleNotFoundError", "Exception", "BaseException"}


@dataclass(frozen=True)
class ImportSite:
    module: str  # absolute dotted name ('' when it cannot be resolved)
    names: tuple[str, ...]  # from-import names
    level: int
    line: int
    column: int
    optional: bool  # inside try/except ImportError or `if TYPE_CHECKING:`
    top_level: bool  # executed at import time (not inside a function)


class _Collector(ast.NodeVisitor):
    def __init__(self) -> None:
        self.sites: list[ImportSite] = []
        self.optional = 0
        self.in_function = 0

    def _add(self, node: ast.stmt | ast.expr, module: str, names: tuple[str, ...], level: int) -> None:
        self.sites.append(
            ImportSite(
                module,
                names,
                level,
                node.lineno,
                node.col_offset + 1,
                self.optional > 0,
                self.in_function == 0,
            )
        )

    def generic_visit(self, node: ast.AST) -> None:
        # imports are statements: skip expressions, which are most of the tree
        for name in ("body", "orelse", "finalbody", "handlers", "cases"):
            for child in getattr(node, name, None) or ():
                if isinstance(child, ast.stmt | ast.excepthandler | ast.match_case):
                    self.visit(child)

    def visit_Import(self, node: ast.Import) -> None:
        for alias in node.names:
            self._add(node, alias.name, (), 0)

    def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
        self._add(node, node.module or "", tuple(a.name for a in node.names), node.level)

    def _visit_value(self, node: ast.Expr | ast.Assign | ast.AnnAssign | ast.Return) -> None:
        """``importlib.import_module(".plugins", __package__)``: a relative import all the same."""
        call = node.value.value if isinstance(node.value, ast.Await) else node.value
        if not isinstance(call, ast.Call) or not call.args:
            return
        func = call.func.attr if isinstance(call.func, ast.Attribute) else getattr(call.func, "id", "")
        first = call.args[0]
        if func == "import_module" and isinstance(first, ast.Constant) and isinstance(first.value, str):
            level = len(first.value) - len(first.value.lstrip("."))
            if level:
                self._add(call, first.value[level:], (), level)

    visit_Expr = visit_Assign = visit_AnnAssign = visit_Return = _visit_value

    def visit_Try(self, node: ast.Try) -> None:
        guarded = any(_catches_import_error(h.type) for h in node.handlers)
        self.optional += guarded
        for stmt in node.body:
            self.visit(stmt)
        self.optional -= guarded
        for part in (*node.handlers, *node.orelse, *node.finalbody):
            self.visit(part)

    def visit_If(self, node: ast.If) -> None:
        test = node.test
        type_checking = (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
            isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
        )
        self.optional += type_checking
        for stmt in node.body:
            self.visit(stmt)
        self.optional -= type_checking
        for stmt in node.orelse:
            self.visit(stmt)

    def visit_FunctionDef(self, node: ast.FunctionDef | ast.AsyncFunctionDef) -> None:
        self.in_function += 1
        self.generic_visit(node)
        self.in_function -= 1

    visit_AsyncFunctionDef = visit_FunctionDef


def _catches_import_error(type_: ast.expr | None) -> bool:
    if type_ is None:
        return True
    names = type_.elts if isinstance(type_, ast.Tuple) else [type_]
    return any(isinstance(n, ast.Name) and n.id in _OPTIONAL_IMPORT_ERRORS for n in names)


def module_name(project: Project, path: Path) -> str:
    rel = path.relative_to(project.root)
    if rel.parts[0] == "src" and len(rel.parts) > 1:
        rel = rel.relative_to("src")
    parts = list(rel.with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _absolute(current: str, is_package: bool, site: ImportSite) -> str:
    if site.level == 0:
        return site.module
    base = current.split(".") if current else []
    if not is_package:
        base = base[:-1]
    if site.level > 1:
        base = base[: len(base) - (site.level - 1)]
    return ".".join([*base, *([site.module] if site.module else [])])


def run(project: Project) -> Iterator[Problem]:
    modules = {module_name(project, p): p for p in project.python_files}
    modules.pop("", None)
    top_names = {name.split(".")[0] for name in modules}
    dists, dev_only = declared(project)
    resolver = project_resolver(project.root, project.python)
    edges: dict[str, list[tuple[str, Path, ImportSite]]] = {}
    production_files = set(project.production_files)
    siblings: dict[Path, set[str]] = {}
    for path in project.python_files:
        tree = project.python_ast(path)
        production = path in production_files
        if isinstance(tree, SyntaxError):
            if production:
                yield UNPARSABLE.at(
                    f"syntax error: {tree.msg}", project.display(path), tree.lineno or 1, tree.offset or None
                )
            continue
        collector = _Collector()
        collector.visit(tree)
        current = module_name(project, path)
        for site in collector.sites:
            target = _absolute(current, path.name == "__init__.py", site)
            if production and site.level:
                yield RELATIVE.at(
                    f"relative import '{'.' * site.level}{site.module}'",
                    project.display(path),
                    site.line,
                    site.column,
                    fix=f"write it as 'from {target or '<package>'} import {', '.join(site.names)}'"
                    if site.names
                    else f"import it by its absolute name '{target}'",
                )
            top = target.split(".")[0]
            if top in top_names:
                if site.top_level and not site.optional:
                    for found in _project_targets(target, site, modules):
                        edges.setdefault(current, []).append((found, path, site))
            elif production and site.level == 0 and not site.optional:
                problem = _unresolved(project, path, site, siblings, resolver, (dists, dev_only))
                if problem:
                    yield problem
    yield from _cycles(project, edges)


def _siblings(folder: Path, cache: dict[Path, set[str]]) -> set[str]:
    """Modules next to a script, importable when it runs as ``python script.py``."""
    if folder not in cache:
        cache[folder] = {p.stem for p in folder.glob("*.py")} | {
            d.name for d in folder.iterdir() if (d / "__init__.py").is_file()
        }
    return cache[folder]


def _project_targets(target: str, site: ImportSite, modules: dict[str, Path]) -> list[str]:
    if site.names:
        subs = [f"{target}.{name}" for name in site.names if f"{target}.{name}" in modules]
        if subs:
            return subs
    parts = target.split(".")
    for end in range(len(parts), 0, -1):
        if ".".join(parts[:end]) in modules:
            return [".".join(parts[:end])]
    return []


def _unresolved(
    project: Project,
    path: Path,
    site: ImportSite,
    siblings: dict[Path, set[str]],
    resolver: Resolver,
    declarations: tuple[set[str], dict[str, str]],
) -> Problem | None:
    dists, dev_only = declarations
    top = site.module.split(".")[0]
    if top in sys.stdlib_module_names or top == "__future__" or top in _siblings(path.parent, siblings):
        return None
    key = f"provided:{site.module}:{','.join(site.names)}"  # the same imports repeat in every module
    if key not in project.cache:
        modules = [site.module, *(f"{site.module}.{name}" for name in site.names)]
        project.cache[key] = any(resolver.provided_by(m, dists) for m in modules)
    if project.cache[key]:
        return None
    where = next((dev_only[d] for d in dev_only if resolver.provided_by(site.module, {d})), None)
    known = resolver.candidates(site.module)
    if where:
        message = f"'{site.module}' is declared only in {where}, not for production"
    else:
        provider = f" (it comes from {known[0]})" if known else ""
        message = (
            f"'{site.module}' is not in the standard library, the project or the declared "
            f"dependencies{provider}"
        )
    fix = (
        f"add {known[0]} to the production requirements, or fix the import"
        if known
        else f"declare the distribution that provides '{top}' (check its name on PyPI: a look-alike "
        "name may be someone else's package), or fix the import"
    )
    return UNRESOLVED.at(message, project.display(path), site.line, site.column, fix=fix)


def _cycles(project: Project, edges: dict[str, list[tuple[str, Path, ImportSite]]]) -> Iterator[Problem]:
    import networkx as nx

    graph = nx.DiGraph()
    for source, targets in edges.items():
        for target, path, site in targets:
            if target != source and not graph.has_edge(source, target):
                graph.add_edge(source, target, path=path, site=site)
    production = {module_name(project, p) for p in project.production_files}
    for component in nx.strongly_connected_components(graph):
        if len(component) < 2 or not component & production:
            continue
        start = min(component & production)
        cycle = nx.find_cycle(graph.subgraph(component), source=start)
        names = [u for u, _ in cycle]
        data = graph.edges[cycle[0]]
        yield CYCLE.at(
            f"import cycle: {' -> '.join([*names, names[0]])}",
            project.display(data["path"]),
            data["site"].line,
            data["site"].column,
        )


FAMILY = CheckFamily("KD1", "Imports", CHECKS, run)

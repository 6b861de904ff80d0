"""Which distributions provide an imported module.

From the project's own environment when it has one (``DIR/.venv``, ``DIR/venv``, or the
interpreter given with ``--python``): the metadata of every distribution installed there, as
``importlib.metadata.packages_distributions()`` reads it for its own interpreter. Otherwise from
the maintained table of ``import_names``. Never from what is installed next to kailash itself,
and a distribution name found in neither is never suggested.
"""

from __future__ import annotations

import importlib.metadata
import inspect
import json
import subprocess
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from kailash_cli.checks.dependencies import normalize
from kailash_cli.checks.import_names import IMPORT_NAMES, NAMESPACE_PACKAGES
from kailash_cli.errors import UsageError

_VENV_NAMES = (".venv", "venv", "env")
_SITE_DIRS = (
    "import json, sysconfig; "
    "print(json.dumps(sorted({sysconfig.get_paths()[k] for k in ('purelib', 'platlib')})))"
)


@dataclass(frozen=True)
class Resolver:
    #: top-level import name -> the distributions installed in the project's environment
    environment: dict[str, tuple[str, ...]] = field(default_factory=dict)

    def candidates(self, module: str) -> list[str]:
        """Distributions known to provide ``module``: the environment's first, then the table."""
        parts = module.split(".")
        names = list(self.environment.get(parts[0], ()))
        for end in range(len(parts), 0, -1):
            names.extend(IMPORT_NAMES.get(".".join(parts[:end]), ()))
        return list(dict.fromkeys(names))

    def provided_by(self, module: str, declared: set[str]) -> bool:
        """A declared distribution (normalized names) provides ``module``: a known provider, one
        named like the import (``google.cloud.storage``: google-cloud-storage), or for a namespace
        package any distribution under its prefix (``opentelemetry``: opentelemetry-api)."""
        parts = module.split(".")
        names = [normalize(c) for c in self.candidates(module)]
        names += [normalize("-".join(parts[:end])) for end in range(len(parts), 0, -1)]
        if any(n in declared for n in names):
            return True
        prefix = normalize(parts[0]) + "-"
        return parts[0] in NAMESPACE_PACKAGES and any(d.startswith(prefix) for d in declared)


def project_resolver(root: Path, python: Path | None) -> Resolver:
    """The resolver for the project in ``root``: its environment's metadata when it has one."""
    site_dirs = _interpreter_site_dirs(python) if python else _venv_site_dirs(root)
    return Resolver(installed_distributions(site_dirs)) if site_dirs else Resolver()


def _venv_site_dirs(root: Path) -> list[Path]:
    for name in _VENV_NAMES:
        venv = root / name
        if (venv / "pyvenv.cfg").is_file():
            return sorted(venv.glob("lib/python3*/site-packages")) + sorted(venv.glob("Lib/site-packages"))
    return []


def _interpreter_site_dirs(python: Path) -> list[Path]:
    """Where the interpreter ``python`` installs distributions (asked in isolated mode)."""
    try:
        done = subprocess.run(
            [str(python), "-I", "-c", _SITE_DIRS], capture_output=True, text=True, timeout=60, check=True
        )
        return [Path(p) for p in json.loads(done.stdout)]
    except (OSError, subprocess.SubprocessError, ValueError) as e:
        reason = getattr(e, "strerror", None) or type(e).__name__
        raise UsageError(
            f"--python {python}: cannot ask it for its packages ({reason}); "
            "give the project's interpreter, e.g. --python .venv/bin/python"
        ) from None


def installed_distributions(site_dirs: list[Path]) -> dict[str, tuple[str, ...]]:
    """Top-level import name -> distributions, from the metadata in ``site_dirs``."""
    found: dict[str, list[str]] = defaultdict(list)
    for dist in importlib.metadata.distributions(path=[str(d) for d in site_dirs]):
        name = dist.metadata["Name"]
        if name:
            for top in _top_level_names(dist):
                if name not in found[top]:
                    found[top].append(name)
    return {top: tuple(names) for top, names in found.items()}


def _top_level_names(dist: importlib.metadata.Distribution) -> set[str]:
    """``top_level.txt`` where the distribution has one, else the top of every file it installed."""
    declared = (dist.read_text("top_level.txt") or "").split()
    if declared:
        return set(declared)
    names = set()
    for file in dist.files or ():
        parts = file.parts
        top = parts[0] if len(parts) > 1 else inspect.getmodulename(str(file))
        if top and top.isidentifier():
            names.add(top)
    return names

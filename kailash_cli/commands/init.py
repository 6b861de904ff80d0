"""``kailash init [DIR]``: a new project that passes ``validate`` and ``check-deploy`` as made."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

from kailash_cli import __version__
from kailash_cli.commands.init_templates import FILES
from kailash_cli.constants import EXIT_OK
from kailash_cli.errors import UsageError
from kailash_cli.report.output import Output

DEFAULT_PROJECT = "kailash-project"


def init(directory: Path, *, output: Output | None = None) -> int:
    """Write the project into ``directory`` (made if missing); refuse one that is not empty
    (but for a ``.git`` folder: a fresh clone), so nothing a user has is ever overwritten."""
    output = output or Output()
    _check_empty(directory)
    project = project_name(directory)
    for relative, template in FILES.items():
        target = directory / relative
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(template.format(project=project, version=__version__), encoding="utf-8")
        except OSError as e:
            raise UsageError(f"{target}: cannot write: {e.strerror}") from e
        output.out(str(target))
    where = "" if directory.resolve() == Path.cwd().resolve() else f"cd {shlex.quote(str(directory))} && "
    output.note(
        f"project '{project}' created; try: {where}kailash validate . && "
        "kailash run workflows/orders.yaml -p min_total=50 && kailash check-deploy ."
    )
    return EXIT_OK


def _check_empty(directory: Path) -> None:
    if directory.exists() and not directory.is_dir():
        raise UsageError(f"{directory}: not a directory; give a new or empty folder")
    try:
        # a fresh clone holds only .git: that is an empty project too
        taken = directory.is_dir() and any(entry.name != ".git" for entry in directory.iterdir())
    except OSError as e:
        raise UsageError(f"{directory}: cannot read: {e.strerror}") from e
    if taken:
        raise UsageError(
            f"{directory}: not empty; kailash init writes only into a new or empty folder "
            "(give another DIR, e.g. `kailash init my-project`)"
        )


def project_name(directory: Path) -> str:
    """The folder's name as a Kubernetes and image name: lower case, ``[a-z0-9-]``."""
    name = re.sub(r"[^a-z0-9]+", "-", directory.resolve().name.lower()).strip("-")
    return name[:40].strip("-") or DEFAULT_PROJECT

"""KD63x: systemd services keep secrets out of the unit and do not run as root."""

from __future__ import annotations

from collections.abc import Iterator

from kailash_cli.checks.base import Check
from kailash_cli.checks.file_kinds import is_systemd_unit
from kailash_cli.checks.project import Project
from kailash_cli.checks.secret_names import is_placeholder, is_reference, is_secret_name
from kailash_cli.checks.systemd_units import directives, systemd_environment
from kailash_cli.load.discovery import is_test_path
from kailash_cli.model.result import Problem

UNIT_SECRET = Check(
    "KD631",
    "error",
    "secret in a systemd unit's Environment=",
    "Unit files are world-readable and `systemctl show` prints Environment= to every local user; "
    "the secret also lands in the repository with the unit.",
    "put it in an EnvironmentFile= readable only by root (chmod 600), or use LoadCredential=",
    sensitive=True,
)
UNIT_ROOT = Check(
    "KD632",
    "warning",
    "systemd service runs as root",
    "A service without User= (or DynamicUser=yes) runs as root: any bug in it is a bug with every "
    "right on the host.",
    "add User= with a dedicated account (or DynamicUser=yes) to the [Service] section",
)
CHECKS = (UNIT_SECRET, UNIT_ROOT)


def run(project: Project) -> Iterator[Problem]:
    for path in project.text_files:
        if not is_systemd_unit(path) or is_test_path(path.relative_to(project.root)):
            continue
        file = project.display(path)
        lines = project.lines(path)
        for line, column, name, value in systemd_environment(lines):
            if is_secret_name(name) and value and not is_reference(value):
                if not is_placeholder(value):
                    project.sensitive_values.add(value)
                yield UNIT_SECRET.at(f"Environment={name} puts a secret in the unit", file, line, column)
        if path.suffix == ".service":
            yield from _root(lines, file)


def _root(lines: list[str], file: str) -> Iterator[Problem]:
    service = [
        (line, key, value) for line, _, section, key, value in directives(lines) if section == "Service"
    ]
    users = [(line, value) for line, key, value in service if key == "User"]
    dynamic = any(
        key == "DynamicUser" and value.lower() in ("yes", "true", "1", "on") for _, key, value in service
    )
    if dynamic:
        return
    if not users:
        where = next((i + 1 for i, text in enumerate(lines) if text.strip() == "[Service]"), 1)
        yield UNIT_ROOT.at("the [Service] section has no User=, so it runs as root", file, where, 1)
    elif users[-1][1] in ("root", "0"):
        yield UNIT_ROOT.at(f"User={users[-1][1]} runs the service as root", file, users[-1][0], 1)

"""What a health check is: its config entry with defaults filled, and each attempt's
inputs with ``${NAME}`` / ``${env.NAME}`` resolved from the environment."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import unquote

from kailash_cli.db.settings import resolve_env
from kailash_cli.db.urls import redact_url, url_password
from kailash_cli.load.config import Config
from kailash_cli.security.limits import parse_duration
from kailash_cli.security.redact import Redactor

DEFAULT_TIMEOUT = 5.0
RETRY_DELAY = 0.2  # seconds between the attempts of one check


class CheckFailed(Exception):
    """The check ran and did not pass; ``str()`` is the detail shown (one line)."""


@dataclass(frozen=True)
class CheckSpec:
    """One entry of ``health.checks``; ``options`` as written (references unresolved)."""

    name: str
    type: str
    options: Mapping[str, Any]
    timeout: float
    retries: int

    @property
    def budget(self) -> float:
        """The longest the check may take: every attempt's timeout and the delays between."""
        return (self.retries + 1) * self.timeout + self.retries * RETRY_DELAY


@dataclass(frozen=True)
class Target:
    """One attempt's inputs: options resolved, relative paths from ``base_dir``."""

    options: dict[str, Any]
    timeout: float
    base_dir: Path
    redactor: Redactor = field(default_factory=lambda: Redactor(()))

    def hide(self, text: str) -> str:
        """``text`` on one line with secret values and URL passwords as ``***``."""
        return redact_url(self.redactor.text(" ".join(text.split())))


def check_specs(config: Config) -> list[CheckSpec]:
    section = config.section("health")
    default = _seconds(section.get("timeout"), DEFAULT_TIMEOUT)
    specs = []
    for entry in section.get("checks") or []:
        if not isinstance(entry, dict):
            continue  # the schema reports it; load_config refuses such a config
        specs.append(
            CheckSpec(
                name=str(entry.get("name", "")),
                type=str(entry.get("type", "")),
                options={k: v for k, v in entry.items() if k not in ("name", "type", "timeout", "retries")},
                timeout=_seconds(entry.get("timeout"), default),
                retries=max(0, int(entry.get("retries") or 0)),
            )
        )
    return specs


def _seconds(value: Any, default: float) -> float:
    try:
        return default if value is None else parse_duration(value)
    except ValueError:
        return default  # the schema reports it


def target(spec: CheckSpec, config: Config, environ: Mapping[str, str]) -> Target:
    """The attempt's inputs; CheckFailed when a reference cannot be resolved."""
    options = dict(spec.options)
    name = options.pop("database", None)
    if name is not None:
        databases = config.section("databases")
        entry = databases.get(name)
        if not isinstance(entry, dict) or not isinstance(entry.get("url"), str):
            raise CheckFailed(f"database '{name}' is not defined under databases: in the config")
        options["url"] = entry["url"]
    resolved = {key: _resolve(value, key, environ) for key, value in options.items()}
    return Target(resolved, spec.timeout, config.base_dir, Redactor(_secrets(resolved)))


def _resolve(value: Any, where: str, environ: Mapping[str, str]) -> Any:
    if isinstance(value, str):
        try:
            return resolve_env(value, environ)
        except KeyError as e:
            raise CheckFailed(f"{where}: {e.args[0]}") from None
    if isinstance(value, dict):
        return {k: _resolve(v, f"{where}.{k}", environ) for k, v in value.items()}
    if isinstance(value, list):
        return [_resolve(v, where, environ) for v in value]
    return value


def _secrets(options: Mapping[str, Any]) -> list[str]:
    """Values that must not reach a detail: passwords and header values."""
    found = [str(options["password"])] if options.get("password") else []
    headers = options.get("headers")
    if isinstance(headers, dict):
        found += [str(v) for v in headers.values()]
    url = options.get("url")
    raw = url_password(url) if isinstance(url, str) else None
    if raw:
        found += [raw, unquote(raw)]
    return found

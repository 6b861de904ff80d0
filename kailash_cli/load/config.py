"""The project config (``kailash.yaml``): found, validated, defaults filled in."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from kailash_cli.constants import CONFIG_FILE_NAMES
from kailash_cli.errors import UsageError, WorkflowValidationError
from kailash_cli.load.yaml_io import Document, is_stdin, load
from kailash_cli.model.expressions import ExpressionError, parse_template
from kailash_cli.model.result import Problem, has_errors
from kailash_cli.schema import schemas
from kailash_cli.schema.messages import did_you_mean


@dataclass(frozen=True)
class Config:
    data: dict[str, Any] = field(default_factory=dict)
    path: Path | None = None
    from_stdin: bool = False  # ``-c -``: no path, but a config all the same

    def section(self, name: str) -> dict[str, Any]:
        value = self.data.get(name)
        return value if isinstance(value, dict) else {}

    @property
    def base_dir(self) -> Path:
        return self.path.parent if self.path else Path.cwd()


def check_config(doc: Document) -> list[Problem]:
    """Schema and semantic problems of a loaded config document."""
    problems = list(doc.problems)
    if doc.data is None:
        return problems
    if not isinstance(doc.data, dict):
        return [
            *problems,
            doc.problem(
                "KV005",
                "the top level must be a mapping (runtime:, security:, ...)",
                (),
                fix="see `kailash schema config`",
            ),
        ]
    problems.extend(schemas.validate(doc, doc.data, "config"))
    access = doc.data.get("access_control")
    if isinstance(access, dict):
        problems.extend(_check_access(doc, access))
    executor = doc.data.get("executor")
    if isinstance(executor, dict):
        problems.extend(_check_executor(doc, executor))
    serve = doc.data.get("serve")
    if isinstance(serve, dict):
        problems.extend(_check_serve_tokens(doc, serve, access if isinstance(access, dict) else {}))
    if "health" in doc.data or "databases" in doc.data:
        from kailash_cli.load.health_config import check_health

        problems.extend(check_health(doc, doc.data))
    return sorted(dict.fromkeys(problems), key=Problem.sort_key)  # dedupe, keep order


def _check_serve_tokens(doc: Document, serve: dict[str, Any], access: dict[str, Any]) -> list[Problem]:
    """A token's user must be an ``access_control`` user (``serve`` refuses to start otherwise)."""
    users: dict[str, Any] = access["users"] if isinstance(access.get("users"), dict) else {}
    tokens: list[Any] = serve["tokens"] if isinstance(serve.get("tokens"), list) else []
    return [
        doc.problem(
            "KV104",
            f"serve.tokens[{i}].user: '{entry['user']}' is not in access_control.users",
            ("serve", "tokens", i, "user"),
            fix="add the user to access_control.users, or fix the name",
        )
        for i, entry in enumerate(tokens)
        if isinstance(entry, dict) and isinstance(entry.get("user"), str) and entry["user"] not in users
    ]


def _check_access(doc: Document, access: dict[str, Any]) -> list[Problem]:
    problems = []
    roles = _mapping(access, "roles")
    users = _mapping(access, "users")
    # Roles need no entry in roles:, but a role named only once anywhere is likely a typo
    # (an undefined role grants nothing: the user would silently have fewer permissions).
    named: dict[str, int] = {}
    places = []
    for owner, what, entries in (
        *(
            (("users", user_id, "roles"), f"user '{user_id}' has role", user)
            for user_id, user in users.items()
        ),
        *(
            (("roles", role_id, "inherits"), f"role '{role_id}' inherits role", spec)
            for role_id, spec in roles.items()
        ),
    ):
        listed = entries.get(owner[2]) if isinstance(entries, dict) else None
        for i, role in enumerate(listed if isinstance(listed, list) else []):
            if isinstance(role, str):  # others: schema finding
                named[role] = named.get(role, 0) + 1
                places.append((owner, what, i, role))
    for owner, what, i, role in places:
        if role not in roles and named[role] == 1:
            where = (
                "defined under access_control.roles"
                if roles
                else "defined: the config has no access_control.roles"
            )
            problems.append(
                doc.problem(
                    "KV501",
                    f"{what} '{role}', which is not {where}" + did_you_mean(role, roles),
                    ("access_control", *owner, i),
                    fix="define the role or fix its name",
                    severity="warning",
                )
            )
    rules = _mapping(access, "masking_rules")
    for key, rule in rules.items():
        incomplete = _incomplete_mask(key, rule) if isinstance(rule, dict) else None
        if incomplete is not None:
            id_, message, fix, severity = incomplete
            at = ("access_control", "masking_rules", key, "mask")
            problems.append(doc.problem(id_, message, at, fix=fix, severity=severity))
        when = rule.get("when") if isinstance(rule, dict) else None
        if isinstance(when, str):
            try:
                parse_template(when)
            except ExpressionError as e:
                problems.append(
                    doc.problem(
                        "KV301",
                        str(e),
                        ("access_control", "masking_rules", key, "when"),
                        fix="fix the expression inside ${...}",
                    )
                )
    return problems


def _incomplete_mask(key: str, rule: dict[str, Any]) -> tuple[str, str, str, str] | None:
    """(id, message, fix, severity) of a masking rule that hides less or more than it says."""
    if rule.get("mask") == "hash" and not rule.get("key_env"):
        return (
            "KV503",
            f"masking rule '{key}' has mask: hash without key_env: anyone can hash the likely "
            "values (every SSN, every email of a list) and find the masked one",
            "add key_env: NAME, an environment variable holding a long random key",
            "warning",
        )
    if rule.get("mask") == "range" and rule.get("buckets") in (None, []):
        return (
            "KV502",
            f"masking rule '{key}' has mask: range but no buckets, so the value is "
            "hidden in full (***) instead of shown as a range",
            "add buckets: the bounds of the ranges, e.g. buckets: [0, 50000, 100000]",
            "error",
        )
    return None


def _check_executor(doc: Document, executor: dict[str, Any]) -> list[Problem]:
    """Keys that would be accepted and then ignored: dask settings without ``type: dask``,
    a LocalCluster size beside a scheduler address."""
    kind = executor.get("type", "local")
    unused = [k for k in ("address", "workers") if k in executor] if kind != "dask" else []
    if kind == "dask" and "address" in executor and "workers" in executor:
        unused = ["workers"]
    return [
        doc.problem(
            "KV520",
            f"executor.{key} is only used by "
            + ("type: dask" if kind != "dask" else "the LocalCluster started when there is no address"),
            ("executor", key),
            fix="set type: dask"
            if kind != "dask"
            else "drop workers: the cluster at the address has its own",
        )
        for key in unused
    ]


def _mapping(data: dict[str, Any], key: str) -> dict[str, Any]:
    """``data[key]`` when it is a mapping, else an empty one (the schema reports the wrong type)."""
    value = data.get(key)
    return value if isinstance(value, dict) else {}


def find_config(explicit: Path | None, directory: Path | None = None) -> Path | None:
    if explicit is not None:
        if is_stdin(explicit):  # -c -: the config is read from standard input
            return explicit
        if not explicit.exists():
            raise UsageError(f"config file {explicit} not found; check the path given to -c")
        if not explicit.is_file():  # a FIFO would wait for ever, a device never end
            raise UsageError(f"config file {explicit} is not a regular file; give the file to -c")
        return explicit
    for name in CONFIG_FILE_NAMES:
        candidate = (directory or Path.cwd()) / name
        if candidate.is_file():
            return candidate
    return None


def unused_config_beside(workflow: Path, config: Config) -> str | None:
    """A warning when the workflow's own folder holds a config that is not the one in use
    (run from elsewhere: its security settings, store and access control would not apply)."""
    if not workflow.is_file():
        return None
    beside = find_config(None, workflow.parent)
    if beside is None or (config.path is not None and beside.resolve() == config.path):
        return None
    using = f"the config in use is {config.path}" if config.path else "no config is in use"
    using = "the config in use is standard input" if config.from_stdin else using
    return f"warning: {beside} is not used ({using}); run from {beside.parent} or pass -c {beside}"


def load_config(explicit: Path | None = None, directory: Path | None = None) -> Config:
    """The config found (or given), validated; an invalid one refuses to start (exit 2)."""
    path = find_config(explicit, directory)
    if path is None:
        return Config()
    doc = load(path)
    problems = check_config(doc)
    if has_errors(problems):
        raise WorkflowValidationError(tuple(problems), what="the config")
    if is_stdin(path):  # relative paths in it are relative to the current folder
        return Config(data=doc.data or {}, path=None, from_stdin=True)
    return Config(data=doc.data or {}, path=path.resolve())

"""KD3xx: no hard-coded credentials in code, YAML, Dockerfiles or env templates.

A finding says where and what kind of secret; it never contains the value. The values
found are recorded on the project so the command can scrub them from any output.
The ``--env-file`` files are the deployment's secret store and are not scanned here.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Iterator
from urllib.parse import unquote

from kailash_cli.checks.base import Check, CheckFamily
from kailash_cli.checks.literals import Literal, literals
from kailash_cli.checks.project import Project
from kailash_cli.checks.secret_forms import connection_string_password, shell_defaults
from kailash_cli.checks.secret_names import (
    is_not_a_secret_value,
    is_placeholder,
    is_reference,
    is_secret_name,
    looks_like_identifier,
    snake_upper,
)
from kailash_cli.load.discovery import is_test_path
from kailash_cli.model.result import Problem
from kailash_cli.security.secret_patterns import ANCHORS, PROVIDER_PATTERNS, is_filler, key_body_follows

PROVIDER_KEY = Check(
    "KD301",
    "error",
    "provider credential in a file",
    "Provider keys (AWS, Google, Azure, GitHub, GitLab, Slack, Stripe, SendGrid, Twilio, OpenAI, "
    "npm, PyPI, JWTs, private keys, ...) in the repository are found by scanners within minutes "
    "of a push and stay in the git history.",
    "revoke the credential, remove it from the file and its history, and load it from a secret store",
    sensitive=True,
)
NAMED_SECRET = Check(
    "KD302",
    "error",
    "hard-coded value for a secret-like name",
    "A password, token or key written in code or config ships with every copy of the project.",
    "read it from the environment or a secret store (kailash secrets set NAME)",
    sensitive=True,
)
URL_CREDENTIALS = Check(
    "KD303",
    "error",
    "credentials inside a URL or connection string",
    "user:password@host URLs and password=... connection strings leak the password into logs, "
    "error messages and process lists.",
    "put the URL in an environment variable, or pass the password separately",
    sensitive=True,
)
HIGH_ENTROPY = Check(
    "KD304",
    "warning",
    "high-entropy literal in a credential place",
    "A long random string next to auth, api, session or a Bearer header is almost always a live credential.",
    "move it to an environment variable or a secret store",
    sensitive=True,
)
PLACEHOLDER_FALLBACK = Check(
    "KD305",
    "error",
    "secret falls back to a placeholder",
    "os.environ.get('JWT_SECRET', 'change-me') or ${JWT_SECRET:-change-me} starts the service "
    "with a secret everybody knows as soon as the variable is missing from one deployment.",
    "give no default, so a missing secret stops the start (os.environ['JWT_SECRET'], ${JWT_SECRET:?})",
)
CHECKS = (PROVIDER_KEY, NAMED_SECRET, URL_CREDENTIALS, HIGH_ENTROPY, PLACEHOLDER_FALLBACK)

_URL_TOKEN = re.compile(r"(https?)://([A-Za-z0-9_\-]{20,})@")  # a token as the user name, no password
_URL_CREDENTIALS = re.compile(r"([a-zA-Z][a-zA-Z0-9+.-]*)://([^\s/:@'\"]*):([^\s@/'\"]+)@")
_CREDENTIAL_PLACES = (
    "AUTH",
    "CREDENTIAL",
    "API",
    "BEARER",
    "SIGNATURE",
    "SALT",
    "PRIVATE",
    "ACCESS",
    "SESSION",
    "COOKIE",
    "KEY",
    "CERT",
    "SIGNING",
    "HMAC",
    "DSN",
    "WEBHOOK",
)
_PRIORITY = {"KD301": 0, "KD303": 1, "KD305": 2, "KD302": 3, "KD304": 4}
MIN_NAMED_LENGTH = 4
_AUTHORIZATION = re.compile(r"(?i)(?:bearer|basic|token)\s+(\S+)$")


def shannon_entropy(text: str) -> float:
    counts = Counter(text)
    return -sum(n / len(text) * math.log2(n / len(text)) for n in counts.values())


def looks_random(text: str) -> bool:
    if (
        len(text) < 20
        or re.search(r"\s", text)
        or "://" in text
        or re.fullmatch(r"[\w.-]*(/[\w.-]+)+/?", text)
    ):
        return False  # too short, prose, a URL or a path
    if re.fullmatch(r"[0-9a-fA-F]+", text):
        return len(text) >= 32 and shannon_entropy(text) >= 3.0
    return (
        shannon_entropy(text) >= 3.5
        and bool(re.search(r"\d", text))
        and bool(re.search(r"[A-Za-z]", text))
        and not re.fullmatch(r"[\w.]+\.[a-z]{2,4}", text)
    )


def run(project: Project) -> Iterator[Problem]:
    found = [*_provider_keys(project), *_literal_findings(project)]
    best: dict[tuple[str | None, int | None], Problem] = {}
    for problem in found:  # one secret finding per line, the most specific one
        key = (problem.file, problem.line)
        if key not in best or _PRIORITY[problem.id] < _PRIORITY[best[key].id]:
            best[key] = problem
    yield from best.values()


def _provider_keys(project: Project) -> Iterator[Problem]:
    for path in project.text_files:
        if is_test_path(path.relative_to(project.root)) or project.is_env_file_given(path):
            continue
        text = project.text(path) or ""
        if not ANCHORS.search(text):
            continue  # fast path: one search over the whole file, most hold no key
        lines = text.splitlines()
        for index, line in enumerate(lines):
            if not ANCHORS.search(line):
                continue
            for kind, pattern in PROVIDER_PATTERNS:
                match = pattern.search(line)
                if (
                    match
                    and not is_filler(match.group(0))
                    and key_body_follows(kind, lines, index, match.end())
                ):
                    project.sensitive_values.add(match.group(0))
                    yield PROVIDER_KEY.at(
                        f"{kind} in {path.name}", project.display(path), index + 1, match.start() + 1
                    )


def _literal_findings(project: Project) -> Iterator[Problem]:
    for lit in literals(project):
        problem = (
            _url_credentials(project, lit)
            or _fallback(project, lit)
            or _named(project, lit)
            or _entropy(project, lit)
        )
        if problem:
            yield problem


def _url_credentials(project: Project, lit: Literal) -> Problem | None:
    for match in _URL_CREDENTIALS.finditer(lit.value) if "@" in lit.value else ():
        password = match.group(3)
        # %40 is a percent-encoded "@" (a real password), %s a format template (not one)
        template = re.search(r"[${}*<>\[\]]|%(?![0-9A-Fa-f]{2})", password)
        if is_reference(password) or is_placeholder(unquote(password)) or template:
            continue
        project.sensitive_values.add(password)
        column = lit.column + match.start() if "\n" not in lit.value and lit.kind != "python" else lit.column
        user = f"for user '{match.group(2)}'" if match.group(2) else "and no user name"
        return URL_CREDENTIALS.at(
            f"{match.group(1)} URL with a password {user}", project.display(lit.file), lit.line, column
        )
    token = _URL_TOKEN.search(lit.value) if "@" in lit.value else None
    if token and looks_random(token.group(2)) and not is_placeholder(token.group(2)):
        project.sensitive_values.add(token.group(2))  # https://<token>@github.com/org/repo.git
        return URL_CREDENTIALS.at(
            f"{token.group(1)} URL with a token as its user name",
            project.display(lit.file),
            lit.line,
            lit.column,
        )
    password = connection_string_password(lit.value)
    if password:
        project.sensitive_values.add(password)
        return URL_CREDENTIALS.at(
            "connection string with a password (password=...)",
            project.display(lit.file),
            lit.line,
            lit.column,
        )
    return None


def _fallback(project: Project, lit: Literal) -> Problem | None:
    """A default used when a secret variable is unset: KD305 when it is a placeholder, else the
    hard-coded secret it is (KD302)."""
    if lit.fallback:
        found = [(lit.name or "", lit.value.strip())]
    else:  # ${NAME:-default}: compose files, env templates, shell lines (Python uses getenv)
        found = list(shell_defaults(lit.value)) if lit.kind != "python" else []
    for name, value in found:
        if not is_secret_name(name) or is_reference(value):
            continue
        if is_placeholder(value):
            return PLACEHOLDER_FALLBACK.at(
                f"'{name}' falls back to a placeholder when it is not set",
                project.display(lit.file),
                lit.line,
                lit.column,
            )
        if lit.fallback is False and len(value) >= MIN_NAMED_LENGTH:
            project.sensitive_values.add(value)
            return NAMED_SECRET.at(
                f"hard-coded fallback for the secret '{name}'",
                project.display(lit.file),
                lit.line,
                lit.column,
            )
    return None


def _named(project: Project, lit: Literal) -> Problem | None:
    value = lit.value.strip()
    if (
        lit.name is None
        or lit.kind in ("docker", "systemd")  # KD604, KD631
        or not is_secret_name(lit.name)
        or len(value) < MIN_NAMED_LENGTH
        or is_placeholder(value)
        or is_reference(value)
        or len(value.split()) > 3
        or "\n" in value
        or is_not_a_secret_value(lit.name, value)
        or _key_name_only(lit.name, value)
    ):
        return None
    project.sensitive_values.add(value)
    kind = "password" if re.search(r"PASSW", snake_upper(lit.name)) else "secret"
    return NAMED_SECRET.at(
        f"hard-coded {kind} assigned to '{lit.name}'", project.display(lit.file), lit.line, lit.column
    )


def _key_name_only(name: str, value: str) -> bool:
    """``CACHE_KEY = "session"``, ``cache_key = "orders:v1:list"``: a name ending in _KEY that
    holds an identifier is a lookup key (cache key, namespace, setting name), not a secret."""
    upper = snake_upper(name)
    words = upper.split("_")  # word by word: _FASTAPI_SCOPE_KEY names no API key
    return (
        upper.endswith("_KEY")
        and not any(w in ("SECRET", "TOKEN", "API", "PRIVATE", "ACCESS") or "PASSW" in w for w in words)
        and looks_like_identifier(value)
    )


def _entropy(project: Project, lit: Literal) -> Problem | None:
    value = lit.value.strip()
    bearer = _AUTHORIZATION.match(value)
    place = lit.name is not None and any(word in snake_upper(lit.name) for word in _CREDENTIAL_PLACES)
    candidate = bearer.group(1) if bearer else value
    if not (bearer or place) or not looks_random(candidate) or is_reference(candidate):
        return None
    if is_not_a_secret_value(lit.name or "", candidate):
        return None  # a regular expression or a template is random-looking text, not a key
    if lit.kind == "docker" and lit.name is not None and is_secret_name(lit.name):
        return None  # KD604 reports a secret-like ENV/ARG already
    project.sensitive_values.add(candidate)
    where = f"'{lit.name}'" if lit.name else "an Authorization value"
    return HIGH_ENTROPY.at(
        f"high-entropy string ({len(candidate)} characters) in {where}",
        project.display(lit.file),
        lit.line,
        lit.column,
    )


FAMILY = CheckFamily("KD3", "Secrets", CHECKS, run)

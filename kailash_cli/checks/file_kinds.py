"""The kinds of files the checks read as text: source, config, Dockerfiles, env files, keys."""

from __future__ import annotations

from pathlib import Path

TEXT_SUFFIXES = frozenset(
    {
        ".py",
        ".yaml",
        ".yml",
        ".toml",
        ".json",
        ".cfg",
        ".ini",
        ".conf",
        ".txt",
        ".sh",
        ".env",
        ".properties",
        ".tf",
        ".js",
        ".ts",
        ".pem",
        ".key",
    }
)
SYSTEMD_SUFFIXES = frozenset({".service", ".socket", ".timer", ".path", ".mount"})
TEXT_SUFFIXES |= SYSTEMD_SUFFIXES
#: credential files that carry no suffix (or one that says nothing about the content)
SECRET_FILE_NAMES = frozenset(
    {"id_rsa", "id_dsa", "id_ecdsa", "id_ed25519", ".netrc", ".pypirc", ".npmrc", ".pgpass", "credentials"}
)


def is_dockerfile(path: Path) -> bool:
    name = path.name
    return (
        name in ("Dockerfile", "Containerfile")
        or name.startswith("Dockerfile.")
        or name.endswith(".Dockerfile")
    )


def is_env_file(path: Path) -> bool:
    return path.name == ".env" or path.name.startswith(".env.") or path.suffix == ".env"


def is_systemd_unit(path: Path) -> bool:
    return path.suffix in SYSTEMD_SUFFIXES


def is_text_file(path: Path) -> bool:
    return (
        path.suffix in TEXT_SUFFIXES
        or is_dockerfile(path)
        or is_env_file(path)
        or path.name in SECRET_FILE_NAMES
    )

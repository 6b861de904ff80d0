"""Which distributions may provide an imported module (``yaml`` -> ``PyYAML``)."""

from __future__ import annotations

#: import name -> distribution names, where they differ (the usual deptry-style mapping)
KNOWN_DISTRIBUTIONS: dict[str, tuple[str, ...]] = {
    "yaml": ("PyYAML",),
    "PIL": ("Pillow",),
    "cv2": ("opencv-python", "opencv-python-headless"),
    "sklearn": ("scikit-learn",),
    "skimage": ("scikit-image",),
    "bs4": ("beautifulsoup4",),
    "dateutil": ("python-dateutil",),
    "dotenv": ("python-dotenv",),
    "jwt": ("PyJWT",),
    "OpenSSL": ("pyOpenSSL",),
    "attr": ("attrs",),
    "psycopg2": ("psycopg2", "psycopg2-binary"),
    "psycopg": ("psycopg", "psycopg-binary"),
    "MySQLdb": ("mysqlclient",),
    "Crypto": ("pycryptodome",),
    "Cryptodome": ("pycryptodomex",),
    "magic": ("python-magic",),
    "multipart": ("python-multipart",),
    "jose": ("python-jose",),
    "slugify": ("python-slugify",),
    "docx": ("python-docx",),
    "pptx": ("python-pptx",),
    "serial": ("pyserial",),
    "git": ("GitPython",),
    "zmq": ("pyzmq",),
    "ldap": ("python-ldap",),
    "gi": ("PyGObject",),
    "win32api": ("pywin32",),
    "fitz": ("PyMuPDF",),
    "google.protobuf": ("protobuf",),
    "ruamel": ("ruamel.yaml",),
    "kailash": ("kailash",),
    "pkg_resources": ("setuptools",),
    "setuptools": ("setuptools",),
    "typing_extensions": ("typing-extensions",),
    "Levenshtein": ("python-Levenshtein",),
    "jinja2": ("Jinja2",),
    "markdown": ("Markdown",),
    "yaml_include": ("pyyaml-include",),
    "redis": ("redis",),
    "boto3": ("boto3",),
    "botocore": ("botocore", "boto3"),
    "pymysql": ("PyMySQL",),
    "socks": ("PySocks",),
    "websocket": ("websocket-client",),
    "nacl": ("PyNaCl",),
    "lxml": ("lxml",),
    "grpc": ("grpcio",),
    "ujson": ("ujson",),
}


def distributions_for(module: str) -> list[str]:
    """Distribution names that may provide ``module``, most likely first."""
    parts = module.split(".")
    names: list[str] = []
    for end in range(len(parts), 0, -1):
        names.extend(KNOWN_DISTRIBUTIONS.get(".".join(parts[:end]), ()))
    names.extend(_installed().get(parts[0], ()))
    names.extend("-".join(parts[:end]) for end in range(len(parts), 0, -1))
    return list(dict.fromkeys(names))


_INSTALLED: dict[str, tuple[str, ...]] = {}


def _installed() -> dict[str, tuple[str, ...]]:
    if not _INSTALLED:
        from importlib.metadata import packages_distributions

        _INSTALLED.update({k: tuple(v) for k, v in packages_distributions().items()})
    return _INSTALLED

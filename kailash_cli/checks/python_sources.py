"""Python source files parsed as the interpreter would at import time."""

from __future__ import annotations

import ast
from pathlib import Path


def parse_python(path: Path, text: str | None) -> ast.Module | SyntaxError:
    """The module's tree, or the syntax error Python would raise importing it."""
    try:
        # bytes when the text is not UTF-8 (or too large): Python honours a coding
        # cookie, and a file Python cannot decode is a syntax error, as at import time
        source = text if text is not None else _read_bytes(path)
        return ast.parse(source, filename=str(path))
    except SyntaxError as e:
        return e
    except ValueError as e:  # null bytes
        return SyntaxError(str(e), (str(path), 1, 1, None))
    except (RecursionError, MemoryError):  # the parser's own limits: 2,000 nested operators
        return SyntaxError("too deeply nested for the Python parser", (str(path), 1, 1, None))


def _read_bytes(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError:
        return b""

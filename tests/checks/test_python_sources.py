from __future__ import annotations

import ast
from pathlib import Path

from kailash_cli.checks.python_sources import parse_python


def test_text_parses_and_a_syntax_error_is_returned(tmp_path: Path) -> None:
    assert isinstance(parse_python(tmp_path / "a.py", "x = 1\n"), ast.Module)
    error = parse_python(tmp_path / "b.py", "def f(:\n")
    assert isinstance(error, SyntaxError) and error.lineno == 1


def test_without_text_the_bytes_are_parsed_as_python_would(tmp_path: Path) -> None:
    latin = tmp_path / "latin.py"
    latin.write_bytes(b"# -*- coding: latin-1 -*-\nname = 'caf\xe9'\n")
    undecodable = tmp_path / "bad.py"
    undecodable.write_bytes(b"name = 'caf\xe9'\n")

    assert isinstance(parse_python(latin, None), ast.Module)
    assert isinstance(parse_python(undecodable, None), SyntaxError)
    assert isinstance(parse_python(tmp_path / "gone.py", None), ast.Module)  # unreadable: empty


def test_null_bytes_are_a_syntax_error(tmp_path: Path) -> None:
    # a ValueError before Python 3.11.4, a SyntaxError since: a syntax error either way
    assert isinstance(parse_python(tmp_path / "nul.py", "x = 1\0\n"), SyntaxError)

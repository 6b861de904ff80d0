"""The error tree drawn in ``errors.py``'s docstring is the tree of classes, with their exit codes."""

from __future__ import annotations

import inspect
import re

from kailash_cli import errors
from kailash_cli.errors import KailashError


def _drawn() -> dict[str, int]:
    """Each class of the drawing, with the exit code its line states."""
    drawn = {}
    for line in (errors.__doc__ or "").splitlines():
        found = re.match(r"\s*(?:[├└]── )?(\w+Error|\w+Stopped|\w+Interrupted)\s", line)
        if found and found.group(1)[0].isupper():
            code = re.search(r"\(exit (\d+)\)", line)
            drawn[found.group(1)] = int(code.group(1)) if code else -1
    return drawn


def _defined() -> dict[str, type[KailashError]]:
    return {
        name: cls
        for name, cls in inspect.getmembers(errors, inspect.isclass)
        if issubclass(cls, KailashError) and cls.__module__ == errors.__name__
    }


def test_the_drawing_names_every_class_and_nothing_else() -> None:
    assert sorted(_drawn()) == sorted(_defined())


def test_every_exit_code_drawn_is_the_class_exit_code() -> None:
    defined = _defined()
    for name, code in _drawn().items():
        assert code == defined[name].exit_code, name


def test_no_kailash_error_is_defined_outside_errors_py() -> None:
    import importlib
    import pkgutil

    import kailash_cli

    outside = []
    for module in pkgutil.walk_packages(kailash_cli.__path__, "kailash_cli."):
        if module.name in ("kailash_cli.__main__", "kailash_cli.errors"):
            continue
        loaded = importlib.import_module(module.name)
        outside += [
            f"{module.name}.{name}"
            for name, cls in inspect.getmembers(loaded, inspect.isclass)
            if issubclass(cls, KailashError) and cls.__module__ == module.name
        ]
    assert outside == []

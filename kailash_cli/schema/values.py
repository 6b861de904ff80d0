"""JSON values as jsonschema's Draft 2020-12 validator sees them, without importing it."""

from __future__ import annotations

import numbers
from collections.abc import Mapping, Sequence
from typing import Any


def is_number(instance: Any) -> bool:
    """jsonschema's Draft 2020-12 ``number``: a Python number, not a bool."""
    return not isinstance(instance, bool) and isinstance(instance, numbers.Number)


def is_integer(instance: Any) -> bool:
    """jsonschema's Draft 2020-12 ``integer``: an int (not a bool) or an integral float."""
    if isinstance(instance, bool):
        return False
    return isinstance(instance, int) or (isinstance(instance, float) and instance.is_integer())


def equal(one: Any, two: Any) -> bool:
    """``jsonschema._utils.equal``: JSON equality, where ``true`` is not ``1``."""
    if one is two:
        return True
    if isinstance(one, str) or isinstance(two, str):
        return bool(one == two)
    if isinstance(one, Sequence) and isinstance(two, Sequence):
        return len(one) == len(two) and all(equal(i, j) for i, j in zip(one, two, strict=True))
    if isinstance(one, Mapping) and isinstance(two, Mapping):
        return len(one) == len(two) and all(
            key in two and equal(value, two[key]) for key, value in one.items()
        )
    return bool(_unbool(one) == _unbool(two))


_TRUE, _FALSE = object(), object()


def _unbool(value: Any) -> Any:
    return _TRUE if value is True else _FALSE if value is False else value

"""The store encoder on what node code can return: a value is stored faithfully or refused
with the path of the bad part (the node fails); the store itself never raises on a value."""

from __future__ import annotations

import json

from fuzz_strategies import hostile_values
from hypothesis import given

from kailash_cli.model.storable import NotStorableError, check_storable, unstorable
from kailash_cli.nodes.python_code import as_outputs
from kailash_cli.pipeline.database import dumps, loads


@given(hostile_values)
def test_a_result_is_storable_or_refused_naming_a_path(value: object) -> None:
    try:
        check_storable(value)
    except NotStorableError as e:
        assert str(e).startswith("result")
        assert unstorable(value) is not None
        return
    assert unstorable(value) is None
    stored = loads(dumps(value))
    assert json.dumps(stored, default=str)  # readable back, and printable as JSON


@given(hostile_values)
def test_the_store_never_raises_on_a_value(value: object) -> None:
    loads(dumps(value))


@given(hostile_values)
def test_python_code_outputs_are_storable_or_the_node_fails(value: object) -> None:
    try:
        outputs = as_outputs(value)
    except NotStorableError:
        return
    assert loads(dumps(outputs)) is not None

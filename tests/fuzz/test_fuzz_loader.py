"""The YAML loader and the schema and semantic checks on generated hostile input.

Whatever the text, loading gives a Document (problems recorded, never raised) and the
checks give findings: no exception escapes, no recursion error, no hang.
"""

from __future__ import annotations

import io

from fuzz_strategies import json_like, yaml_text
from hypothesis import given
from hypothesis import strategies as st
from ruamel.yaml import YAML

from kailash_cli.compile.validation import check_document
from kailash_cli.load.config import check_config
from kailash_cli.load.yaml_io import load_text
from kailash_cli.load.yaml_limits import MAX_DEPTH, too_deep


def _checked(text: str) -> None:
    doc = load_text(text, "fuzz.yaml")
    if not doc.problems and isinstance(doc.data, dict):
        check_document(doc)
        check_config(doc)


@given(yaml_text)
def test_any_text_loads_or_is_a_finding(text: str) -> None:
    _checked(text)


def _block(depth: int) -> str:
    return "".join(f"{' ' * (i + 5)}k:\n" for i in range(depth)) + " " * (depth + 5) + "1\n"


_NESTINGS = {
    "flow list": lambda d: "[" * d + "1" + "]" * d,
    "flow mapping": lambda d: "{a: " * d + "1" + "}" * d,
    "block": lambda d: "\n" + _block(d),
}


@given(st.sampled_from(sorted(_NESTINGS)), st.integers(min_value=MAX_DEPTH - 8, max_value=3_000))
def test_deep_nesting_is_a_finding(kind: str, depth: int) -> None:
    text = "name: x\nnodes:\n  a:\n    v: " + _NESTINGS[kind](depth)
    doc = load_text(text, "fuzz.yaml")

    too_deep = depth + 3 > MAX_DEPTH  # the document, nodes and a hold it
    assert (doc.data is None) == too_deep
    assert [p.id for p in doc.problems] == (["KV003"] if too_deep else [])


def _dump(data: object) -> str:
    stream = io.StringIO()
    YAML(typ="safe").dump(data, stream)
    return stream.getvalue()


@given(
    st.fixed_dictionaries(
        {
            "name": st.sampled_from(["x", "Bad Name", ""]),
            "nodes": st.dictionaries(st.text(max_size=8), json_like, max_size=4),
        },
        optional={
            "params": json_like,
            "env": json_like,
            "secrets": json_like,
            "outputs": json_like,
            "runtime": json_like,
        },
    )
)
def test_any_workflow_shaped_data_gives_findings(data: dict[str, object]) -> None:
    _checked(_dump(data))


@given(st.text(st.sampled_from(list("[]{}-: ab\n")), max_size=400))
def test_depth_bound_never_misses_deep_text(text: str) -> None:
    """The cheap bound that lets small files skip the event pass is an upper bound."""
    found = too_deep(text)
    depth = deepest = 0
    try:
        from ruamel.yaml.events import CollectionEndEvent, CollectionStartEvent

        for event in YAML(typ="safe").parse(text):
            if isinstance(event, CollectionStartEvent):
                depth += 1
                deepest = max(deepest, depth)
            elif isinstance(event, CollectionEndEvent):
                depth -= 1
    except Exception:
        return
    assert (found is not None) == (deepest > MAX_DEPTH)


def _map_seq_chain(steps: list[int]) -> str:
    """Mappings holding sequences at their own column, the densest block nesting YAML has."""
    lines, col = [], 0
    for step in steps:
        lines += [" " * col + "k:", " " * col + "-"]
        col += step
    return "\n".join([*lines, " " * col + "1"]) + "\n"


@given(st.lists(st.integers(min_value=1, max_value=3), min_size=40, max_size=70))
def test_the_depth_bound_holds_for_the_densest_block_nesting(steps: list[int]) -> None:
    text = _map_seq_chain(steps)

    assert (too_deep(text) is not None) == (2 * len(steps) > MAX_DEPTH)


@given(st.text(st.sampled_from(list("[]{}-?: ab\n\r\x85\u2028")), max_size=400))
def test_the_rough_bound_is_never_below_the_depth_bound(text: str) -> None:
    """The longest-line bound, asked first, may only be looser than the line-by-line one."""
    from kailash_cli.load.yaml_limits import _depth_bound, _rough_bound

    assert _rough_bound(text) >= _depth_bound(text)

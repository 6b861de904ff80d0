"""The line reader (``load/yaml_fast.py``) gives ruamel.yaml's data or steps aside.

Generated block-style texts, some of them broken: wherever the line reader answers, its
data is what ruamel.yaml's tree builds (types included), with no finding.
"""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from kailash_cli.load.yaml_fast import read_plain
from kailash_cli.load.yaml_io import Document
from kailash_cli.load.yaml_resolver import plain_tags, safe_yaml
from kailash_cli.load.yaml_tree import Builder

_WORDS = st.sampled_from(
    ["a", "n0", "type", "true", "null", "~", "1", "0o17", "1_000", ".5", "2001-12-14", "yes", "x y",
     "mod:step", "a:", "a - b", "#c", "(x)", "=", "é", "-1", "+1", ".inf", "1e3", "", "x  y", "<<"]
)  # fmt: skip
_VALUES = st.one_of(
    _WORDS,
    _WORDS.map(lambda w: f'"{w}"'),
    _WORDS.map(lambda w: f"'{w}'"),
    st.sampled_from(["{}", "[]", "[1]", '"a\\nb"', "'it''s'", "&x 1", "*x", "!!str 1", "|", "\t1"]),
)
_LINES = st.lists(
    st.tuples(
        st.integers(0, 6),  # indentation
        st.sampled_from(["key", "key:", "dash", "comment", "blank"]),
        _WORDS,
        _VALUES,
        st.booleans(),  # a comment after it
    ),
    min_size=1,
    max_size=12,
)


def _line(indent: int, kind: str, word: str, value: str, comment: bool) -> str:
    body = {
        "key": f"{word}: {value}",
        "key:": f"{word}:",
        "dash": f"- {value}",
        "comment": "# note",
        "blank": "",
    }[kind]
    return " " * indent + body + (" # c" if comment and kind != "blank" else "")


def _built(text: str) -> tuple[object, list[object]] | None:
    yaml = safe_yaml()
    doc = Document(file="t.yaml", data=None)
    try:
        node = yaml.compose(text)
        return (None if node is None else Builder(doc, yaml).build(node, ())), list(doc.problems)
    except Exception:  # noqa: BLE001 - the line reader must have stepped aside
        return None


def _same_or_aside(text: str) -> None:
    yaml = safe_yaml()
    fast = read_plain(text, yaml.constructor, plain_tags(yaml))
    if fast is None:
        return
    built = _built(text)
    assert built is not None, text
    data, problems = built
    assert (repr(fast), problems) == (repr(data), []), text


@given(_LINES)
def test_block_texts_read_as_ruamel_yaml_reads_them(lines: list[tuple[int, str, str, str, bool]]) -> None:
    _same_or_aside("\n".join(_line(*line) for line in lines) + "\n")


@given(_LINES)
def test_block_texts_under_a_key(lines: list[tuple[int, str, str, str, bool]]) -> None:
    _same_or_aside("top:\n" + "\n".join(_line(i + 2, *rest) for i, *rest in lines))

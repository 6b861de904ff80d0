"""Hypothesis strategies for hostile input (YAML-ish text, expressions, Python values), and
the one profile every fuzz test runs under (loaded when this module is imported).

``derandomize`` makes every run try the same examples (CI never fails on a draw it cannot
repeat), no example database is written into the work tree, and no per-example deadline
applies (a loaded machine is slow, not wrong). ``KAILASH_FUZZ_EXAMPLES`` raises the count
for a longer local hunt: ``KAILASH_FUZZ_EXAMPLES=5000 pytest tests/fuzz``.
"""

from __future__ import annotations

import math
import os

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

settings.register_profile(
    "kailash",
    max_examples=int(os.environ.get("KAILASH_FUZZ_EXAMPLES", "120")),
    derandomize="KAILASH_FUZZ_EXAMPLES" not in os.environ,
    database=None,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
settings.load_profile("kailash")

#: characters that mean something to YAML, and some that break decoders and terminals
YAML_ALPHABET = st.sampled_from(
    list("abc:-?[]{},&*!|>'\"#%@` \t\n\\$.0123456789") + ["\ud800", "\x00", "\ufeff"]
)

yaml_text = st.text(YAML_ALPHABET, max_size=300)

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**30), max_value=10**30),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=20),
    st.sampled_from(["${params.x}", "${nodes.a.result}", "${env}", "${1/0}", "${'a' * 10**9}", "$${x}"]),
)

#: plain data, as YAML gives it
json_like = st.recursive(
    scalars,
    lambda children: (
        st.lists(children, max_size=5) | st.dictionaries(st.text(max_size=10), children, max_size=5)
    ),
    max_leaves=30,
)


def _nested(depth: int) -> list[object]:
    value: list[object] = []
    for _ in range(depth):
        value = [value]
    return value


def _huge_int() -> int:
    return 10**5000  # built when drawn: hypothesis cannot print it as a constant


def _circular() -> list[object]:
    loop: list[object] = [1]
    loop.append(loop)
    return loop


def _containers(children: st.SearchStrategy[object]) -> st.SearchStrategy[object]:
    keys = st.one_of(st.text(max_size=5), st.integers(), st.tuples(st.integers()))
    return st.one_of(st.lists(children, max_size=4), st.dictionaries(keys, children, max_size=4))


#: what node code can return: JSON data plus what JSON cannot hold
hostile_values = st.recursive(
    st.one_of(
        scalars,
        st.builds(_huge_int),
        st.just("\udc80"),
        st.just(math.nan),
        st.frozensets(st.integers(), max_size=3),
        st.binary(max_size=5),
        st.builds(_circular),
        st.integers(min_value=0, max_value=300).map(_nested),
    ),
    _containers,
    max_leaves=20,
)

_names = st.sampled_from(["params", "nodes", "env", "secrets", "run", "x", "len", "True", "None", "PATH"])
_atoms = st.one_of(
    _names,
    st.integers(min_value=-(10**9), max_value=10**9).map(str),
    st.sampled_from(["'a'", '"%0999999d"', "[1]", "[[1]*9999]", "{'a': 1}", "1.5", "4000000", "1e308"]),
)


def _combine(parts: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    binary = st.tuples(
        parts,
        st.sampled_from(
            ["+", "-", "*", "/", "//", "%", "**", "<<", ">>", "==", " and ", " or ", " in ", "<", "&"]
        ),
        parts,
    )
    return st.one_of(
        binary.map(lambda t: f"{t[0]}{t[1]}{t[2]}"),
        parts.map(lambda p: f"not {p}"),
        parts.map(lambda p: f"-{p}"),
        parts.map(lambda p: f"({p})"),
        parts.map(lambda p: f"[{p}, {p}]"),
        parts.map(lambda p: f"len({p})"),
        parts.map(lambda p: f"{p}.a"),
        parts.map(lambda p: f"{p}[0]"),
        st.tuples(parts, st.integers(min_value=1, max_value=400)).map(lambda t: "not " * t[1] + t[0]),
    )


#: expressions built from the grammar, with the costly operations in reach
expressions = st.recursive(_atoms, _combine, max_leaves=12)

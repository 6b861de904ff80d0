from __future__ import annotations

from typing import Any

import pytest

from kailash_cli.model.evaluation import Scope, compile_value, render
from kailash_cli.model.expressions import ExpressionError, Template, parse_expr, parse_template, templates_in

VALUES: dict[str, Any] = {
    "params": {
        "n": 3,
        "name": "ada",
        "ratio": 0.5,
        "tags": ["a", "b"],
        "flag": True,
        "m": {"items": 1, "keys": 2, "values": "v", "a": {"b": 5}},
    },
    "env": {"HOME_DIR": "/home/ada"},
    "secrets": {"token": "s3cret"},
    "nodes": {"read": {"data": [{"id": 1}, {"id": 2}], "result": {"total": 7}}},
    "run": {"id": "abc123", "started_at": "2026-01-01T00:00:00+00:00", "workflow": "wf"},
}
ENVIRON = {"DATABASE_URL": "postgres://db", "HOME_DIR": "/home/ada"}


def ev(text: str, values: dict[str, Any] | None = None) -> Any:
    parsed = parse_template(text)
    if not isinstance(parsed, Template):
        return parsed
    return render(parsed, Scope(VALUES if values is None else values, ENVIRON))


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("${1}", 1),
        ("${1.5}", 1.5),
        ("${'x'}", "x"),
        ('${"x"}', "x"),
        ("${true}", True),
        ("${false}", False),
        ("${null}", None),
        ("${True}", True),
        ("${None}", None),
        ("${[1, 2]}", [1, 2]),
        ("${{'a': 1}}", {"a": 1}),
        ("${(1, 2)}", (1, 2)),
    ],
)
def test_literals(text: str, expected: Any) -> None:
    assert ev(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("${params.n}", 3),
        ("${params.name}", "ada"),
        ("${params.tags}", ["a", "b"]),
        ("${env.HOME_DIR}", "/home/ada"),
        ("${secrets.token}", "s3cret"),
        ("${nodes.read.data}", [{"id": 1}, {"id": 2}]),
        ("${nodes.read.result.total}", 7),
        ("${run.id}", "abc123"),
        ("${run.started_at}", "2026-01-01T00:00:00+00:00"),
        ("${DATABASE_URL}", "postgres://db"),
    ],
)
def test_roots(text: str, expected: Any) -> None:
    assert ev(text) == expected


def test_whole_expression_keeps_its_type() -> None:
    assert ev("${params.n}") == 3
    assert type(ev("${params.n}")) is int
    assert ev("${params.flag}") is True
    assert ev("${params.m.a}") == {"b": 5}
    assert ev("  ${params.n}") == "  3"  # not exactly one expression: text


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("n=${params.n}", "n=3"),
        ("${params.name}-${params.n}", "ada-3"),
        ("tags: ${params.tags}", 'tags: ["a", "b"]'),
        ("obj ${params.m.a}", 'obj {"b": 5}'),
        ("flag ${params.flag} none ${null}", "flag true none null"),
        ("db=${DATABASE_URL}", "db=postgres://db"),
    ],
)
def test_interpolation_as_text(text: str, expected: str) -> None:
    assert ev(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("${len(params.tags)}", 2),
        ("${len(nodes.read.data)}", 2),
        ("${len('abc')}", 3),
        ("${params.n > 2 and params.n < 5}", True),
        ("${params.n > 5 or params.flag}", True),
        ("${not params.flag}", False),
        ("${params.n == 3}", True),
        ("${params.n != 3}", False),
        ("${params.n >= 3}", True),
        ("${params.n <= 2}", False),
        ("${'a' in params.tags}", True),
        ("${'z' not in params.tags}", True),
        ("${params.n + 1}", 4),
        ("${params.n - 1.5}", 1.5),
        ("${params.n * 2}", 6),
        ("${params.n / 2}", 1.5),
        ("${params.n // 2}", 1),
        ("${params.n % 2}", 1),
        ("${params.n ** 2}", 9),
        ("${-params.n}", -3),
        ("${params.name + '!'}", "ada!"),
    ],
)
def test_functions_logic_comparison_arithmetic(text: str, expected: Any) -> None:
    assert ev(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("${params.tags[0]}", "a"),
        ("${params.tags[-1]}", "b"),
        ("${params['n']}", 3),
        ("${params.m['items']}", 1),
        ("${params.m.a['b']}", 5),
        ("${nodes.read.data[1].id}", 2),
        ("${nodes['read']['result']['total']}", 7),
    ],
)
def test_index_access(text: str, expected: Any) -> None:
    assert ev(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("${params.m.items}", 1),
        ("${params.m.keys}", 2),
        ("${params.m.values}", "v"),
    ],
)
def test_mapping_keys_named_like_dict_methods_give_the_value(text: str, expected: Any) -> None:
    assert ev(text) == expected


def test_dollar_dollar_escapes_an_expression() -> None:
    assert ev("$${params.n}") == "${params.n}"
    assert ev("cost: $${x} and ${params.n}") == "cost: ${x} and 3"


def test_text_without_expression_is_returned_unchanged() -> None:
    assert parse_template("plain $ text {}") == "plain $ text {}"


def test_braces_inside_strings_do_not_close_the_expression() -> None:
    assert ev("${'}'} and ${'{'}") == "} and {"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "${params.n.bit_length()}",
            "expression 'params.n.bit_length()' calls a function; only len(x) is allowed",
        ),
        ("${__import__('os')}", "expression '__import__('os')' calls a function; only len(x) is allowed"),
        (
            "${open('/etc/passwd')}",
            "expression 'open('/etc/passwd')' calls a function; only len(x) is allowed",
        ),
        (
            "${len(params.tags, 1)}",
            "expression 'len(params.tags, 1)' calls a function; only len(x) is allowed",
        ),
        (
            "${().__class__.__bases__}",
            "expression '().__class__.__bases__' reads '__bases__'; names starting with '_' are not allowed",
        ),
        (
            "${params.__class__}",
            "expression 'params.__class__' reads '__class__'; names starting with '_' are not allowed",
        ),
        ("${params._x}", "expression 'params._x' reads '_x'; names starting with '_' are not allowed"),
    ],
)
def test_calls_and_private_attributes_are_refused(text: str, message: str) -> None:
    with pytest.raises(ExpressionError) as info:
        parse_template(text)
    assert str(info.value) == message


ALLOWED = "(literals, names, .attr, [index], comparisons, and/or/not, arithmetic, len())"


@pytest.mark.parametrize(
    ("text", "node"),
    [
        ("${lambda: 1}", "Lambda"),
        ("${[x for x in params.tags]}", "ListComp"),
        ("${{x: 1 for x in params.tags}}", "DictComp"),
        ("${(x for x in params.tags)}", "GeneratorExp"),
        ("${{1, 2}}", "Set"),
        ("${f'{params.n}'}", "JoinedStr"),
        ("${(y := 1)}", "NamedExpr"),
        ("${1 if params.flag else 2}", "IfExp"),
    ],
)
def test_other_constructs_are_refused(text: str, node: str) -> None:
    with pytest.raises(ExpressionError) as info:
        parse_template(text)
    assert str(info.value) == f"expression '{text[2:-1]}' uses {node}, which is not allowed {ALLOWED}"


@pytest.mark.parametrize("text", ["${import os}", "${params.n = 1}", "${1 +}"])
def test_statements_and_broken_syntax_do_not_parse(text: str) -> None:
    with pytest.raises(ExpressionError) as info:
        parse_template(text)
    assert str(info.value) == f"expression '{text[2:-1]}' does not parse: invalid syntax"


@pytest.mark.parametrize(
    "text",
    [
        "${().__class__.__bases__[0].__subclasses__()}",
        "${__import__('os').system('echo pwned')}",
        "${params.m.__getitem__('a')}",
        "${len}",
        "${getattr(params, '__class__')}",
        "${[c for c in ().__class__.__base__.__subclasses__()]}",
        "${(lambda: __import__('os'))()}",
    ],
)
def test_injection_attempts_fail_cleanly(text: str) -> None:
    with pytest.raises(ExpressionError) as info:
        parse_template(text)
    assert str(info.value).startswith(f"expression '{text[2:-1]}' ")


def test_unclosed_and_empty_expressions() -> None:
    with pytest.raises(ExpressionError) as info:
        parse_template("a ${params.n")
    assert str(info.value) == "'${' at offset 2 has no closing '}'"
    with pytest.raises(ExpressionError) as info:
        parse_template("${ }")
    assert str(info.value) == "empty expression '${}'"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("${params.n / 0}", "${params.n / 0}: division by zero"),
        (
            "${params.missing}",
            "${params.missing}: 'params' has no key 'missing' (keys: n, name, ratio, tags, flag, m)",
        ),
        (
            "${nodes.read.result.nope}",
            "${nodes.read.result.nope}: 'nodes.read.result' has no key 'nope' (keys: total)",
        ),
        ("${params.tags[5]}", "${params.tags[5]}: list index out of range"),
        ("${params.m['zz']}", "${params.m['zz']}: no key 'zz'"),
        ("${unknown}", "${unknown}: unknown name 'unknown'"),
        ("${NOT_SET_VAR}", "${NOT_SET_VAR}: environment variable NOT_SET_VAR is not set"),
        ("${params.n + 'x'}", "${params.n + 'x'}: unsupported operand type(s) for +: 'int' and 'str'"),
    ],
)
def test_evaluation_errors_name_the_expression(text: str, message: str) -> None:
    with pytest.raises(ExpressionError) as info:
        ev(text)
    assert str(info.value) == message


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "${params.n.real}",
            "${params.n.real}: 'params.n' is an integer, not a mapping; it has no key 'real'",
        ),
        (
            "${params.name.upper}",
            "${params.name.upper}: 'params.name' is a string, not a mapping; it has no key 'upper'",
        ),
        (
            "${params.tags.pop}",
            "${params.tags.pop}: 'params.tags' is a list, not a mapping; it has no key 'pop'",
        ),
    ],
)
def test_attributes_reach_only_mapping_keys(text: str, message: str) -> None:
    with pytest.raises(ExpressionError) as info:
        ev(text)
    assert str(info.value) == message


def test_evaluation_error_on_empty_mapping_says_it_is_empty() -> None:
    with pytest.raises(ExpressionError) as info:
        ev("${params.x}", {"params": {}})
    assert str(info.value) == "${params.x}: 'params' has no key 'x' (it is empty)"


def test_huge_results_are_refused() -> None:
    with pytest.raises(ExpressionError) as info:
        ev("${'a' * 100000000}")
    assert str(info.value).startswith("${'a' * 100000000}: ")


def test_references_are_collected() -> None:
    expr = parse_expr("nodes.read.data[0] + params['n'] + len(nodes.b.x) + HOME")
    assert expr.refs == (("nodes", "read", "data"), ("params", "n"), ("nodes", "b", "x"), ("HOME",))


def test_templates_in_nested_values() -> None:
    found = templates_in({"a": ["x ${params.n}", {"b": "${nodes.r.data}"}], "c": 1, "d": "plain"})
    assert [t.source for t in found] == ["x ${params.n}", "${nodes.r.data}"]
    assert [t.whole for t in found] == [False, True]


def test_compile_value_resolves_nested_values_and_keeps_the_rest() -> None:
    value = {
        "a": "${params.n}",
        "b": ["${params.name}", 2, "x"],
        "c": {"d": "id-${run.id}"},
        "e": "$${literal}",
        "f": 1.5,
    }
    resolver = compile_value(value)
    assert resolver is not None
    assert resolver(Scope(VALUES, ENVIRON)) == {
        "a": 3,
        "b": ["ada", 2, "x"],
        "c": {"d": "id-abc123"},
        "e": "${literal}",
        "f": 1.5,
    }


def test_compile_value_is_none_without_expressions() -> None:
    assert compile_value({"a": "x", "b": [1, "y"], "c": None}) is None
    assert compile_value("plain") is None
    assert compile_value(3) is None


class _Walked(dict[str, Any]):
    """A mapping that counts how often its values are walked."""

    walks = 0

    def values(self) -> Any:
        type(self).walks += 1
        return super().values()


def test_a_key_read_from_a_large_mapping_does_not_walk_it() -> None:
    # walking every node's outputs made `${nodes.write.rows > 10}` cost a second with a
    # million rows in the run (issue 15); only what is read is checked
    _Walked.walks = 0
    nodes = {"read": _Walked(data=list(range(1000))), "write": {"rows": 750}}
    assert ev("${nodes.write.rows > 10}", {"nodes": nodes}) is True
    assert ev("${nodes['write']['rows'] + 1}", {"nodes": nodes}) == 751
    assert _Walked.walks == 0


def test_what_is_read_is_still_checked_for_disallowed_functions() -> None:
    with pytest.raises(ExpressionError, match="forbidden|bad idea|not allowed"):
        ev("${nodes['a']['f']}", {"nodes": {"a": {"f": eval}}})

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from kailash_cli.errors import UsageError
from kailash_cli.load.params import check_declarations, coerce, read_params_file, resolve
from kailash_cli.load.yaml_io import load_text
from kailash_cli.model.workflow import Param, Workflow


def declared(params: dict[str, Any]) -> dict[str, Param]:
    data = {"name": "wf", "params": params, "nodes": {"a": {"type": "PythonCodeNode"}}}
    return Workflow.from_dict(data).params


@pytest.mark.parametrize(
    ("kind", "text", "expected"),
    [
        ("string", "hello world", "hello world"),
        ("string", "42", "42"),
        ("integer", "42", 42),
        ("integer", "-7", -7),
        ("number", "2.5", 2.5),
        ("number", "100", 100),
        ("number", "1e3", 1000.0),
        ("boolean", "true", True),
        ("boolean", "True", True),
        ("boolean", "yes", True),
        ("boolean", "on", True),
        ("boolean", "1", True),
        ("boolean", "false", False),
        ("boolean", "NO", False),
        ("boolean", "off", False),
        ("boolean", "0", False),
        ("array", '[1, "two", {"x": 3}]', [1, "two", {"x": 3}]),
        ("array", "a, b ,c", ["a", "b", "c"]),
        ("array", "single", ["single"]),
        ("array", "5", ["5"]),
        ("array", "", []),
        ("object", '{"a": 1, "b": [true]}', {"a": 1, "b": [True]}),
    ],
)
def test_coerce_per_type(kind: str, text: str, expected: Any) -> None:
    value = coerce(text, Param("p", kind))
    assert value == expected
    assert type(value) is type(expected)


@pytest.mark.parametrize(
    ("kind", "text", "message"),
    [
        ("integer", "4.5", "expected an integer, got '4.5'"),
        ("integer", "ten", "expected an integer, got 'ten'"),
        ("number", "abc", "expected a number, got 'abc'"),
        ("boolean", "maybe", "expected true or false, got 'maybe'"),
        ("object", "a=1", "expected a JSON object, got 'a=1'"),
    ],
)
def test_coerce_refuses_bad_text(kind: str, text: str, message: str) -> None:
    with pytest.raises(ValueError) as info:
        coerce(text, Param("p", kind))
    assert str(info.value) == message


PARAMS = {
    "n": {"type": "integer", "required": True, "description": "how many"},
    "mode": {"type": "string", "enum": ["fast", "slow"], "default": "fast"},
    "ratio": {"type": "number", "minimum": 0},
    "tags": {"type": "array"},
}


def test_resolve_uses_defaults_and_coerces() -> None:
    values = resolve(declared(PARAMS), ["n=3", "tags=a,b"], {})
    assert values == {"n": 3, "mode": "fast", "ratio": None, "tags": ["a", "b"]}


def test_cli_value_overrides_file_value() -> None:
    values = resolve(declared(PARAMS), ["n=3"], {"n": 1, "ratio": 0.5, "mode": "slow"})
    assert values == {"n": 3, "mode": "slow", "ratio": 0.5, "tags": None}


def test_value_containing_equals_sign_is_kept_whole() -> None:
    values = resolve(declared({"q": {"type": "string"}}), ["q=a=b"], {})
    assert values == {"q": "a=b"}


def test_missing_required_param() -> None:
    with pytest.raises(UsageError) as info:
        resolve(declared(PARAMS), [], {})
    assert str(info.value) == "missing required param 'n' (how many); pass -p n=VALUE"
    assert info.value.exit_code == 2


def test_unknown_param_suggests_a_name() -> None:
    with pytest.raises(UsageError) as info:
        resolve(declared(PARAMS), ["n=1", "mdoe=fast"], {})
    assert str(info.value).splitlines() == [
        "-p mdoe: unknown param 'mdoe' (did you mean 'mode'?)",
        "known params: n, mode, ratio, tags",
    ]


def test_unknown_param_in_file_suggests_a_name() -> None:
    with pytest.raises(UsageError) as info:
        resolve(declared(PARAMS), ["n=1"], {"ratoi": 1})
    assert str(info.value).splitlines() == [
        "--params-file: unknown param 'ratoi' (did you mean 'ratio'?)",
        "known params: n, mode, ratio, tags",
    ]


def test_schema_constraints_are_enforced() -> None:
    with pytest.raises(UsageError) as info:
        resolve(declared(PARAMS), ["n=1", "mode=medium", "ratio=-1"], {})
    assert str(info.value).splitlines() == [
        "param 'mode': 'medium' is not one of ['fast', 'slow']",
        "param 'ratio': -1 is less than the minimum of 0",
    ]


def test_file_values_are_type_checked() -> None:
    with pytest.raises(UsageError) as info:
        resolve(declared(PARAMS), [], {"n": "three"})
    assert str(info.value) == "param 'n': must be an integer, got string"


def test_every_problem_is_reported_at_once() -> None:
    with pytest.raises(UsageError) as info:
        resolve(declared(PARAMS), ["nn=1", "mode=medium", "ratio=x", "novalue"], {"bogus": 1})
    assert str(info.value).splitlines() == [
        "--params-file: unknown param 'bogus'",
        "-p nn: unknown param 'nn' (did you mean 'n'?)",
        "-p ratio: expected a number, got 'x'",
        "-p novalue: expected KEY=VALUE",
        "missing required param 'n' (how many); pass -p n=VALUE",
        "param 'mode': 'medium' is not one of ['fast', 'slow']",
        "known params: n, mode, ratio, tags",
    ]


def test_read_params_file_yaml(tmp_path: Path) -> None:
    path = tmp_path / "params.yaml"
    path.write_text("n: 3\ntags: [a, b]\nmode: slow\n", encoding="utf-8")
    assert read_params_file(path) == {"n": 3, "tags": ["a", "b"], "mode": "slow"}


def test_read_params_file_json(tmp_path: Path) -> None:
    path = tmp_path / "params.json"
    path.write_text('{"n": 3, "ratio": 0.25, "tags": ["x"]}', encoding="utf-8")
    assert read_params_file(path) == {"n": 3, "ratio": 0.25, "tags": ["x"]}


def test_read_params_file_empty_is_no_params(tmp_path: Path) -> None:
    path = tmp_path / "params.yaml"
    path.write_text("# nothing\n", encoding="utf-8")
    assert read_params_file(path) == {}


def test_read_params_file_must_be_a_mapping(tmp_path: Path) -> None:
    path = tmp_path / "params.yaml"
    path.write_text("- a\n- b\n", encoding="utf-8")
    with pytest.raises(UsageError) as info:
        read_params_file(path)
    assert str(info.value) == f"{path}: a params file must be a mapping of param names to values"


def test_read_params_file_missing(tmp_path: Path) -> None:
    path = tmp_path / "nope.yaml"
    with pytest.raises(UsageError) as info:
        read_params_file(path)
    assert str(info.value) == f"{path}: cannot read file: No such file or directory"


def test_read_params_file_bad_yaml_is_located(tmp_path: Path) -> None:
    path = tmp_path / "params.yaml"
    path.write_text("n: 1\nm: [unclosed\n", encoding="utf-8")
    with pytest.raises(UsageError) as info:
        read_params_file(path)
    assert str(info.value).startswith(f"{path}:3:1: ")


def test_check_declarations_reports_bad_default_and_pattern() -> None:
    text = (
        "params:\n"
        "  n: {type: integer, default: x}\n"
        "  code: {type: string, pattern: '[unclosed'}\n"
        "  both: {type: string, required: true, default: a}\n"
    )
    doc = load_text(text, "wf.yaml")
    problems = check_declarations(doc, doc.data["params"])
    assert [(p.id, p.severity, p.line, p.message) for p in problems] == [
        ("KV401", "error", 2, "param 'n': default must be an integer, got string"),
        (
            "KV401",
            "error",
            3,
            "param 'code': pattern is not a valid regular expression: "
            "unterminated character set at position 0",
        ),
        ("KV402", "warning", 4, "param 'both' is required and has a default; the default is never used"),
    ]


def test_unknown_param_when_the_workflow_has_none() -> None:
    with pytest.raises(UsageError) as info:
        resolve({}, ["x=1"], {})
    assert str(info.value).splitlines() == ["-p x: unknown param 'x'", "this workflow has no params"]


BOOLS = {"a": {"type": "integer"}, "b": {"type": "boolean"}, "c": {"type": "number"}}


def test_params_file_errors_are_located(tmp_path: Path) -> None:
    path = tmp_path / "pf.yaml"
    path.write_text("a: 1\nb: yes\nbb: 2\n", encoding="utf-8")
    with pytest.raises(UsageError) as info:
        resolve(declared(BOOLS), [], read_params_file(path))
    assert str(info.value).splitlines() == [
        f"{path}:3:1: unknown param 'bb' (did you mean 'b'?)",
        f"{path}:2:4: param 'b': must be true or false, got string; "
        "YAML 1.2 reads yes/no as text: write true or false",
        "known params: a, b, c",
    ]


def test_a_cli_value_replacing_a_file_value_is_not_located_in_the_file(tmp_path: Path) -> None:
    path = tmp_path / "pf.yaml"
    path.write_text("a: 1\n", encoding="utf-8")
    low = declared({"a": {"type": "integer", "minimum": 5}})
    with pytest.raises(UsageError) as info:
        resolve(low, [], read_params_file(path))
    assert str(info.value) == f"{path}:1:4: param 'a': 1 is less than the minimum of 5"
    with pytest.raises(UsageError) as info:
        resolve(low, ["a=3"], read_params_file(path))
    assert str(info.value) == "param 'a': 3 is less than the minimum of 5"
    with pytest.raises(UsageError) as info:  # a refused -p value leaves the file's, still located
        resolve(low, ["a=x"], read_params_file(path))
    assert str(info.value).splitlines() == [
        "-p a: expected an integer, got 'x'",
        f"{path}:1:4: param 'a': 1 is less than the minimum of 5",
    ]


@pytest.mark.parametrize("word", ["no", "Off", "y", "N"])
def test_yaml11_boolean_words_get_a_hint(word: str) -> None:
    with pytest.raises(UsageError) as info:
        resolve(declared(BOOLS), [], {"b": word})
    assert str(info.value).endswith("; YAML 1.2 reads yes/no as text: write true or false")


@pytest.mark.parametrize(
    ("kind", "text", "message"),
    [
        ("array", '{"x":1}', """expected a JSON array or a comma-separated list, got '{"x":1}'"""),
        ("array", '"a,b"', """expected a JSON array or a comma-separated list, got '"a,b"'"""),
        ("object", "[1, 2]", "expected a JSON object, got '[1, 2]'"),
        ("object", "5", "expected a JSON object, got '5'"),
        ("object", '"x"', """expected a JSON object, got '"x"'"""),
        ("number", "nan", "expected a finite number, got 'nan'"),
        ("number", "-Infinity", "expected a finite number, got '-Infinity'"),
        ("number", "1e999", "expected a finite number, got '1e999'"),
        ("integer", "nan", "expected an integer, got 'nan'"),
        ("array", "[1, NaN]", "expected finite numbers, got NaN or Infinity at [1]"),
        ("object", '{"x": {"y": 1e999}}', "expected finite numbers, got NaN or Infinity at x.y"),
    ],
)
def test_coerce_refuses_json_of_the_wrong_shape_and_non_finite_numbers(
    kind: str, text: str, message: str
) -> None:
    with pytest.raises(ValueError) as info:
        coerce(text, Param("p", kind))
    assert str(info.value) == message


def test_big_integers_for_number_params_stay_exact() -> None:
    assert coerce("1" * 400, Param("p", "number")) == int("1" * 400)


def test_non_finite_numbers_from_a_params_file_are_refused(tmp_path: Path) -> None:
    path = tmp_path / "pf.yaml"
    path.write_text("a: 1\nc: .nan\n", encoding="utf-8")
    with pytest.raises(UsageError) as info:
        resolve(declared(BOOLS), [], read_params_file(path))
    assert str(info.value) == f"{path}:2:4: param 'c': expected a finite number, got nan"
    with pytest.raises(UsageError) as info:
        resolve(declared({"t": {"type": "array"}}), [], {"t": [1, float("inf")]})
    assert str(info.value) == "param 't': expected finite numbers, got NaN or Infinity at [1]"


def test_a_value_that_is_not_utf8_is_refused() -> None:
    item = b"who=\xff".decode("utf-8", "surrogateescape")  # what Python makes of argv bytes
    with pytest.raises(UsageError) as info:
        resolve(declared({"who": {"type": "string"}}), [item], {})
    assert str(info.value) == "-p who: the value is not valid UTF-8"
    assert info.value.exit_code == 2
    name = b"w\xffo=x".decode("utf-8", "surrogateescape")
    with pytest.raises(UsageError) as info:
        resolve(declared({"who": {"type": "string"}}), [name], {})
    assert str(info.value) == "-p: the param name is not valid UTF-8"


def test_read_params_file_is_still_a_plain_mapping_of_values(tmp_path: Path) -> None:
    path = tmp_path / "pf.yaml"
    path.write_text("a: 1\n", encoding="utf-8")
    values = read_params_file(path)
    assert values == {"a": 1} and isinstance(values, dict)

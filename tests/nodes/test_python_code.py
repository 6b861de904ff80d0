from __future__ import annotations

import sys
import uuid
from pathlib import Path

import pytest
from helpers import make_ctx, run_node, write

from kailash_cli.errors import UsageError
from kailash_cli.model.workflow import node_spec
from kailash_cli.nodes.base import Finding
from kailash_cli.nodes.python_code import NODE_TYPE, Prepared, as_outputs, resolve_function

MODULE = """
import asyncio

def add(a, b=10):
    return a + b

def stats(values):
    return {"sum": sum(values), "n": len(values)}

async def fetch(x):
    await asyncio.sleep(0)
    return {"got": x}

class Tools:
    @staticmethod
    def double(x):
        return 2 * x

VALUE = 3
"""


@pytest.fixture(autouse=True)
def _restore_sys_path(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "path", list(sys.path))  # module:callable adds the workflow folder


def spec(**config):
    return node_spec("py", {"type": "PythonCodeNode", "config": config})


def prepared_ctx(tmp_path: Path, **config):
    return make_ctx(tmp_path, node_id="py", prepared=NODE_TYPE.prepare(spec(**config), tmp_path))


def test_function_from_a_file(tmp_path: Path) -> None:
    write(tmp_path / "lib" / "tools.py", MODULE)
    ctx = prepared_ctx(tmp_path, function="./lib/tools.py:add")
    assert run_node("PythonCodeNode", {"function": "./lib/tools.py:add", "a": 1, "b": 2}, ctx) == {
        "result": 3
    }


def test_function_from_a_module_next_to_the_workflow(tmp_path: Path) -> None:
    name = f"mod_{uuid.uuid4().hex[:8]}"
    write(tmp_path / f"{name}.py", MODULE)
    ctx = prepared_ctx(tmp_path, function=f"{name}:stats")
    assert run_node("PythonCodeNode", {"values": [1, 2, 3]}, ctx) == {
        "sum": 6,
        "n": 3,
        "result": {"sum": 6, "n": 3},
    }


def test_dotted_attribute_and_defaults(tmp_path: Path) -> None:
    write(tmp_path / "tools.py", MODULE)
    ctx = prepared_ctx(tmp_path, function="./tools.py:Tools.double")
    assert run_node("PythonCodeNode", {"x": 4}, ctx) == {"result": 8}
    ctx = prepared_ctx(tmp_path, function="./tools.py:add")
    assert run_node("PythonCodeNode", {"a": 1}, ctx) == {"result": 11}


def test_async_function(tmp_path: Path) -> None:
    write(tmp_path / "tools.py", MODULE)
    ctx = prepared_ctx(tmp_path, function="./tools.py:fetch")
    assert NODE_TYPE.is_async(ctx.prepared) is True
    assert run_node("PythonCodeNode", {"x": 5}, ctx) == {"got": 5, "result": {"got": 5}}


def test_inline_code_sees_inputs_and_sets_result(tmp_path: Path) -> None:
    code = "import math\nresult = {'root': math.sqrt(n), 'name': __name__}"
    ctx = prepared_ctx(tmp_path, code=code)
    assert NODE_TYPE.is_async(ctx.prepared) is False
    assert run_node("PythonCodeNode", {"code": code, "n": 16}, ctx) == {
        "root": 4.0,
        "name": "kailash_node_py",
        "result": {"root": 4.0, "name": "kailash_node_py"},
    }


def test_inline_code_without_result_gives_none(tmp_path: Path) -> None:
    ctx = prepared_ctx(tmp_path, code="x = 1")
    assert run_node("PythonCodeNode", {"code": "x = 1"}, ctx) == {"result": None}


def test_exceptions_propagate_to_the_engine(tmp_path: Path) -> None:
    ctx = prepared_ctx(tmp_path, code="raise KeyError('id')")
    with pytest.raises(KeyError):
        run_node("PythonCodeNode", {}, ctx)


@pytest.mark.parametrize(
    ("ref", "message"),
    [
        ("./missing.py:f", "cannot load './missing.py:f': file {tmp}/missing.py not found"),
        ("./tools.py:nothere", "'./tools.py:nothere': module './tools.py' has no attribute 'nothere'"),
        (
            "./tools.py:Tools.nothere",
            "'./tools.py:Tools.nothere': module './tools.py' has no attribute 'nothere'",
        ),
        ("./tools.py:VALUE", "'./tools.py:VALUE' is not callable"),
        (
            "./broken.py:f",
            "cannot import './broken.py' for './broken.py:f': ZeroDivisionError: division by zero",
        ),
        (
            "no_such_module_kx:f",
            "cannot import 'no_such_module_kx' for 'no_such_module_kx:f': "
            "ModuleNotFoundError: No module named 'no_such_module_kx'",
        ),
    ],
)
def test_functions_that_cannot_be_loaded(tmp_path: Path, ref: str, message: str) -> None:
    write(tmp_path / "tools.py", MODULE)
    write(tmp_path / "broken.py", "x = 1 / 0\n")
    with pytest.raises(UsageError) as info:
        resolve_function(ref, tmp_path)
    assert str(info.value) == message.format(tmp=tmp_path)
    assert info.value.exit_code == 2


def test_a_file_module_that_failed_can_be_fixed_and_loaded(tmp_path: Path) -> None:
    write(tmp_path / "late.py", "raise RuntimeError('not yet')\n")
    with pytest.raises(UsageError):
        resolve_function("./late.py:f", tmp_path)
    write(tmp_path / "late.py", "def f():\n    return 'ok'\n")
    assert resolve_function("./late.py:f", tmp_path)() == "ok"


def test_file_module_is_loaded_once(tmp_path: Path) -> None:
    write(tmp_path / "tools.py", MODULE)
    assert resolve_function("./tools.py:add", tmp_path) is resolve_function("./tools.py:add", tmp_path)


def test_as_outputs() -> None:
    assert as_outputs([1, 2]) == {"result": [1, 2]}
    assert as_outputs(None) == {"result": None}
    assert as_outputs({1: "a", "b": 2}) == {"1": "a", "b": 2, "result": {1: "a", "b": 2}}


def test_visible_outputs_show_result_only() -> None:
    assert NODE_TYPE.visible_outputs({"sum": 1, "result": {"sum": 1}}) == {"result": {"sum": 1}}
    assert NODE_TYPE.outputs({"code": "x"}) is None


def test_check_reports_inline_code_that_does_not_compile() -> None:
    assert NODE_TYPE.check(spec(code="result = (1,\n")) == [
        Finding(
            "KV210",
            "node 'py': inline code does not compile: '(' was never closed (code line 1)",
            ("config", "code"),
            "fix the Python syntax of the code block",
        )
    ]
    assert NODE_TYPE.check(spec(code="result = 1")) == []
    assert NODE_TYPE.check(spec(function="m:f")) == []


def test_prepare_returns_what_run_needs(tmp_path: Path) -> None:
    write(tmp_path / "tools.py", MODULE)
    prepared = NODE_TYPE.prepare(spec(function="./tools.py:add"), tmp_path)
    assert isinstance(prepared, Prepared)
    assert (prepared.function(1, 1), prepared.code, prepared.is_async) == (2, None, False)

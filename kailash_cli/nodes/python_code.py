"""PythonCodeNode: a Python function (``module:callable``, ``./file.py:callable``) or inline code."""

from __future__ import annotations

import importlib
import importlib.util
import inspect
import sys
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from types import CodeType
from typing import Any

from kailash_cli.errors import UsageError
from kailash_cli.model.storable import check_storable
from kailash_cli.model.workflow import NodeSpec
from kailash_cli.nodes.base import Finding, NodeContext, NodeType, Outputs

_RESERVED = ("function", "code")


@dataclass(frozen=True, slots=True)
class Prepared:
    """What ``prepare`` made: the function, or the compiled inline code.

    Pickled (for an executor in another process) as what it was made from: the function's
    reference and folder, or the code's source, and made again on the other side.
    """

    function: Callable[..., Any] | None
    code: CodeType | None
    is_async: bool
    source: tuple[str, str, str] = ("", "", "")  # ("function", ref, base dir) or ("code", text, name)

    def __reduce__(self) -> tuple[Any, ...]:
        return (_remake, self.source)


def _remake(kind: str, text: str, where: str) -> Prepared:
    if kind == "code":
        return Prepared(None, compile(text, where, "exec"), False, (kind, text, where))
    function = resolve_function(text, Path(where))
    return Prepared(function, None, inspect.iscoroutinefunction(function), (kind, text, where))


def split_ref(ref: str) -> tuple[str, str]:
    module, _, attr = ref.rpartition(":")
    return module, attr


_LOADING = threading.RLock()  # runs at once must not see a ./file.py module half executed


def _load_module(module: str, base_dir: Path) -> Any:
    if module.endswith(".py") or "/" in module or "\\" in module:
        path = (base_dir / module).resolve()
        if not path.is_file():
            raise UsageError(f"file {path} not found")
        name = f"kailash_user_{abs(hash(str(path)))}"
        with _LOADING:
            if name in sys.modules:
                return sys.modules[name]
            spec = importlib.util.spec_from_file_location(name, path)
            assert spec is not None and spec.loader is not None, path
            loaded = importlib.util.module_from_spec(spec)
            sys.modules[name] = loaded
            try:
                spec.loader.exec_module(loaded)
            except BaseException:
                del sys.modules[name]
                raise
            return loaded
    if str(base_dir) not in sys.path:
        sys.path.insert(0, str(base_dir))
    return importlib.import_module(module)


def resolve_function(ref: str, base_dir: Path) -> Callable[..., Any]:
    module, attr = split_ref(ref)
    try:
        target: Any = _load_module(module, base_dir)
    except UsageError as e:
        raise UsageError(f"cannot load '{ref}': {e}") from None
    except Exception as e:  # user code failing at import time: say which and why
        raise UsageError(f"cannot import '{module}' for '{ref}': {type(e).__name__}: {e}") from e
    for part in attr.split("."):
        if not hasattr(target, part):
            raise UsageError(f"'{ref}': module '{module}' has no attribute '{part}'")
        target = getattr(target, part)
    if not callable(target):
        raise UsageError(f"'{ref}' is not callable")
    return target  # type: ignore[no-any-return]


_NOT_MAPPINGS = frozenset({type(None), bool, int, float, str, list, tuple})  # exactly these types


def as_outputs(value: Any) -> Outputs:
    check_storable(value)  # fails the node, naming the bad value's path, before anything keeps it
    if value.__class__ not in _NOT_MAPPINGS and isinstance(value, Mapping):  # the ABC check is slow
        outputs = {str(k): v for k, v in value.items()}
        outputs["result"] = value
        return outputs
    return {"result": value}


class PythonCodeNode(NodeType):
    name = "PythonCodeNode"
    summary = "Call a Python function or run inline code; every other config key is an input."
    declared_outputs = ("result",)
    checks_params = False
    literal_params = ("code",)  # Python source: a "${" in it is Python's, not an expression
    example = """\
score:
  type: PythonCodeNode
  config:
    function: "app.scoring:score_customers"   # or ./scoring.py:score_customers
    threshold: 100                            # passed as threshold=100
inline:
  type: PythonCodeNode
  config:
    code: |
      result = {"total": sum(values)}
    values: [1, 2, 3]
"""

    def outputs(self, config: Mapping[str, Any]) -> tuple[str, ...] | None:
        return None

    def visible_outputs(self, outputs: Outputs) -> Outputs:
        return {"result": outputs["result"]}

    def check(self, spec: NodeSpec) -> list[Finding]:
        code = spec.config.get("code")
        if not isinstance(code, str):
            return []
        try:
            compile(code, f"<node {spec.id}>", "exec")
        except SyntaxError as e:
            return [
                Finding(
                    "KV210",
                    f"node '{spec.id}': inline code does not compile: {e.msg} (code line {e.lineno})",
                    ("config", "code"),
                    "fix the Python syntax of the code block",
                )
            ]
        return []

    def prepare(self, spec: NodeSpec, base_dir: Path) -> Prepared:
        if "code" in spec.config:
            return _remake("code", spec.config["code"], f"<node {spec.id}>")
        return _remake("function", spec.config["function"], str(base_dir))

    def prepare_key(self, spec: NodeSpec) -> Any:
        return None if "code" in spec.config else spec.config.get("function")

    def is_async(self, prepared: Prepared) -> bool:
        return prepared.is_async

    def run(self, params: dict[str, Any], ctx: NodeContext) -> Outputs:
        prepared: Prepared = ctx.prepared
        kwargs = {k: v for k, v in params.items() if k not in _RESERVED}
        if prepared.function is not None:
            return as_outputs(prepared.function(**kwargs))
        assert prepared.code is not None, "prepare() gives either a function or compiled code"
        namespace: dict[str, Any] = {"__name__": f"kailash_node_{ctx.node_id}", **kwargs}
        exec(prepared.code, namespace)  # noqa: S102 - inline code is the workflow author's program
        return as_outputs(namespace.get("result"))

    async def arun(self, params: dict[str, Any], ctx: NodeContext) -> Outputs:
        kwargs = {k: v for k, v in params.items() if k not in _RESERVED}
        return as_outputs(await ctx.prepared.function(**kwargs))


NODE_TYPE = PythonCodeNode()

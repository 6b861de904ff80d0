"""JSONReaderNode and JSONWriterNode: one JSON document, or JSON Lines (one value a line).

``format`` is ``json`` or ``jsonl``; when it is not given, a file name ending in
``.jsonl`` or ``.ndjson`` means ``jsonl``. A writer never writes a lossy form of its
data: dates and times become ISO 8601 text, ``Decimal`` its exact digits, ``UUID`` its
text; any other value JSON cannot hold fails the node naming its path (``data[3].when``)
and leaves the target file as it was. Readers and writers work line by line through
iterators (``iter_lines``, ``dump_lines``) so chunked streams can use them too.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import uuid
from collections.abc import Iterable, Iterator, Mapping
from decimal import Decimal
from typing import IO, Any

from kailash_cli.model.stream import Stream, chunked, decoded
from kailash_cli.nodes.base import NodeContext, NodeType, Outputs
from kailash_cli.schema.schemas import non_finite

_LINES_SUFFIXES = (".jsonl", ".ndjson")
_PLAIN = (str, int, float, bool, type(None))


def file_format(params: Mapping[str, Any]) -> str:
    given = params.get("format")
    if given:
        return str(given)
    return "jsonl" if str(params["file_path"]).lower().endswith(_LINES_SUFFIXES) else "json"


class JSONReaderNode(NodeType):
    name = "JSONReaderNode"
    summary = "Read a JSON file, or a JSON Lines file (format: jsonl) into a list of values."
    declared_outputs = ("data",)
    example = """\
load:
  type: JSONReaderNode
  config: {file_path: data/events.jsonl, format: jsonl}
"""

    def run(self, params: dict[str, Any], ctx: NodeContext) -> Outputs:
        path = params["file_path"]
        size = params.get("chunk_size")
        if size is not None:  # a stream (jsonl only: validation says so): opened now, read when consumed
            if file_format(params) != "jsonl":
                raise ValueError(
                    "chunk_size reads JSON Lines only: add format: jsonl (a JSON document is read whole)"
                )
            source = ctx.files.open_text(path)
            chunks = decoded(chunked(iter_lines(source, path), size), path, "utf-8")
            return {"data": Stream(chunks, f"{ctx.node_id}.data", source.close)}
        text = ctx.files.read_text(path)
        if file_format(params) == "jsonl":
            return {"data": list(iter_lines(text.splitlines(), path))}
        try:
            return {"data": strict_loads(text)}
        except json.JSONDecodeError as e:
            raise ValueError(f"{path}:{e.lineno}:{e.colno}: invalid JSON: {e.msg}") from None
        except NonFiniteError as e:
            raise ValueError(f"{path}: {e}") from None


class NonFiniteError(ValueError):
    """JSON text holds NaN, Infinity or a number too large for a float (``1e999``)."""


def _constant(name: str) -> float:
    raise NonFiniteError(f"{name} is not a JSON number; the data must hold finite numbers (or null)")


def _finite(text: str) -> float:
    number = float(text)
    if math.isinf(number):
        raise NonFiniteError(f"{text} is too large for a number; write it as text or scale it")
    return number


def strict_loads(text: str | bytes) -> Any:
    """``json.loads`` that refuses what Python's accepts but JSON has not (NaN, Infinity, and
    numbers that overflow to infinity): they would print as invalid JSON and be stored as
    such; a node producing them fails, as a ``PythonCodeNode`` returning NaN does."""
    return json.loads(text, parse_constant=_constant, parse_float=_finite)


def iter_lines(lines: Iterable[str], path: str, first: int = 1) -> Iterator[Any]:
    """The value of each non-blank line; a bad line fails naming ``path:line:column``."""
    for number, line in enumerate(lines, start=first):
        if not line.strip():
            continue
        try:
            yield strict_loads(line)
        except json.JSONDecodeError as e:
            raise ValueError(f"{path}:{number}:{e.colno}: invalid JSON Lines: {e.msg}") from None
        except NonFiniteError as e:
            raise ValueError(f"{path}:{number}: {e}") from None


class JSONWriterNode(NodeType):
    stream_params = ("data",)
    name = "JSONWriterNode"
    summary = "Write data to a JSON or JSON Lines file (atomically: temporary file, then rename)."
    declared_outputs = ("file_path",)
    example = """\
save:
  type: JSONWriterNode
  config: {file_path: out/report.json, indent: 2}
"""

    def run(self, params: dict[str, Any], ctx: NodeContext) -> Outputs:
        data = params["data"]
        if file_format(params) == "jsonl" and isinstance(data, Stream):
            written = ctx.files.write_atomic(params["file_path"], lambda f: _write_lines(f, data))
            return {"file_path": str(written)}
        if file_format(params) == "jsonl":
            if not isinstance(data, list | tuple):
                raise TypeError(
                    f"format jsonl writes a list, one value a line; data is {type(data).__name__}"
                )
            lines = [dumps(value, f"data[{i}]", None, compact=True) for i, value in enumerate(data)]

            def write(f: IO[str]) -> None:
                for line in lines:
                    f.write(line + "\n")

        elif isinstance(data, Stream):
            raise TypeError("a stream is written one value a line: add format: jsonl")
        else:
            text = dumps(data, "data", params.get("indent", 2))

            def write(f: IO[str]) -> None:
                f.write(text + "\n")

        written = ctx.files.write_atomic(params["file_path"], write)
        return {"file_path": str(written)}


def _write_lines(f: IO[str], stream: Stream) -> None:
    index = 0
    for chunk in stream:
        for value in chunk:
            f.write(dumps(value, f"data[{index}]", None, compact=True) + "\n")
            index += 1


def dumps(value: Any, where: str, indent: int | None, *, compact: bool = False) -> str:
    """``value`` as JSON text, or ValueError/TypeError naming the path of what JSON cannot hold."""
    separators = (",", ":") if compact else None
    try:
        return json.dumps(
            value,
            indent=indent,
            ensure_ascii=False,
            default=exact_text,
            allow_nan=False,
            separators=separators,
        )
    except ValueError:  # "Out of range float values are not JSON compliant"
        found = non_finite(value, where)
        if found is None:
            raise
        at, number = found
        shown = "NaN" if math.isnan(number) else ("-Infinity" if number < 0 else "Infinity")
        raise ValueError(
            f"{at} is {shown}: data contains NaN or Infinity, which JSON "
            "cannot represent; replace it (with null, say) before writing"
        ) from None
    except TypeError:
        bad = unserialisable(value, where)
        if bad is None:
            raise
        raise TypeError(
            f"{bad}: JSON cannot represent it and the writer does not write a lossy form; "
            "convert it (to text or a number) before writing"
        ) from None


def exact_text(value: Any) -> Any:
    """A date or time as ISO 8601, a finite ``Decimal`` or a ``UUID`` as its exact text (what
    the JSON and CSV writers write for them); TypeError for any other value."""
    if isinstance(value, dt.date | dt.time):  # datetime is a date
        return value.isoformat()
    if isinstance(value, Decimal) and value.is_finite():
        return str(value)
    if isinstance(value, uuid.UUID):
        return str(value)
    raise TypeError(type(value).__name__)


def unserialisable(value: Any, where: str) -> str | None:
    """``where`` of the first value JSON cannot hold, and what it is; None when there is none."""
    if isinstance(value, Mapping):
        for key, item in value.items():
            if not isinstance(key, _PLAIN):
                return f"{where} has a key of type {type(key).__name__}"
            found = unserialisable(item, f"{where}.{key}")
            if found:
                return found
        return None
    if isinstance(value, list | tuple):
        for i, item in enumerate(value):
            found = unserialisable(item, f"{where}[{i}]")
            if found:
                return found
        return None
    if isinstance(value, _PLAIN):
        return None
    try:
        exact_text(value)
    except TypeError:
        return f"{where} is {type(value).__name__}"
    return None


READER = JSONReaderNode()
WRITER = JSONWriterNode()

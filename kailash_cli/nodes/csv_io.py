"""CSVReaderNode and CSVWriterNode."""

from __future__ import annotations

import csv
import math
from collections.abc import Iterator, Mapping
from itertools import islice
from typing import Any

from kailash_cli.model.stream import Stream, decoded
from kailash_cli.nodes.base import NodeContext, NodeType, Outputs
from kailash_cli.nodes.json_io import exact_text


class CSVReaderNode(NodeType):
    name = "CSVReaderNode"
    summary = "Read a CSV file into a list of row mappings (lists when has_header is false)."
    declared_outputs = ("data",)
    example = """\
read:
  type: CSVReaderNode
  config: {file_path: data/customers.csv, delimiter: ",", has_header: true}
"""

    def run(self, params: dict[str, Any], ctx: NodeContext) -> Outputs:
        path, encoding = params["file_path"], params.get("encoding", "utf-8")
        codec = encoding  # a byte order mark (Excel's) is not part of the first column's name:
        if encoding.lower().replace("_", "-") in ("utf-8", "utf8"):
            codec = "utf-8-sig"
        delimiter = params.get("delimiter", ",")
        header = params.get("has_header", True)
        size = params.get("chunk_size")
        if size is not None:  # a stream: the file is opened (and checked) now, read as it is consumed
            source = ctx.files.open_text(path, codec, newline="")
            try:
                reader = (
                    _with_header(csv.DictReader(source, delimiter=delimiter), path)
                    if header
                    else csv.reader(source, delimiter=delimiter)
                )
            except BaseException as e:  # a bad header: the file is not left open
                source.close()
                if isinstance(e, UnicodeDecodeError):
                    ctx.files.read_text(path, encoding)  # raises the error that says where
                raise
            chunks = decoded(_chunks(reader, size, path if header else None), path, encoding)
            return {"data": Stream(chunks, f"{ctx.node_id}.data", source.close)}
        # read as it is parsed, like a plain csv script: no copy of the whole text (issue 15)
        with ctx.files.open_text(path, codec, newline="") as source:
            try:
                if header:
                    rows = list(_with_header(csv.DictReader(source, delimiter=delimiter), path))
                    _check_ragged(rows, 0, path)
                    return {"data": rows}
                return {"data": list(csv.reader(source, delimiter=delimiter))}
            except UnicodeDecodeError:
                ctx.files.read_text(path, encoding)  # raises the error that says where
                raise


def _with_header(reader: csv.DictReader[str], path: str) -> csv.DictReader[str]:
    """``reader``, its header checked: a name given twice would keep only its last column."""
    names = reader.fieldnames or []
    twice = sorted({name for name in names if names.count(name) > 1})
    if twice:
        raise ValueError(
            f"{path}: the header names {', '.join(map(repr, twice))} more than once; a row would "
            "keep only the last of those columns: give each column its own name"
        )
    return reader


def _chunks(reader: Iterator[Any], size: int, ragged_in: str | None = None) -> Iterator[list[Any]]:
    done = 0
    while chunk := list(islice(reader, size)):
        if ragged_in is not None:
            _check_ragged(chunk, done, ragged_in)
        done += len(chunk)
        yield chunk


def _check_ragged(rows: list[dict[Any, Any]], before: int, path: str) -> None:
    """A row with more fields than the header (DictReader keys the rest None) or fewer (its
    missing values None) fails the node, naming it: a value would otherwise land under no
    name, or a column would silently read as null."""
    for i, row in enumerate(rows):
        if None in row or None in row.values():
            extra = row.get(None) or []
            fields = len(row) - 1 + len(extra) if None in row else sum(v is not None for v in row.values())
            width = len(row) - (None in row)
            raise ValueError(
                f"{path}: data row {before + i + 1} has {fields} field{'' if fields == 1 else 's'}, "
                f"the header {width}; "
                "give every row the header's fields (or read it with has_header: false)"
            )


class CSVWriterNode(NodeType):
    stream_params = ("data",)
    name = "CSVWriterNode"
    summary = "Write rows (mappings or lists) to a CSV file (atomically: temporary file, then rename)."
    declared_outputs = ("file_path", "rows")
    example = """\
write:
  type: CSVWriterNode
  config: {file_path: out/customers.csv}
"""

    def run(self, params: dict[str, Any], ctx: NodeContext) -> Outputs:
        rows = params["data"]
        if isinstance(rows, Stream):
            return _write_stream(rows, params, ctx)
        if not isinstance(rows, list):
            raise TypeError(f"data must be a list of rows, got {type(rows).__name__}")
        delimiter = params.get("delimiter", ",")
        mappings = [isinstance(r, Mapping) for r in rows]
        if any(mappings) and not all(mappings):  # a header from the mappings fits no other row
            odd = mappings.index(not mappings[0])  # the first row unlike row 1
            raise TypeError(
                f"row {odd + 1} is {type(rows[odd]).__name__}; rows must be all mappings or all lists"
            )

        def write(stream: Any) -> None:
            if rows and all(mappings):
                header = dict.fromkeys(map(str, rows[0]))
                keys = rows[0].keys()
                texts = all(isinstance(k, str) for k in keys)
                for row in rows:
                    if row.keys() != keys:  # the usual case costs one comparison a row
                        header.update(dict.fromkeys(map(str, row)))
                        texts = texts and all(isinstance(k, str) for k in row)
                # text keys are all in the header: no row can hold an extra one to look for
                writer = csv.DictWriter(
                    stream,
                    fieldnames=list(header),
                    delimiter=delimiter,
                    extrasaction="ignore" if texts else "raise",
                )
                writer.writeheader()
                writer.writerows(written_row(row, i) for i, row in enumerate(rows))
            else:
                plain = csv.writer(stream, delimiter=delimiter)
                for i, row in enumerate(rows):
                    plain.writerow(written_row(row if isinstance(row, list | tuple) else [row], i))

        written = ctx.files.write_atomic(params["file_path"], write, newline="")
        return {"file_path": str(written), "rows": len(rows)}


def _write_stream(stream: Stream, params: dict[str, Any], ctx: NodeContext) -> Outputs:
    """Chunk by chunk into the temporary file, renamed at the end (a failure leaves the target
    as it was). The header comes from the first row's keys: a later row with another key
    fails, naming it (a header cannot change once written)."""
    delimiter = params.get("delimiter", ",")
    written = 0

    def write(out: Any) -> None:
        nonlocal written
        dict_writer: csv.DictWriter[str] | None = None
        keys: frozenset[Any] = frozenset()
        plain = csv.writer(out, delimiter=delimiter)
        for chunk in stream:
            for row in chunk:
                if written == 0 and isinstance(row, Mapping):
                    dict_writer = csv.DictWriter(out, fieldnames=list(map(str, row)), delimiter=delimiter)
                    dict_writer.writeheader()
                    keys = frozenset(row)
                if dict_writer is not None:
                    if not isinstance(row, Mapping):
                        raise TypeError(
                            f"row {written + 1} is {type(row).__name__}; rows must be all mappings"
                        )
                    if not keys.issuperset(row):
                        extra = next(k for k in row if k not in keys)
                        raise ValueError(
                            f"row {written + 1} has key {extra!r}, not in the header taken from row 1 "
                            f"({', '.join(map(str, dict_writer.fieldnames))}); give every row the same keys"
                        )
                    dict_writer.writerow(written_row(row, written))
                elif isinstance(row, Mapping):
                    raise TypeError(f"row {written + 1} is a mapping; rows must be all lists, as row 1 is")
                else:
                    plain.writerow(written_row(row if isinstance(row, list | tuple) else [row], written))
                written += 1

    path = ctx.files.write_atomic(params["file_path"], write, newline="")
    return {"file_path": str(path), "rows": written}


READER = CSVReaderNode()
WRITER = CSVWriterNode()


_TEXT_AS_IS = (str, int, bool, type(None))  # what the csv module writes without losing anything


def written_row(row: Any, index: int) -> Any:
    """``row`` as it can be written: itself when every value is text, a number or null (the
    common case, checked cheaply); dates, times, ``Decimal`` and ``UUID`` as their exact text;
    any other value (a mapping, a list, a set, an object, NaN) fails naming ``data[i].key``:
    the writer never writes a lossy form of its data."""
    values = row.values() if isinstance(row, Mapping) else row
    for value in values:
        kind = type(value)
        if kind in _TEXT_AS_IS or (kind is float and math.isfinite(value)):
            continue
        if isinstance(row, Mapping):
            return {k: _cell(v, f"data[{index}].{k}") for k, v in row.items()}
        return [_cell(v, f"data[{index}][{i}]") for i, v in enumerate(row)]
    return row


def _cell(value: Any, where: str) -> Any:
    if isinstance(value, str | int | type(None)):  # bool is an int
        return value
    if isinstance(value, float):
        if math.isfinite(value):
            return value
        raise ValueError(
            f"{where} is {value}: a CSV cell cannot hold NaN or Infinity; replace it (with null, say)"
        )
    try:
        return exact_text(value)  # dates, decimals, UUIDs: as the JSON writer writes them
    except TypeError:
        raise TypeError(
            f"{where} is {type(value).__name__}: a CSV cell holds text, a number or null, and the "
            "writer does not write a lossy form; convert it (to text, or write JSON with JSONWriterNode)"
        ) from None

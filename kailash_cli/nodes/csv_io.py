"""CSVReaderNode and CSVWriterNode."""

from __future__ import annotations

import csv
from collections.abc import Iterator, Mapping
from itertools import islice
from typing import Any

from kailash_cli.model.stream import Stream, decoded
from kailash_cli.nodes.base import NodeContext, NodeType, Outputs


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
        delimiter = params.get("delimiter", ",")
        header = params.get("has_header", True)
        size = params.get("chunk_size")
        if size is not None:  # a stream: the file is opened (and checked) now, read as it is consumed
            source = ctx.files.open_text(path, encoding, newline="")
            reader = (
                csv.DictReader(source, delimiter=delimiter)
                if header
                else csv.reader(source, delimiter=delimiter)
            )
            chunks = decoded(_chunks(reader, size), path, encoding)
            return {"data": Stream(chunks, f"{ctx.node_id}.data", source.close)}
        # read as it is parsed, like a plain csv script: no copy of the whole text (issue 15)
        with ctx.files.open_text(path, encoding, newline="") as source:
            try:
                if header:
                    return {"data": list(csv.DictReader(source, delimiter=delimiter))}
                return {"data": list(csv.reader(source, delimiter=delimiter))}
            except UnicodeDecodeError:
                ctx.files.read_text(path, encoding)  # raises the error that says where
                raise


def _chunks(reader: Iterator[Any], size: int) -> Iterator[list[Any]]:
    while chunk := list(islice(reader, size)):
        yield chunk


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
                writer.writerows(rows)
            else:
                plain = csv.writer(stream, delimiter=delimiter)
                for row in rows:
                    plain.writerow(row if isinstance(row, list | tuple) else [row])

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
        plain = csv.writer(out, delimiter=delimiter)
        for chunk in stream:
            for row in chunk:
                if written == 0 and isinstance(row, Mapping):
                    dict_writer = csv.DictWriter(out, fieldnames=list(map(str, row)), delimiter=delimiter)
                    dict_writer.writeheader()
                if dict_writer is not None:
                    if not isinstance(row, Mapping):
                        raise TypeError(
                            f"row {written + 1} is {type(row).__name__}; rows must be all mappings"
                        )
                    extra = [k for k in row if k not in dict_writer.fieldnames]
                    if extra:
                        raise ValueError(
                            f"row {written + 1} has key {extra[0]!r}, not in the header taken from row 1 "
                            f"({', '.join(map(str, dict_writer.fieldnames))}); give every row the same keys"
                        )
                    dict_writer.writerow(row)
                elif isinstance(row, Mapping):
                    raise TypeError(f"row {written + 1} is a mapping; rows must be all lists, as row 1 is")
                else:
                    plain.writerow(row if isinstance(row, list | tuple) else [row])
                written += 1

    path = ctx.files.write_atomic(params["file_path"], write, newline="")
    return {"file_path": str(path), "rows": written}


READER = CSVReaderNode()
WRITER = CSVWriterNode()

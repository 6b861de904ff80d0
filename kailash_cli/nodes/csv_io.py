"""CSVReaderNode and CSVWriterNode."""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping
from typing import Any

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
        text = ctx.files.read_text(params["file_path"], params.get("encoding", "utf-8"))
        delimiter = params.get("delimiter", ",")
        stream = io.StringIO(text, newline="")
        if params.get("has_header", True):
            return {"data": [dict(row) for row in csv.DictReader(stream, delimiter=delimiter)]}
        return {"data": [row for row in csv.reader(stream, delimiter=delimiter)]}


class CSVWriterNode(NodeType):
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
                header: dict[str, None] = {}
                for row in rows:
                    header.update(dict.fromkeys(map(str, row)))
                writer = csv.DictWriter(stream, fieldnames=list(header), delimiter=delimiter)
                writer.writeheader()
                writer.writerows(rows)
            else:
                plain = csv.writer(stream, delimiter=delimiter)
                for row in rows:
                    plain.writerow(row if isinstance(row, list | tuple) else [row])

        written = ctx.files.write_atomic(params["file_path"], write, newline="")
        return {"file_path": str(written), "rows": len(rows)}


READER = CSVReaderNode()
WRITER = CSVWriterNode()

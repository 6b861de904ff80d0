"""JSONReaderNode and JSONWriterNode."""

from __future__ import annotations

import json
import math
from typing import IO, Any

from kailash_cli.nodes.base import NodeContext, NodeType, Outputs
from kailash_cli.schema.schemas import non_finite


class JSONReaderNode(NodeType):
    name = "JSONReaderNode"
    summary = "Read a JSON file."
    declared_outputs = ("data",)
    example = """\
load:
  type: JSONReaderNode
  config: {file_path: data/settings.json}
"""

    def run(self, params: dict[str, Any], ctx: NodeContext) -> Outputs:
        path = params["file_path"]
        text = ctx.files.read_text(path)
        try:
            return {"data": json.loads(text)}
        except json.JSONDecodeError as e:
            raise ValueError(f"{path}:{e.lineno}:{e.colno}: invalid JSON: {e.msg}") from None


class JSONWriterNode(NodeType):
    name = "JSONWriterNode"
    summary = "Write data to a JSON file (atomically: temporary file, then rename)."
    declared_outputs = ("file_path",)
    example = """\
save:
  type: JSONWriterNode
  config: {file_path: out/report.json, indent: 2}
"""

    def run(self, params: dict[str, Any], ctx: NodeContext) -> Outputs:
        data = params["data"]
        try:
            text = json.dumps(
                data, indent=params.get("indent", 2), ensure_ascii=False, default=str, allow_nan=False
            )
        except ValueError:  # "Out of range float values are not JSON compliant"
            found = non_finite(data, "data")
            if found is None:
                raise
            where, number = found
            shown = "NaN" if math.isnan(number) else ("-Infinity" if number < 0 else "Infinity")
            raise ValueError(
                f"{where} is {shown}: data contains NaN or Infinity, which JSON "
                "cannot represent; replace it (with null, say) before writing"
            ) from None

        def write(f: IO[str]) -> None:
            f.write(text + "\n")

        written = ctx.files.write_atomic(params["file_path"], write)
        return {"file_path": str(written)}


READER = JSONReaderNode()
WRITER = JSONWriterNode()

"""JSONReaderNode and JSONWriterNode."""

from __future__ import annotations

import json
from typing import IO, Any

from kailash_cli.nodes.base import NodeContext, NodeType, Outputs


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
        text = json.dumps(params["data"], indent=params.get("indent", 2), ensure_ascii=False,
                          default=str)

        def write(f: IO[str]) -> None:
            f.write(text + "\n")

        written = ctx.files.write_atomic(params["file_path"], write)
        return {"file_path": str(written)}


READER = JSONReaderNode()
WRITER = JSONWriterNode()

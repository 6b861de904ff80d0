"""What a trivial `kailash run` loads (issue 15, item 1): nothing it does not use."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

HEAVY = ("networkx", "httpx", "jsonschema", "pydantic", "asyncio", "ssl", "http.client")
PYTHON_NODE = "calc: {type: PythonCodeNode, config: {code: 'result = 1'}}"


def _loaded_after_run(tmp_path: Path, node: str) -> str:
    path = tmp_path / "wf.yaml"
    path.write_text(f"name: wf\nnodes:\n  {node}\n", encoding="utf-8")
    code = (
        "import sys; from kailash_cli.entry import main; sys.argv = ['kailash', 'run', 'wf.yaml', '-q']\n"
        f"heavy = {HEAVY!r}\n"
        "try:\n    main()\n"
        "finally:\n"
        "    print('loaded', sorted(m for m in heavy if m in sys.modules), file=sys.stderr, flush=True)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=tmp_path)
    return [line for line in done.stderr.splitlines() if line.startswith("loaded")][-1]


def test_a_run_without_http_nodes_imports_no_heavy_module(tmp_path: Path) -> None:
    assert _loaded_after_run(tmp_path, PYTHON_NODE) == "loaded []"


@pytest.mark.parametrize("url", ["http://127.0.0.1:9/"])
def test_an_http_node_brings_its_client(tmp_path: Path, url: str) -> None:
    node = f'get: {{type: HTTPRequestNode, config: {{url: "{url}", timeout: 2}}}}'
    loaded = _loaded_after_run(tmp_path, node)
    assert "'httpx'" in loaded and "'asyncio'" in loaded and "'networkx'" not in loaded

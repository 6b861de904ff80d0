"""What a trivial `kailash run` loads (issue 15, item 1): nothing it does not use."""

from __future__ import annotations

import gc
import subprocess
import sys
from pathlib import Path

import pytest

HEAVY = ("networkx", "httpx", "jsonschema", "pydantic", "asyncio", "ssl", "http.client")
#: kept off a run that does not use them: other commands' parsers, node types, the SQL layer,
#: the full expression evaluator, pattern matching, metrics, the audit log, the dry-run planner
#: (standard modules such as random or decimal are not listed: coverage loads them in `make test`)
UNUSED = (
    "simpleeval",
    "regex",
    "kailash_cli.cli_check",
    "kailash_cli.cli_project",
    "kailash_cli.cli_store",
    "kailash_cli.report.findings",
    "kailash_cli.nodes.csv_io",
    "kailash_cli.nodes.json_io",
    "kailash_cli.nodes.http",
    "kailash_cli.nodes.sql",
    "kailash_cli.db",
    "kailash_cli.db.settings",
    "kailash_cli.db.pools",
    "kailash_cli.model.evaluator",
    "kailash_cli.report.metrics",
    "kailash_cli.pipeline.audit",
    "kailash_cli.compile.plan",
)
PYTHON_NODE = "calc: {type: PythonCodeNode, config: {code: 'result = 1'}}"


def _loaded_after_run(tmp_path: Path, node: str, watched: tuple[str, ...] = HEAVY, head: str = "") -> str:
    path = tmp_path / "wf.yaml"
    path.write_text(f"name: wf\n{head}nodes:\n  {node}\n", encoding="utf-8")
    code = (
        "import sys; from kailash_cli.entry import main; sys.argv = ['kailash', 'run', 'wf.yaml', '-q']\n"
        f"heavy = {watched!r}\n"
        "try:\n    main()\n"
        "finally:\n"
        "    print('loaded', sorted(m for m in heavy if m in sys.modules), file=sys.stderr, flush=True)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=tmp_path)
    return [line for line in done.stderr.splitlines() if line.startswith("loaded")][-1]


def test_a_run_without_http_nodes_imports_no_heavy_module(tmp_path: Path) -> None:
    assert _loaded_after_run(tmp_path, PYTHON_NODE) == "loaded []"


def test_a_trivial_run_imports_nothing_it_does_not_use(tmp_path: Path) -> None:
    assert _loaded_after_run(tmp_path, PYTHON_NODE, UNUSED) == "loaded []"


def test_what_a_workflow_uses_is_imported_when_it_is_used(tmp_path: Path) -> None:
    node = "calc: {type: PythonCodeNode, when: '${params.n > 1}', config: {code: 'result = 1'}}"
    head = (
        "params:\n  n: {type: integer, default: 2}\n"
        "  who: {type: string, default: ada, pattern: '^[a-z]+$'}\n"
    )
    loaded = _loaded_after_run(tmp_path, node, ("simpleeval", "regex", "kailash_cli.nodes.sql"), head)
    assert loaded == "loaded ['regex', 'simpleeval']"


@pytest.mark.parametrize("url", ["http://127.0.0.1:9/"])
def test_an_http_node_brings_its_client(tmp_path: Path, url: str) -> None:
    node = f'get: {{type: HTTPRequestNode, config: {{url: "{url}", timeout: 2}}}}'
    loaded = _loaded_after_run(tmp_path, node)
    assert "'httpx'" in loaded and "'asyncio'" in loaded and "'networkx'" not in loaded


def test_node_code_runs_with_the_garbage_collector_on(tmp_path: Path) -> None:
    """The start pauses the collector while modules load; a command's work has it back."""
    (tmp_path / "wf.yaml").write_text(
        "name: wf\nnodes:\n"
        "  gc: {type: PythonCodeNode, config: {code: 'import gc; result = gc.isenabled()'}}\n",
        encoding="utf-8",
    )
    done = subprocess.run(
        [str(Path(sys.executable).with_name("kailash")), "run", "wf.yaml", "-q", "-o", "json"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
    )
    assert (done.returncode, '"result": true' in done.stdout) == (0, True), done.stderr


def test_the_start_restores_the_collector_as_it_was() -> None:
    from kailash_cli.load.gcpause import start_up_done, start_up_paused

    assert gc.isenabled()
    with start_up_paused():
        assert not gc.isenabled()
        with start_up_paused():  # a start within a start: the outer one decides
            pass
        assert not gc.isenabled()
        start_up_done()
        assert gc.isenabled()
        start_up_done()  # once only
    assert gc.isenabled()
    gc.disable()
    try:
        with start_up_paused():
            pass
        assert not gc.isenabled()  # it was off before: it stays off
    finally:
        gc.enable()

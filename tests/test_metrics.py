from __future__ import annotations

from pathlib import Path

import pytest
from helpers import kailash

from kailash_cli.errors import UsageError
from kailash_cli.model.result import NodeResult, RunResult
from kailash_cli.nodes.files import FileAccessError
from kailash_cli.report.metrics import check_target, render, write


def result() -> RunResult:
    nodes = {
        "a": NodeResult("succeeded", 1, 20.0),
        "b": NodeResult("failed", 3, 1500.0, "E: x"),
        "c": NodeResult("skipped", error="input did not arrive"),
    }
    return RunResult("r1", 'we"ird', "failed", "2026-01-01T00:00:00+00:00", 2000.0, nodes, {})


def test_render_counts_runs_and_nodes_with_escaped_labels() -> None:
    text = render(result())

    assert 'kailash_runs_total{workflow="we\\"ird",status="failed"} 1\n' in text
    assert 'kailash_run_duration_seconds{workflow="we\\"ird"} 2\n' in text
    assert 'kailash_node_executions_total{workflow="we\\"ird",node="c",status="skipped"} 1\n' in text
    assert "# TYPE kailash_node_duration_seconds histogram\n" in text


def test_histogram_buckets_are_cumulative_and_skipped_nodes_have_none() -> None:
    lines = render(result()).splitlines()
    prefix = 'kailash_node_duration_seconds_bucket{workflow="we\\"ird",node="b"'
    b = [line for line in lines if line.startswith(prefix)]

    assert b[0].endswith('le="0.005"} 0')
    assert 'le="1"} 0' in b[7] and 'le="2.5"} 1' in b[8]
    assert b[-1] == prefix + ',status="failed",le="+Inf"} 1'
    assert 'kailash_node_duration_seconds_sum{workflow="we\\"ird",node="b",status="failed"} 1.5' in lines
    assert not [line for line in lines if 'node="c"' in line and "duration" in line]


def test_run_writes_the_metrics_file(tmp_path: Path) -> None:
    (tmp_path / "wf.yaml").write_text(
        "name: m\nnodes:\n  a: {type: PythonCodeNode, config: {code: 'result = 1'}}\n"
    )
    (tmp_path / "metrics").mkdir()  # the folder must exist: it is not created

    proc = kailash("run", "wf.yaml", "--metrics-file", "metrics/run.prom", cwd=tmp_path)

    assert proc.returncode == 0, proc.stderr
    text = (tmp_path / "metrics" / "run.prom").read_text()
    assert 'kailash_runs_total{workflow="m",status="succeeded"} 1' in text
    assert 'kailash_node_executions_total{workflow="m",node="a",status="succeeded"} 1' in text
    assert [p.name for p in (tmp_path / "metrics").iterdir()] == ["run.prom"]  # no temp file left


def test_check_target_accepts_a_file_in_an_existing_folder(tmp_path: Path) -> None:
    check_target(tmp_path / "m.prom")
    (tmp_path / "m.prom").write_text("old")
    check_target(tmp_path / "m.prom")  # replaced at the end of the run


def test_check_target_refuses_a_missing_folder(tmp_path: Path) -> None:
    path = tmp_path / "nonexistent" / "dir" / "m.prom"
    with pytest.raises(UsageError) as info:
        check_target(path)
    assert str(info.value) == (
        f"--metrics-file {path}: folder {path.parent} does not exist; "
        "create it first (the metrics file's folder is not created)"
    )
    assert info.value.exit_code == 2
    assert not (tmp_path / "nonexistent").exists()


def test_check_target_refuses_a_directory(tmp_path: Path) -> None:
    with pytest.raises(UsageError) as info:
        check_target(tmp_path)
    assert str(info.value) == (
        f"--metrics-file {tmp_path}: is a directory; give a file path, "
        f"e.g. --metrics-file {tmp_path / 'kailash.prom'}"
    )


def test_check_target_refuses_a_folder_that_is_a_file(tmp_path: Path) -> None:
    (tmp_path / "f").write_text("")
    with pytest.raises(UsageError) as info:
        check_target(tmp_path / "f" / "m.prom")
    assert "is not a folder" in str(info.value) and len(str(info.value).splitlines()) == 1


def test_write_does_not_create_folders(tmp_path: Path) -> None:
    path = tmp_path / "missing" / "m.prom"
    with pytest.raises(FileAccessError):
        write(result(), path)
    assert not (tmp_path / "missing").exists()
    write(result(), tmp_path / "m.prom")
    assert (tmp_path / "m.prom").read_text() == render(result())

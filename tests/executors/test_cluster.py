"""A real Dask cluster: a ``dask scheduler`` and two ``dask worker`` processes on 127.0.0.1,
started once for the module, and the installed ``kailash`` run against it as users do."""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from helpers import REPO, kailash_e2e, popen_e2e, write

from executors.compare import comparable

pytestmark = pytest.mark.e2e

DASK = str(Path(sys.executable).parent / "dask")
START_TIMEOUT = 90.0  # seconds for the cluster to come up on a loaded machine


def _wait_for(condition: object, what: str, timeout: float = START_TIMEOUT) -> None:
    deadline = time.monotonic() + timeout
    while not condition():  # type: ignore[operator]
        if time.monotonic() > deadline:
            raise AssertionError(f"gave up waiting for {what}")
        time.sleep(0.1)


@pytest.fixture(scope="module")
def scheduler(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The scheduler's address; Dask's own retry of a lost worker's task is off, as the
    README says to set it, so kailash's retry policy decides."""
    folder = tmp_path_factory.mktemp("cluster")
    file = folder / "scheduler.json"
    env = {**os.environ, "DASK_DISTRIBUTED__SCHEDULER__ALLOWED_FAILURES": "0"}
    common = ["--no-dashboard"]
    log = (folder / "cluster.log").open("w")
    processes = [
        subprocess.Popen(
            [DASK, "scheduler", "--host", "127.0.0.1", "--port", "0", "--scheduler-file", str(file), *common],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    ]
    try:
        _wait_for(file.exists, "the scheduler file")
        for name in ("w1", "w2"):
            processes.append(
                subprocess.Popen(
                    [
                        DASK,
                        "worker",
                        "--scheduler-file",
                        str(file),
                        "--nthreads",
                        "1",
                        "--name",
                        name,
                        *common,
                    ],
                    env=env,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                    cwd=folder,
                    start_new_session=True,  # the nanny and its worker: one group, ended at once
                )
            )
        address = json.loads(file.read_text())["address"]
        _wait_for(lambda: _workers(address) == 2, "two workers")
        yield address
    finally:  # nothing to keep: each process group is ended at once (a graceful close takes seconds)
        for process in reversed(processes):
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            process.wait()
        log.close()


def _workers(address: str) -> int:
    from distributed import Client

    with Client(address, timeout=10, set_as_default=False) as client:
        return len(client.scheduler_info(n_workers=-1)["workers"])


def test_an_example_runs_on_the_cluster_with_the_run_document_of_a_local_run(
    tmp_path: Path, scheduler: str
) -> None:
    project = tmp_path / "workflows"
    shutil.copytree(REPO / "workflows", project, ignore=shutil.ignore_patterns("out", ".kailash"))
    args = ("run", "customer-etl.yaml", "-p", "min_total=100", "--output", "json")
    local = kailash_e2e(*args, cwd=project)
    remote = kailash_e2e(
        *args, "--executor", "dask", cwd=project, extra_env={"DASK_SCHEDULER_ADDRESS": scheduler}
    )
    assert (local.returncode, remote.returncode) == (0, 0), remote.stderr
    document = json.loads(remote.stdout)
    assert comparable(document) == comparable(json.loads(local.stdout))
    assert document["executor"] == {"type": "dask", "address": scheduler, "cluster": "cluster", "workers": 2}
    shown = kailash_e2e("runs", "show", document["run_id"], "--output", "json", cwd=project)
    stored = json.loads(shown.stdout)
    assert stored["executor"] == document["executor"]
    assert {n: node["workers"] for n, node in stored["nodes"].items()} == {
        n: node["workers"] for n, node in document["nodes"].items()
    }


def test_a_worker_killed_mid_call_is_a_failed_attempt_that_the_retry_policy_repeats(
    tmp_path: Path, scheduler: str
) -> None:
    marker = tmp_path / "worker.pid"
    path = write(
        tmp_path / "wf.yaml",
        f"""\
        name: survivor
        nodes:
          work:
            type: PythonCodeNode
            retry: {{max_attempts: 2, base_delay: 0.01, retry_on: [ConnectionError]}}
            config:
              code: |
                import os, time
                from pathlib import Path
                marker = Path({str(marker)!r})
                if not marker.exists():
                    marker.write_text(str(os.getpid()))
                    time.sleep(120)
                result = "done on the second attempt"
        """,
    )
    run = popen_e2e("run", path, "--dask-address", scheduler, "--output", "json", cwd=tmp_path)
    try:
        _wait_for(lambda: marker.exists() and marker.read_text(), "the first attempt to start")
        os.kill(int(marker.read_text()), signal.SIGKILL)
        stdout, stderr = run.communicate(timeout=60)
    finally:
        if run.poll() is None:
            run.kill()
            run.communicate()
    assert run.returncode == 0, stderr
    node = json.loads(stdout)["nodes"]["work"]
    assert (node["status"], node["attempts"], node["error"]) == ("succeeded", 2, None)
    assert "WorkerLostError: the Dask worker running the call was lost" in stderr

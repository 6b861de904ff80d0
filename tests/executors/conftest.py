"""Fixtures of the Dask executor tests: one LocalCluster per module that asks for it."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from kailash_cli.engine.dask_executor import DaskExecutor


@pytest.fixture(scope="module")
def dask_executor() -> Iterator[DaskExecutor]:
    """A LocalCluster of two worker processes, shared by the module's runs (the caller's
    executor: ``run_workflow`` does not shut it down)."""
    with DaskExecutor(workers=2) as executor:
        yield executor

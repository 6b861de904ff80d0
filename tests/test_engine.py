"""The engine through real workflows: load, validate, compile, prepare, run (no subprocess)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from helpers import run_workflow, statuses, write

from kailash_cli.engine.observer import RunObserver
from kailash_cli.model.result import FAILED, SKIPPED, SUCCEEDED, NodeResult

FUNCTIONS = '''
import asyncio, threading, time
from pathlib import Path

STOP = Path(__file__).with_name("stop")
_lock = threading.Lock()
_started = set()


def _wait_for(names, limit=10.0):
    end = time.monotonic() + limit
    while time.monotonic() < end:
        with _lock:
            if set(names) <= _started:
                return
        time.sleep(0.005)


def meet(name, others):
    """Record when it starts, wait until every node in ``others`` has started, record the end."""
    start = time.monotonic()
    with _lock:
        _started.add(name)
    _wait_for(others)
    return {"name": name, "start": start, "end": time.monotonic()}


def stamp(name, pause=0.05, after=None):
    start = time.monotonic()
    time.sleep(pause)
    return {"name": name, "start": start, "end": time.monotonic()}


async def ameet(name, others):
    start = time.monotonic()
    _started.add(name)
    for _ in range(2000):
        if set(others) <= _started:
            break
        await asyncio.sleep(0.005)
    return {"name": name, "start": start, "end": time.monotonic(), "thread": threading.current_thread().name}


async def afail():
    await asyncio.sleep(0)
    raise ConnectionError("service down")


def hang():
    while not STOP.exists():
        time.sleep(0.02)
    return "released"


def fail(**inputs):
    raise ValueError("bad row 7")


def total(rows):
    return {"sum": sum(rows), "count": len(rows), "nested": {"deep": [10, 20]}}


def echo(**inputs):
    return inputs
'''


@pytest.fixture
def fns(tmp_path: Path) -> Iterator[Path]:
    path = write(tmp_path / "fns.py", FUNCTIONS)
    yield path
    (tmp_path / "stop").touch()  # releases any hang() still waiting on a worker thread


def spans(result: Any, *names: str) -> list[tuple[float, float]]:
    return [(result.outputs[n]["result"]["start"], result.outputs[n]["result"]["end"]) for n in names]


def test_independent_blocking_nodes_run_concurrently(tmp_path: Path, fns: Path) -> None:
    result = run_workflow(
        tmp_path,
        """
        name: par
        nodes:
          a: {type: PythonCodeNode, config: {function: "./fns.py:meet", name: a, others: [a, b, c]}}
          b: {type: PythonCodeNode, config: {function: "./fns.py:meet", name: b, others: [a, b, c]}}
          c: {type: PythonCodeNode, config: {function: "./fns.py:meet", name: c, others: [a, b, c]}}
        """,
    )
    assert statuses(result) == {"a": SUCCEEDED, "b": SUCCEEDED, "c": SUCCEEDED}
    times = spans(result, "a", "b", "c")
    # each one started before any of them ended: they overlapped
    assert max(start for start, _ in times) < min(end for _, end in times)


def test_async_functions_run_concurrently_on_one_event_loop(tmp_path: Path, fns: Path) -> None:
    result = run_workflow(
        tmp_path,
        """
        name: apar
        nodes:
          a: {type: PythonCodeNode, config: {function: "./fns.py:ameet", name: a, others: [a, b]}}
          b: {type: PythonCodeNode, config: {function: "./fns.py:ameet", name: b, others: [a, b]}}
        """,
    )
    assert statuses(result) == {"a": SUCCEEDED, "b": SUCCEEDED}
    times = spans(result, "a", "b")
    assert max(start for start, _ in times) < min(end for _, end in times)
    assert {result.outputs[n]["result"]["thread"] for n in "ab"} == {"kailash-loop"}


def test_async_function_failure_is_recorded(tmp_path: Path, fns: Path) -> None:
    result = run_workflow(
        tmp_path,
        """
        name: afail
        nodes:
          a: {type: PythonCodeNode, config: {function: "./fns.py:afail"}}
        """,
    )
    assert result.status == FAILED
    assert result.nodes["a"].status == FAILED
    assert result.nodes["a"].error == "ConnectionError: service down"


def test_max_concurrency_one_runs_one_node_at_a_time(tmp_path: Path, fns: Path) -> None:
    result = run_workflow(
        tmp_path,
        """
        name: serial
        runtime: {max_concurrency: 1, timeout: 60}
        nodes:
          a: {type: PythonCodeNode, config: {function: "./fns.py:stamp", name: a}}
          b: {type: PythonCodeNode, config: {function: "./fns.py:stamp", name: b}}
          c: {type: PythonCodeNode, config: {function: "./fns.py:stamp", name: c}}
        """,
    )
    times = sorted(spans(result, "a", "b", "c"))
    assert all(end <= next_start for (_, end), (next_start, _) in zip(times, times[1:], strict=False))


def test_depends_on_orders_nodes_without_data(tmp_path: Path, fns: Path) -> None:
    result = run_workflow(
        tmp_path,
        """
        name: order
        nodes:
          first: {type: PythonCodeNode, config: {function: "./fns.py:stamp", name: first, pause: 0.1}}
          second: {type: PythonCodeNode, config: {function: "./fns.py:stamp", name: second},
                   depends_on: [first]}
          other: {type: PythonCodeNode, config: {function: "./fns.py:stamp", name: other}}
        """,
    )
    (_, first_end), (second_start, _) = spans(result, "first", "second")
    assert first_end <= second_start


def test_when_false_skips_the_node_and_what_needs_it(tmp_path: Path) -> None:
    result = run_workflow(
        tmp_path,
        """
        name: when
        params: {go: {type: boolean, default: false}}
        nodes:
          gated: {type: PythonCodeNode, config: {code: "result = 1"}, when: "${params.go}"}
          literal: {type: PythonCodeNode, config: {code: "result = 1"}, when: false}
          needs: {type: PythonCodeNode, config: {code: "result = x"}}
          chained: {type: PythonCodeNode, config: {code: "result = x"}}
          free: {type: PythonCodeNode, config: {code: "result = 2"}}
        connections: [gated.result -> needs.x, needs.result -> chained.x]
        """,
    )
    assert result.status == SUCCEEDED
    assert {n: (r.status, r.error) for n, r in result.nodes.items()} == {
        "gated": (SKIPPED, "when is false"),
        "literal": (SKIPPED, "when is false"),
        "needs": (SKIPPED, "input from 'gated' did not arrive (skipped)"),
        "chained": (SKIPPED, "input from 'needs' did not arrive (skipped)"),
        "free": (SUCCEEDED, None),
    }
    assert result.outputs == {"free": {"result": 2}}


def test_when_true_runs_and_when_can_read_node_outputs(tmp_path: Path) -> None:
    result = run_workflow(
        tmp_path,
        """
        name: when2
        nodes:
          count: {type: PythonCodeNode, config: {code: "result = 3"}}
          big: {type: PythonCodeNode, config: {code: "result = 'big'"}, when: "${nodes.count.result > 2}"}
          small: {type: PythonCodeNode, config: {code: "result = 'small'"},
                  when: "${nodes.count.result <= 2}"}
        """,
        params=[],
    )
    assert statuses(result) == {"count": SUCCEEDED, "big": SUCCEEDED, "small": SKIPPED}


def test_when_that_fails_to_evaluate_fails_the_node(tmp_path: Path) -> None:
    result = run_workflow(
        tmp_path,
        """
        name: when3
        nodes:
          a: {type: PythonCodeNode, config: {code: "result = {'x': 1}"}}
          b: {type: PythonCodeNode, config: {code: "result = 1"}, when: "${nodes.a.result.y > 1}"}
        """,
    )
    assert result.nodes["b"].status == FAILED
    assert result.nodes["b"].error == "${nodes.a.result.y > 1}: 'nodes.a.result' has no key 'y' (keys: x)"


SWITCH = """
    name: route
    params: {total: {type: number, default: 50}}
    nodes:
      route:
        type: SwitchNode
        config:
          input_data: {order: {total: "${params.total}"}}
          condition_field: order.total
          operator: ">="
          value: 100
      priority: {type: PythonCodeNode, config: {code: "result = 'priority'"}}
      standard: {type: PythonCodeNode, config: {code: "result = 'standard'"}}
      after_priority: {type: PythonCodeNode, config: {code: "result = x"}}
      join: {type: MergeNode, config: {strategy: list}}
    connections:
      - route.true_output -> priority.order
      - route.false_output -> standard.order
      - priority.result -> after_priority.x
      - priority.result -> join.data1
      - standard.result -> join.data2
    """


def test_switch_inactive_branch_is_skipped_and_merge_runs_with_what_arrived(tmp_path: Path) -> None:
    result = run_workflow(tmp_path, SWITCH)
    assert result.status == SUCCEEDED
    assert {n: (r.status, r.error) for n, r in result.nodes.items()} == {
        "route": (SUCCEEDED, None),
        "priority": (SKIPPED, "'route.true_output' was not produced"),
        "standard": (SUCCEEDED, None),
        "after_priority": (SKIPPED, "input from 'priority' did not arrive (skipped)"),
        "join": (SUCCEEDED, None),
    }
    assert result.outputs["join"] == {"merged_data": ["standard"]}
    assert result.outputs["route"] == {"false_output": {"order": {"total": 50}}}


def test_switch_other_branch(tmp_path: Path) -> None:
    result = run_workflow(tmp_path, SWITCH, params=["total=150"])
    assert statuses(result) == {
        "route": SUCCEEDED,
        "priority": SUCCEEDED,
        "standard": SKIPPED,
        "after_priority": SUCCEEDED,
        "join": SUCCEEDED,
    }
    assert result.outputs["join"] == {"merged_data": ["priority"]}


def test_merge_is_skipped_when_nothing_arrived(tmp_path: Path) -> None:
    result = run_workflow(
        tmp_path,
        """
        name: nothing
        nodes:
          a: {type: PythonCodeNode, config: {code: "result = 1"}, when: false}
          b: {type: PythonCodeNode, config: {code: "result = 2"}, when: false}
          join: {type: MergeNode}
        connections: [a.result -> join.data1, b.result -> join.data2]
        """,
    )
    assert result.nodes["join"].status == SKIPPED
    assert result.nodes["join"].error == "input from 'a' did not arrive (skipped)"


def test_merge_directly_on_switch_outputs(tmp_path: Path) -> None:
    result = run_workflow(
        tmp_path,
        """
        name: direct
        nodes:
          route: {type: SwitchNode, config: {input_data: 5, operator: ">", value: 1}}
          join: {type: MergeNode, config: {strategy: first}}
        connections: [route.true_output -> join.data1, route.false_output -> join.data2]
        """,
    )
    assert statuses(result) == {"route": SUCCEEDED, "join": SUCCEEDED}
    assert result.outputs["join"] == {"merged_data": 5}


def test_failure_skips_dependents_and_independent_nodes_still_run(tmp_path: Path, fns: Path) -> None:
    result = run_workflow(
        tmp_path,
        """
        name: fails
        nodes:
          bad: {type: PythonCodeNode, config: {function: "./fns.py:fail"}}
          uses: {type: PythonCodeNode, config: {code: "result = x"}}
          waits: {type: PythonCodeNode, config: {code: "result = 1"}, depends_on: [bad]}
          refers: {type: PythonCodeNode, config: {code: "result = x", x: "${nodes.bad.result}"}}
          free: {type: PythonCodeNode, config: {code: "result = 'ran'"}}
        connections: [bad.result -> uses.x]
        """,
    )
    assert result.status == FAILED
    assert {n: (r.status, r.error) for n, r in result.nodes.items()} == {
        "bad": (FAILED, "ValueError: bad row 7"),
        "uses": (SKIPPED, "input from 'bad' did not arrive (failed)"),
        "waits": (SKIPPED, "depends on 'bad', which failed"),
        "refers": (SKIPPED, "input from 'bad' did not arrive (failed)"),
        "free": (SUCCEEDED, None),
    }
    assert result.outputs == {"free": {"result": "ran"}}
    detail = result.nodes["bad"].detail
    assert detail is not None and detail.startswith("Traceback") and "ValueError: bad row 7" in detail


def test_continue_on_error_lets_the_run_succeed(tmp_path: Path, fns: Path) -> None:
    result = run_workflow(
        tmp_path,
        """
        name: goes-on
        nodes:
          bad: {type: PythonCodeNode, config: {function: "./fns.py:fail"}, continue_on_error: true}
          uses: {type: PythonCodeNode, config: {code: "result = x"}}
          after: {type: PythonCodeNode, config: {code: "result = 1"}, depends_on: [bad]}
          free: {type: PythonCodeNode, config: {code: "result = 1"}}
        connections: [bad.result -> uses.x]
        """,
    )
    assert result.status == SUCCEEDED
    assert statuses(result) == {"bad": FAILED, "uses": SKIPPED, "after": SUCCEEDED, "free": SUCCEEDED}
    assert result.nodes["bad"].error == "ValueError: bad row 7"


def test_node_timeout_fails_it_promptly(tmp_path: Path, fns: Path) -> None:
    result = run_workflow(
        tmp_path,
        """
        name: slow
        nodes:
          stuck: {type: PythonCodeNode, config: {function: "./fns.py:hang"}, timeout: 0.2}
          next: {type: PythonCodeNode, config: {code: "result = x"}}
          free: {type: PythonCodeNode, config: {code: "result = 1"}}
        connections: [stuck.result -> next.x]
        """,
    )
    assert result.status == FAILED
    assert {n: (r.status, r.error) for n, r in result.nodes.items()} == {
        "stuck": (FAILED, "TimeoutError: timed out after 0.2s"),
        "next": (SKIPPED, "input from 'stuck' did not arrive (failed)"),
        "free": (SUCCEEDED, None),
    }
    # hang() never returns by itself: the run ended at the deadline, not when it returned
    assert 200 <= result.nodes["stuck"].duration_ms < 10_000
    assert not (tmp_path / "stop").exists()


def test_run_timeout_stops_the_whole_run(tmp_path: Path, fns: Path) -> None:
    result = run_workflow(
        tmp_path,
        """
        name: whole
        runtime: {timeout: 0.2}
        nodes:
          stuck: {type: PythonCodeNode, config: {function: "./fns.py:hang"}}
          next: {type: PythonCodeNode, config: {code: "result = x"}}
        connections: [stuck.result -> next.x]
        """,
    )
    assert result.status == FAILED
    assert {n: (r.status, r.error) for n, r in result.nodes.items()} == {
        "stuck": (FAILED, "TimeoutError: run timed out after 0.2s"),
        "next": (SKIPPED, "run timed out"),
    }


def test_mapping_results_are_outputs_and_nested_paths_reach_in(tmp_path: Path, fns: Path) -> None:
    result = run_workflow(
        tmp_path,
        """
        name: nested
        nodes:
          calc: {type: PythonCodeNode, config: {function: "./fns.py:total", rows: [1, 2, 3]}}
          use:
            type: PythonCodeNode
            config: {function: "./fns.py:echo", also: "${nodes.calc.nested.deep[1]}"}
        connections:
          - calc.sum -> use.by_key
          - calc.result.sum -> use.by_result
          - calc.nested.deep -> use.deep
          - calc.result.nested.deep.0 -> use.first
        """,
    )
    assert result.status == SUCCEEDED
    assert result.outputs["use"] == {
        "result": {"also": 20, "by_key": 6, "by_result": 6, "deep": [10, 20], "first": 10}
    }
    # default outputs show a PythonCodeNode's result only, not each key again
    assert result.outputs["calc"] == {"result": {"sum": 6, "count": 3, "nested": {"deep": [10, 20]}}}


def test_missing_output_of_python_node_is_a_clear_failure(tmp_path: Path) -> None:
    result = run_workflow(
        tmp_path,
        """
        name: missing
        nodes:
          a: {type: PythonCodeNode, config: {code: "result = {'total': 1}"}}
          b: {type: PythonCodeNode, config: {code: "result = x"}}
          c: {type: PythonCodeNode, config: {code: "result = x"}}
          d: {type: PythonCodeNode, config: {code: "result = 5"}}
          e: {type: PythonCodeNode, config: {code: "result = x"}}
        connections:
          - a.totl -> b.x
          - a.total.deep -> c.x
          - d.sum -> e.x
        """,
    )
    assert {n: (r.status, r.error) for n, r in result.nodes.items()} == {
        "a": (SUCCEEDED, None),
        "b": (FAILED, "input 'x': node 'a' produced no output 'totl' (it produced: result, total)"),
        "c": (FAILED, "input 'x': 'a.total.deep' does not exist (got integer)"),
        "d": (SUCCEEDED, None),
        "e": (FAILED, "input 'x': node 'd' produced no output 'sum' (it produced: result)"),
    }


def test_resolved_params_are_checked_against_the_node_schema(tmp_path: Path) -> None:
    result = run_workflow(
        tmp_path,
        """
        name: typed
        params: {path: {type: integer, default: 5}}
        nodes:
          read: {type: CSVReaderNode, config: {file_path: "${params.path}"}}
        """,
    )
    assert result.nodes["read"].status == FAILED
    assert result.nodes["read"].error == "parameter 'file_path' must be string, got integer"


def test_expression_failing_at_run_time_fails_the_node(tmp_path: Path) -> None:
    result = run_workflow(
        tmp_path,
        """
        name: exprfail
        params: {n: {type: integer, default: 0}}
        nodes:
          a: {type: PythonCodeNode, config: {code: "result = x", x: "${10 / params.n}"}}
        """,
    )
    assert result.nodes["a"].status == FAILED
    assert result.nodes["a"].error == "${10 / params.n}: division by zero"


def test_attempts_duration_and_run_fields_are_recorded(tmp_path: Path, fns: Path) -> None:
    result = run_workflow(
        tmp_path,
        """
        name: record
        nodes:
          a: {type: PythonCodeNode, config: {function: "./fns.py:stamp", name: a, pause: 0.05}}
          b: {type: PythonCodeNode, config: {code: "result = run_id", run_id: "${run.id}"}}
          c: {type: PythonCodeNode, config: {code: "result = 1"}, when: false}
        """,
    )
    a, c = result.nodes["a"], result.nodes["c"]
    assert (a.status, a.attempts) == (SUCCEEDED, 1)
    assert a.duration_ms >= 50
    assert (c.status, c.attempts, c.duration_ms) == (SKIPPED, 0, 0.0)
    assert result.outputs["b"] == {"result": result.run_id}
    assert len(result.run_id) == 12
    assert result.workflow == "record"
    assert result.duration_ms >= a.duration_ms
    assert result.started_at.endswith("+00:00")


def test_declared_outputs_are_resolved(tmp_path: Path) -> None:
    result = run_workflow(
        tmp_path,
        """
        name: outs
        nodes:
          a: {type: PythonCodeNode, config: {code: "result = {'rows': [1, 2, 3]}"}}
          b: {type: PythonCodeNode, config: {code: "result = 1"}, when: false}
        outputs:
          count: "${len(nodes.a.rows)}"
          label: "rows=${len(nodes.a.result.rows)}"
          fixed: 7
          skipped: "${nodes.b.result}"
        """,
    )
    assert result.outputs == {"count": 3, "label": "rows=3", "fixed": 7, "skipped": None}


def test_secrets_env_and_params_reach_the_config(tmp_path: Path) -> None:
    result = run_workflow(
        tmp_path,
        """
        name: scope
        params: {n: {type: integer, default: 2}}
        env: [HOME_DIR, REGION]
        secrets: {api: {env: API_KEY}}
        nodes:
          a:
            type: PythonCodeNode
            config: {code: "result = [n, key, home, region]", n: "${params.n}", key: "${secrets.api}",
                     home: "${env.HOME_DIR}", region: "${REGION}"}
        """,
        environ={"HOME_DIR": "/h", "REGION": "eu"},
        secrets={"api": "k-1"},
    )
    assert result.outputs == {"a": {"result": [2, "k-1", "/h", "eu"]}}


def test_observer_sees_every_start_and_finish(tmp_path: Path) -> None:
    events: list[tuple[str, str, str | None]] = []

    class Recorder(RunObserver):
        def node_started(self, node_id: str) -> None:
            events.append(("started", node_id, None))

        def node_finished(self, node_id: str, result: NodeResult) -> None:
            events.append(("finished", node_id, result.status))

    run_workflow(
        tmp_path,
        """
        name: observed
        nodes:
          a: {type: PythonCodeNode, config: {code: "result = 1"}}
          b: {type: PythonCodeNode, config: {code: "result = x"}}
          c: {type: PythonCodeNode, config: {code: "result = 1"}, when: false}
        connections: [a.result -> b.x]
        """,
        observer=Recorder(),
    )
    # a is dispatched first; c is skipped while a runs; b starts once a has finished
    assert events == [
        ("started", "a", None),
        ("finished", "c", SKIPPED),
        ("finished", "a", SUCCEEDED),
        ("started", "b", None),
        ("finished", "b", SUCCEEDED),
    ]


def test_inline_code_sees_inputs_as_variables(tmp_path: Path) -> None:
    result = run_workflow(
        tmp_path,
        """
        name: inline
        nodes:
          a:
            type: PythonCodeNode
            config:
              code: |
                total = sum(values)
                result = {"total": total, "doubled": [v * 2 for v in values]}
              values: [1, 2, 3]
        """,
    )
    assert result.outputs == {"a": {"result": {"total": 6, "doubled": [2, 4, 6]}}}


def test_outputs_follow_the_file_order(tmp_path: Path, fns: Path) -> None:
    result = run_workflow(
        tmp_path,
        """
        name: order2
        nodes:
          slow: {type: PythonCodeNode, config: {function: "./fns.py:stamp", name: slow, pause: 0.1}}
          quick: {type: PythonCodeNode, config: {code: "result = 1"}}
        """,
    )
    assert list(result.outputs) == ["slow", "quick"]
    assert list(result.nodes) == ["slow", "quick"]


def test_inline_code_is_python_source_not_a_template(tmp_path: Path) -> None:
    result = run_workflow(
        tmp_path,
        """\
name: lit
params:
  n: {type: integer, default: 3}
nodes:
  sh:
    type: PythonCodeNode
    config:
      code: |
        result = {"t": "${HOME} stays", "n": n}
      n: "${params.n}"
""",
    )

    assert result.nodes["sh"].status == "succeeded"
    assert result.outputs == {"sh": {"result": {"t": "${HOME} stays", "n": 3}}}


def test_restored_nodes_of_a_chain_are_not_run_again(tmp_path: Path) -> None:
    from kailash_cli.compile.compiler import compile
    from kailash_cli.compile.validation import load_workflow
    from kailash_cli.engine.local import LocalExecutor
    from kailash_cli.engine.scheduler import RunOptions, run
    from kailash_cli.nodes.files import FileAccess
    from kailash_cli.pipeline.setup import prepare

    path = write(
        tmp_path / "wf.yaml",
        """\
name: chain
nodes:
  a: {type: PythonCodeNode, config: {code: "calls.append('a'); result = 1", calls: []}}
  b: {type: PythonCodeNode, config: {code: "calls.append('b'); result = x + 1", calls: []}}
  c: {type: PythonCodeNode, config: {code: "result = y * 10"}}
connections: ["a.result -> b.x", "b.result -> c.y"]
""",
    )
    workflow, _ = load_workflow(path)
    compiled = compile(workflow)
    restored = {
        "a": NodeResult(SUCCEEDED, 1, 1.0, outputs={"result": 1}, restored=True),
        "b": NodeResult(SUCCEEDED, 1, 1.0, outputs={"result": 2}, restored=True),
    }

    with LocalExecutor() as executor:
        result = run(
            compiled,
            RunOptions(
                executor=executor, files=FileAccess(tmp_path), prepared=prepare(compiled), restored=restored
            ),
        )

    assert compiled.nodes["a"].config["calls"] == [] and compiled.nodes["b"].config["calls"] == []
    assert statuses(result) == {"a": SUCCEEDED, "b": SUCCEEDED, "c": SUCCEEDED}
    assert [result.nodes[n].restored for n in "abc"] == [True, True, False]
    assert result.outputs["c"] == {"result": 20}

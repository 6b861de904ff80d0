"""Streams: readers with chunk_size, foreach over a stream, writers and SQL many consuming it."""

from __future__ import annotations

import csv
import json
import sqlite3
import threading
from pathlib import Path

import pytest
from helpers import kailash, run_workflow, statuses, write

from kailash_cli.compile.validation import check_document
from kailash_cli.errors import FileAccessError
from kailash_cli.load.yaml_io import load_text
from kailash_cli.model.foreach import calls
from kailash_cli.model.stream import FEED_CHUNKS, Feed, Stream, StreamError, decoded

ROWS = 1_000


def _csv(path: Path, rows: int = ROWS) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="") as f:
        out = csv.writer(f)
        out.writerow(["id", "amount"])
        for i in range(rows):
            out.writerow([i, i % 10])
    return path


PIPELINE = """\
name: pipe
nodes:
  read:
    type: CSVReaderNode
    config: {file_path: data/in.csv, chunk_size: 64}
  keep:
    type: PythonCodeNode
    foreach: "${nodes.read.data}"
    batch: {size: 100, max_concurrency: 3}
    config:
      code: |
        result = [r for r in rows if int(r["amount"]) >= 5]
      rows: "${item}"
  write:
    type: CSVWriterNode
    config: {file_path: out/kept.csv}
connections:
  - keep.result -> write.data
"""


def test_reader_foreach_writer_streams_the_rows_through_in_order(tmp_path: Path) -> None:
    _csv(tmp_path / "data" / "in.csv")
    result = run_workflow(tmp_path, PIPELINE)
    assert result.status == "succeeded", result.nodes
    with (tmp_path / "out" / "kept.csv").open(newline="") as f:
        kept = list(csv.DictReader(f))
    assert [int(r["id"]) for r in kept] == [i for i in range(ROWS) if i % 10 >= 5]
    assert result.outputs["write"]["rows"] == ROWS // 2
    # a stream is shown as what went through it, never as its rows
    assert result.outputs["read"]["data"] == {"stream": "fully read", "rows": ROWS, "chunks": 16}
    assert result.outputs["keep"]["result"]["rows"] == ROWS // 2
    assert result.nodes["keep"].items == {"total": ROWS, "succeeded": ROWS, "failed": 0, "errors": []}


def test_a_failed_batch_fails_the_writer_and_leaves_its_file_as_it_was(tmp_path: Path) -> None:
    _csv(tmp_path / "data" / "in.csv")
    write(tmp_path / "out" / "kept.csv", "old\n")
    text = PIPELINE.replace(
        'result = [r for r in rows if int(r["amount"]) >= 5]', "result = 1 / (rows[0]['id'] != '500')"
    )
    result = run_workflow(tmp_path, text)
    assert statuses(result) == {"read": "succeeded", "keep": "failed", "write": "failed"}
    assert "item 5: ZeroDivisionError" in result.nodes["keep"].error
    assert result.nodes["write"].error.startswith("StreamError: the stream keep.result stopped: item 5:")
    assert (tmp_path / "out" / "kept.csv").read_text() == "old\n"
    assert not list((tmp_path / "out").glob(".*.tmp"))


def test_a_writer_failing_mid_stream_ends_the_run_instead_of_hanging(tmp_path: Path) -> None:
    _csv(tmp_path / "data" / "in.csv")
    text = PIPELINE.replace(
        'result = [r for r in rows if int(r["amount"]) >= 5]',
        "result = [dict(r, late='x') if r['id'] == '700' else r for r in rows]",
    )
    result = run_workflow(tmp_path, text)
    assert result.status == "failed"
    assert (
        "row 701 has key 'late', not in the header taken from row 1 (id, amount)"
        in result.nodes["write"].error
    )
    assert result.nodes["keep"].status == "succeeded"  # its items still ran to their end
    assert not (tmp_path / "out" / "kept.csv").exists()


def test_a_stream_nobody_reads_does_not_stop_the_run(tmp_path: Path) -> None:
    _csv(tmp_path / "data" / "in.csv")
    text = PIPELINE.replace("    type: CSVWriterNode\n", "    type: CSVWriterNode\n    when: false\n")
    result = run_workflow(tmp_path, text, max_concurrency=1)
    assert statuses(result) == {"read": "succeeded", "keep": "succeeded", "write": "skipped"}
    assert result.outputs["keep"]["result"]["stream"] == "not read"


def test_foreach_over_a_foreach_stream_into_json_lines(tmp_path: Path) -> None:
    _csv(tmp_path / "data" / "in.csv")
    text = """\
    name: chain
    nodes:
      read:
        type: CSVReaderNode
        config: {file_path: data/in.csv, chunk_size: 50}
      double:
        type: PythonCodeNode
        foreach: "${nodes.read.data}"
        batch: {size: 30}
        config: {code: "result = [int(r['id']) * 2 for r in rows]", rows: "${item}"}
      label:
        type: PythonCodeNode
        foreach: "${nodes.double.result}"
        config: {code: "result = {'n': n, 'at': i}", n: "${item}", i: "${item_index}"}
      save:
        type: JSONWriterNode
        config: {file_path: out/labels.jsonl, data: "${nodes.label.result}"}
    """
    result = run_workflow(tmp_path, text)
    assert result.status == "succeeded", result.nodes
    lines = (tmp_path / "out" / "labels.jsonl").read_text().splitlines()
    assert [json.loads(line) for line in lines] == [{"n": i * 2, "at": i} for i in range(ROWS)]


def test_json_lines_stream_into_sqlite_with_many(tmp_path: Path) -> None:
    events = "".join(json.dumps({"id": i, "kind": "k" + str(i % 3)}) + "\n" for i in range(500))
    write(tmp_path / "data" / "events.jsonl", events, dedent=False)
    text = """\
    name: load
    nodes:
      create:
        type: SQLDatabaseNode
        config: {connection: "sqlite:///app.db", query: "CREATE TABLE ev (id INT, kind TEXT)", fetch: none}
      read:
        type: JSONReaderNode
        depends_on: [create]
        config: {file_path: data/events.jsonl, chunk_size: 64}
      insert:
        type: SQLDatabaseNode
        config:
          connection: "sqlite:///app.db"
          query: "INSERT INTO ev (id, kind) VALUES (:id, :kind)"
          many: "${nodes.read.data}"
          batch_size: 100
    """
    result = run_workflow(tmp_path, text)
    assert result.status == "succeeded", result.nodes
    assert result.outputs["insert"]["row_count"] == 500
    with sqlite3.connect(tmp_path / "app.db") as db:
        assert db.execute("SELECT count(*), max(id) FROM ev").fetchone() == (500, 499)


def test_a_bad_json_line_fails_the_foreach_naming_the_line(tmp_path: Path) -> None:
    write(tmp_path / "data" / "e.jsonl", '{"a": 1}\n{"a": 2}\nnot json\n', dedent=False)
    text = """\
    name: bad
    nodes:
      read:
        type: JSONReaderNode
        config: {file_path: data/e.jsonl, chunk_size: 1}
      each:
        type: PythonCodeNode
        foreach: "${nodes.read.data}"
        config: {code: "result = x", x: "${item}"}
    """
    result = run_workflow(tmp_path, text)
    assert result.nodes["each"].status == "failed"
    assert "data/e.jsonl:3:1: invalid JSON Lines" in result.nodes["each"].error


def test_a_stream_given_where_a_whole_value_is_needed_fails_the_node() -> None:
    from kailash_cli.engine.inputs import Fail, check_params

    class Node:  # what check_params reads of a compiled node
        class node_type:
            stream_params = ("data",)
            checks_params = False

    stream = Stream(iter([[1]]), "read.data")
    check_params(Node, {"data": stream})  # type: ignore[arg-type]
    with pytest.raises(Fail, match="input 'rows' is the stream read.data, read chunk by chunk"):
        check_params(Node, {"rows": stream})  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("nodes", "message"),
    [
        (
            "  use: {type: PythonCodeNode, config: {code: 'result = 1', rows: '${nodes.read.data}'}}\n",
            "error KV250: ${nodes.read.data} uses the stream 'read.data'",
        ),
        (
            "  use: {type: PythonCodeNode, when: '${len(nodes.read.data) > 1}', config: {code: x}}\n",
            "error KV250: ${len(nodes.read.data) > 1} uses the stream 'read.data'",
        ),
        (
            "  use: {type: JSONWriterNode, config: {file_path: out/x.json, data: '${nodes.read.data}'}}\n",
            "error KV250: ${nodes.read.data} uses the stream",
        ),
        (
            "  j: {type: JSONReaderNode, config: {file_path: data/x.json, chunk_size: 5}}\n",
            "error KV251: node 'j': chunk_size streams JSON Lines only",
        ),
        (
            "  w1: {type: CSVWriterNode, config: {file_path: out/1.csv, data: '${nodes.read.data}'}}\n"
            "  w2: {type: CSVWriterNode, config: {file_path: out/2.csv, data: '${nodes.read.data}'}}\n",
            "error KV252: the stream 'read.data' is read by 2 nodes (w1, w2); a stream is read once",
        ),
        (
            "  f: {type: PythonCodeNode, foreach: '${nodes.read.data}', config: {code: x}}\n"
            "  u: {type: PythonCodeNode, config: {code: x}}\nconnections: [f.a -> u.a]\n",
            "error KV250: connection 'f.a -> u.a': 'f' goes through a stream, so its only output is result",
        ),
    ],
)
def test_validation_refuses_a_stream_used_whole(tmp_path: Path, nodes: str, message: str) -> None:
    path = write(
        tmp_path / "wf.yaml",
        "name: v\nnodes:\n  read: {type: CSVReaderNode, config: {file_path: data/in.csv, chunk_size: 10}}\n"
        + nodes,
        dedent=False,
    )
    done = kailash("validate", path)
    assert done.returncode == 1
    assert message in done.stdout


def test_validation_accepts_the_ways_a_stream_is_consumed(tmp_path: Path) -> None:
    _csv(tmp_path / "data" / "in.csv")
    write(tmp_path / "wf.yaml", PIPELINE)
    assert kailash("validate", tmp_path / "wf.yaml").returncode == 0


def test_outputs_and_connections_into_a_stream_are_findings() -> None:
    text = PIPELINE + "  - read.data.0 -> keep.first\noutputs:\n  all: '${nodes.keep.result}'\n"
    problems = check_document(load_text(text, "wf.yaml"))
    found = sorted((p.id, p.message.split(":")[0]) for p in problems)
    assert ("KV250", "connection 'read.data.0 -> keep.first'") in found
    messages = [p.message for p in problems if p.id == "KV250"]
    assert any(
        m.startswith("${nodes.keep.result} uses the stream 'keep.result', which is read") for m in messages
    )


def test_cli_run_shows_stream_summaries_and_keeps_them_out_of_the_store(tmp_path: Path) -> None:
    _csv(tmp_path / "data" / "in.csv")
    write(tmp_path / "wf.yaml", PIPELINE)
    done = kailash("run", "wf.yaml", "-o", "json", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    document = json.loads(done.stdout)
    assert document["outputs"]["read"]["data"]["stream"] == "fully read"
    with sqlite3.connect(tmp_path / ".kailash" / "kailash.db") as db:
        rows = {
            n: (o, json.loads(e))
            for n, o, e in db.execute("SELECT node_id, outputs, extra FROM node_executions")
        }
    assert (
        json.loads(rows["read"][0]) is None and rows["read"][1]["unstored"] is True
    )  # a resume reads it again
    assert json.loads(rows["keep"][0]) is None and rows["keep"][1]["unstored"] is True
    assert json.loads(rows["write"][0])["rows"] == ROWS // 2


# -- the parts -------------------------------------------------------------------------


def test_a_stream_is_read_once() -> None:
    closed = threading.Event()
    stream = Stream(iter([[1, 2], [3]]), "r.data", closed.set)
    assert list(stream.items()) == [1, 2, 3]
    assert closed.is_set() and stream.summary() == {"stream": "fully read", "rows": 3, "chunks": 2}
    with pytest.raises(StreamError, match="the stream r.data was already read"):
        iter(stream)


def test_a_file_that_is_not_its_encoding_fails_as_a_read_does() -> None:
    def chunks():  # type: ignore[no-untyped-def]
        yield [1]
        b"\xff".decode("utf-8")

    with pytest.raises(FileAccessError, match=r"data/x.csv is not utf-8 text"):
        list(decoded(chunks(), "data/x.csv", "utf-8"))


def test_a_feed_holds_a_few_chunks_ends_or_fails_and_wakes_the_engine() -> None:
    woken = []
    feed = Feed(lambda: woken.append(1))
    assert feed.room() and not feed.available()
    for i in range(FEED_CHUNKS):
        feed.put([i])
    assert not feed.room() and feed.available()
    feed.finish()
    feed.put([99])  # ended: not kept
    assert list(feed.chunks()) == [[0], [1], [2], [3]]
    assert len(woken) == FEED_CHUNKS
    failed = Feed(lambda: None)
    failed.put([1])
    failed.finish(StreamError("stopped"))  # a failure is raised at once, before what is queued
    with pytest.raises(StreamError, match="stopped"):
        next(failed.chunks())
    ended = Feed(lambda: None)
    ended.put([1])
    ended.discard()
    ended.finish()
    assert list(ended.chunks()) == []


def test_an_aborted_stream_fails_its_reader_even_at_its_end() -> None:
    stream = Stream(iter([[1], [2]]), "r.data")
    reader = iter(stream)
    assert next(reader) == [1]
    stream.abort("'w' timed out after 1s")
    with pytest.raises(StreamError, match="the stream r.data stopped: 'w' timed out after 1s"):
        next(reader)
    fed = Feed(lambda: None)
    out = Stream(fed.chunks(), "f.result", feed=fed)
    fed.put([1])
    fed.finish()
    out.abort("the run was stopped")
    with pytest.raises(StreamError, match="stopped: the run was stopped"):
        list(out.items())


def test_stream_batches_are_cut_from_chunks() -> None:
    assert list(calls([], 3, iter([[1, 2, 3], [4], [5, 6, 7, 8]]))) == [[1, 2, 3], [4, 5, 6], [7, 8]]
    assert list(calls([1, 2], None, None)) == [1, 2]


# -- found by review: each of these lost data, hung or hid an error -------------------------


def test_streams_read_through_the_path_guard(tmp_path: Path) -> None:
    _csv(tmp_path / "data" / "in.csv")
    write(tmp_path / "kailash.yaml", "security: {allowed_directories: [./data, ./out], max_file_size: 1MB}\n")
    write(tmp_path / "wf.yaml", PIPELINE)
    done = kailash("run", "wf.yaml", "-o", "json", cwd=tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
    assert json.loads(done.stdout)["outputs"]["write"]["rows"] == ROWS // 2


def test_a_reader_that_cannot_start_while_the_stream_is_made_fails_loudly(tmp_path: Path) -> None:
    _csv(tmp_path / "data" / "in.csv")
    text = PIPELINE.replace(
        "  write:\n    type: CSVWriterNode\n",
        "  after:\n    type: PythonCodeNode\n    depends_on: [keep]\n    config: {code: 'result = 1'}\n"
        "  write:\n    type: CSVWriterNode\n    depends_on: [after]\n",
    )
    result = run_workflow(tmp_path, text, max_concurrency=1)
    assert result.status == "failed"  # never a success with rows dropped
    assert "its stream cannot be read while it is made: 'write' waits for" in result.nodes["keep"].error
    assert not (tmp_path / "out" / "kept.csv").exists()


def test_a_writer_that_times_out_leaves_its_target_as_it_was(tmp_path: Path) -> None:
    _csv(tmp_path / "data" / "in.csv")
    write(tmp_path / "out" / "kept.csv", "old\n")
    text = PIPELINE.replace(
        'result = [r for r in rows if int(r["amount"]) >= 5]', "import time; time.sleep(0.05); result = rows"
    ).replace("    type: CSVWriterNode\n", "    type: CSVWriterNode\n    timeout: 0.2\n")
    result = run_workflow(tmp_path, text)
    assert result.nodes["write"].status == "failed" and "TimeoutError" in result.nodes["write"].error
    assert (tmp_path / "out" / "kept.csv").read_text() == "old\n"


def test_batches_over_a_stream_another_foreach_makes_never_wait_on_the_scheduler(tmp_path: Path) -> None:
    _csv(tmp_path / "data" / "in.csv", rows=7)
    text = """\
    name: chain
    nodes:
      read: {type: CSVReaderNode, config: {file_path: data/in.csv, chunk_size: 4}}
      a: {type: PythonCodeNode, foreach: "${nodes.read.data}", config: {code: "result = r", r: "${item}"}}
      b:
        type: PythonCodeNode
        foreach: "${nodes.a.result}"
        batch: {size: 3}
        config: {code: "result = rows", rows: "${item}"}
      w: {type: JSONWriterNode, config: {file_path: out/rows.jsonl, data: "${nodes.b.result}"}}
    """
    result = run_workflow(tmp_path, text)
    assert result.status == "succeeded", result.nodes
    rows = [json.loads(line) for line in (tmp_path / "out" / "rows.jsonl").read_text().splitlines()]
    assert [r["id"] for r in rows] == [str(i) for i in range(7)]


def test_a_stream_reader_is_not_retried_so_its_real_error_shows(tmp_path: Path) -> None:
    write(tmp_path / "data" / "e.jsonl", "".join(f'{{"id": {i % 5}}}\n' for i in range(10)), dedent=False)
    text = """\
    name: dup
    nodes:
      mk:
        type: SQLDatabaseNode
        config: {connection: "sqlite:///a.db", query: "CREATE TABLE t (id INT PRIMARY KEY)", fetch: none}
      read: {type: JSONReaderNode, depends_on: [mk], config: {file_path: data/e.jsonl, chunk_size: 2}}
      load:
        type: SQLDatabaseNode
        retry: {max_attempts: 3, base_delay: 0, retry_on: [SQLError]}
        config:
          connection: "sqlite:///a.db"
          query: "INSERT INTO t VALUES (:id)"
          many: "${nodes.read.data}"
          batch_size: 3
    """
    result = run_workflow(tmp_path, text)
    assert result.nodes["load"].attempts == 1
    assert "UNIQUE" in result.nodes["load"].error and "already read" not in result.nodes["load"].error
    with sqlite3.connect(tmp_path / "a.db") as db:
        assert db.execute("SELECT count(*) FROM t").fetchone() == (0,)  # rolled back


def test_resume_does_not_run_a_restored_stream_writer_again(tmp_path: Path) -> None:
    _csv(tmp_path / "data" / "in.csv")
    check = "import pathlib; assert pathlib.Path('flag').exists(), 'no flag'; result = rows"
    text = PIPELINE + "  - write.rows -> check.rows\n"
    text = text.replace(
        "connections:\n",
        f'  check:\n    type: PythonCodeNode\n    config: {{code: "{check}"}}\nconnections:\n',
    )
    write(tmp_path / "wf.yaml", text)
    first = kailash("run", "wf.yaml", "-o", "json", cwd=tmp_path)
    assert first.returncode == 1
    write(tmp_path / "out" / "kept.csv", "kept from the first run\n")
    (tmp_path / "flag").touch()
    again = kailash(
        "run", "wf.yaml", "--resume", json.loads(first.stdout)["run_id"], "-o", "json", cwd=tmp_path
    )
    assert again.returncode == 0, again.stderr
    assert (tmp_path / "out" / "kept.csv").read_text() == "kept from the first run\n"

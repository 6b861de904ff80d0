"""Issue 13's reproducers, kept: hostile input gets a clear error, never a crash or a hang.

Each case once crashed ``kailash`` (exit 3, a signal), hung it or filled memory. The ones
that ended the process itself (a segfault, a closed stdout) run the installed command.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from helpers import KAILASH, kailash, kailash_e2e, no_traceback, run_workflow, statuses, write

NODE = """\
name: x
nodes:
  a:
    type: PythonCodeNode
    config:
      code: result = 1
"""


def _nested_list_workflow(depth: int) -> str:
    return NODE + "      v: " + "[" * depth + "]" * depth + "\n"


@pytest.mark.e2e
def test_yaml_nested_30000_deep_is_a_finding_not_a_segfault(tmp_path: Path) -> None:
    write(tmp_path / "deep.yaml", _nested_list_workflow(30_000))

    proc = kailash_e2e("validate", "deep.yaml", cwd=tmp_path)

    assert (proc.returncode, proc.stdout) == (
        1,
        "deep.yaml:7:106: error KV003: the document nests collections more than 100 levels deep; "
        "fix: flatten the data (or read it from a JSON file with JSONReaderNode)\n",
    )


def test_yaml_nested_330_deep_cannot_run(tmp_path: Path) -> None:
    write(tmp_path / "deep.yaml", _nested_list_workflow(330))

    proc = kailash("run", "deep.yaml", cwd=tmp_path)

    assert proc.returncode == 2
    assert "KV003: the document nests collections more than 100 levels deep" in proc.stderr


def test_yaml_aliases_nesting_past_the_limit_is_a_finding(tmp_path: Path) -> None:
    lines = ["name: x", "a0: &a0 [1]"]
    lines += [f"a{i}: &a{i} [[[*a{i - 1}]]]" for i in range(1, 40)]
    lines += ["nodes:", "  a:", "    type: PythonCodeNode", "    config: {code: 'result = 1', v: *a39}"]
    write(tmp_path / "alias.yaml", "\n".join(lines) + "\n")

    proc = kailash("validate", "alias.yaml", cwd=tmp_path)

    assert proc.returncode == 1
    assert "the document nests collections more than 100 levels deep through aliases" in proc.stdout


def test_yaml_a_little_under_the_limit_loads(tmp_path: Path) -> None:
    write(tmp_path / "wf.yaml", _nested_list_workflow(90))

    assert kailash("validate", "wf.yaml", cwd=tmp_path).returncode == 0


@pytest.mark.e2e
@pytest.mark.skipif(sys.platform == "win32", reason="FIFOs and /dev/zero are POSIX")
def test_validate_refuses_a_fifo_and_a_dev_zero_symlink(tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "fifo.yaml")
    (tmp_path / "zero.yaml").symlink_to("/dev/zero")

    proc = kailash_e2e("validate", "fifo.yaml", "zero.yaml", cwd=tmp_path, timeout=60)

    assert (proc.returncode, proc.stdout.splitlines()) == (
        1,
        [
            "fifo.yaml: error KV001: cannot read file: it is a named pipe (FIFO), not a regular file; "
            "fix: give a regular YAML file of a sensible size",
            "zero.yaml: error KV001: cannot read file: it is a device, not a regular file; "
            "fix: give a regular YAML file of a sensible size",
        ],
    )


def test_a_yaml_file_over_the_size_limit_is_not_read(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("kailash_cli.load.yaml_limits.MAX_YAML_BYTES", 100)
    write(tmp_path / "wf.yaml", NODE + "# " + "x" * 200 + "\n")

    proc = kailash("validate", "wf.yaml", cwd=tmp_path)

    assert (proc.returncode, proc.stdout.splitlines()[0]) == (
        1,
        "wf.yaml: error KV001: cannot read file: it is larger than 100 bytes; "
        "fix: give a regular YAML file of a sensible size",
    )


@pytest.mark.parametrize(
    ("expression", "message"),
    [
        ("4000000**4000000", "4000000 ** 4000000 would have more than 10,000 bits"),
        ("[[1]*99999]*99999", "repeating a value 99,999 times would make more than 1,000,000 items"),
        ("'%0999999999d' % 1", "'%' formatting of text is not supported; write the parts side by side"),
        ("'a' * 10**9", "repeating a value 1,000,000,000 times would make more than 1,000,000 items"),
        ("1 << 100000", "the shift would make more than 10,000 bits"),
    ],
)
def test_costly_expressions_are_refused_before_computing(
    tmp_path: Path, expression: str, message: str
) -> None:
    result = run_workflow(tmp_path, NODE + f'      v: "${{{expression}}}"\n')

    assert statuses(result) == {"a": "failed"}
    assert result.nodes["a"].error == f"${{{expression}}}: {message}"


@pytest.mark.parametrize(
    ("expression", "message"),
    [
        ("not " * 2000 + "1", "expression is 8,001 characters long; the limit is 2,000"),
        ("params" + ".a" * 900, "nests more than 50 levels deep; simplify it"),
    ],
)
def test_deep_or_long_expressions_are_findings(tmp_path: Path, expression: str, message: str) -> None:
    write(tmp_path / "wf.yaml", NODE + f'      v: "${{{expression}}}"\n')

    proc = kailash("validate", "wf.yaml", cwd=tmp_path)

    assert proc.returncode == 1
    assert message in proc.stdout


def test_an_expression_past_its_deadline_is_stopped(monkeypatch: pytest.MonkeyPatch) -> None:
    from kailash_cli.errors import ExpressionError
    from kailash_cli.model import evaluation, evaluator
    from kailash_cli.model.expressions import parse_expr

    monkeypatch.setattr(evaluator, "EVAL_SECONDS", -1.0)  # every evaluation is already late

    with pytest.raises(ExpressionError) as caught:
        evaluation.evaluate(parse_expr("1 + 1"), evaluation.Scope({}, {}))
    assert str(caught.value) == "${1 + 1}: evaluation took longer than -1 s and was stopped"


def test_a_redos_pattern_is_stopped_with_a_clear_error(tmp_path: Path) -> None:
    write(
        tmp_path / "wf.yaml",
        """\
        name: redos
        params:
          name: {type: string, pattern: "^(a|aa)+$"}
        nodes:
          a:
            type: PythonCodeNode
            config: {code: "result = n", n: "${params.name}"}
        """,
    )

    slow = kailash("run", "wf.yaml", "-p", "name=" + "a" * 5000 + "!", cwd=tmp_path)
    fine = kailash("run", "wf.yaml", "-p", "name=aaa", cwd=tmp_path)
    wrong = kailash("run", "wf.yaml", "-p", "name=b", cwd=tmp_path)

    assert (slow.returncode, slow.stderr) == (
        2,
        "error: param 'name': took longer than 0.5 s to match pattern '^(a|aa)+$' "
        "(a pattern with nested repetition, like (a+)+, can take exponential time)\n",
    )
    assert fine.returncode == 0
    assert wrong.returncode == 2
    assert "param 'name': 'b' does not match '^(a|aa)+$'" in wrong.stderr


@pytest.mark.parametrize(
    ("code", "error"),
    [
        ("result = {(1, 2): 3}", "result: a key of type tuple ((1, 2)); keys must be text"),
        (
            "result = [1]\nresult.append(result)",
            "result[1]: the value contains itself (a circular reference)",
        ),
        ("result = {'a': [10**5000]}", "result.a[0]: an integer of more than 4,300 digits"),
        (
            "result = {'t': 'x' + chr(0xD800)}",
            "result.t: text with a lone surrogate at character 1 (not valid Unicode)",
        ),
        ("result = {'s': {1, 2}}", "result.s: a set (return a list: sorted(values))"),
        # long lists are checked a slice at a time (no whole JSON text): found all the same
        (
            "result = [{'n': i} for i in range(9000)]\nresult[7777]['n'] = {3}",
            "result[7777].n: a set (return a list: sorted(values))",
        ),
        (
            "result = {'rows': list(range(9000)), 'k': 1}\nresult['rows'].append(result)",
            "result.rows[9000]: the value contains itself (a circular reference)",
        ),
        (
            "result = {'rows': list(range(9000)), (1,): 2}",
            "result: a key of type tuple ((1,)); keys must be text",
        ),
        (
            "result = [1] * 5000 + [float('nan')]",
            "result[5000]: NaN is not a JSON number (return None, or the text)",
        ),
        (
            "result = {'o': object()}",
            "result.o: a value of type object (return JSON data: text, numbers, lists, mappings)",
        ),
        ("result = [b'abc']", "result[0]: bytes (return text: value.decode(), or base64 of it)"),
        (
            "result = {1: 'a', '1': 'b'}",
            "result: keys 1 and '1' are the same text in JSON; one value would be lost",
        ),
        (
            "result = [{'k': 1}] * 3000 + [{True: 1, 'true': 2}]",
            "result[3000]: keys True and 'true' are the same text in JSON; one value would be lost",
        ),
        (
            "result = {'e': ValueError('boom')}",
            "result.e: a value of type ValueError (return JSON data: text, numbers, lists, mappings)",
        ),
    ],
)
def test_a_result_the_store_cannot_keep_fails_the_node_naming_its_path(
    tmp_path: Path, code: str, error: str
) -> None:
    code_yaml = "\n".join("        " + line for line in code.splitlines())
    write(
        tmp_path / "wf.yaml",
        f"name: x\nnodes:\n  a:\n    type: PythonCodeNode\n    config:\n      code: |\n{code_yaml}\n",
    )

    proc = kailash("run", "wf.yaml", "--output", "json", cwd=tmp_path)
    listing = kailash("runs", "list", cwd=tmp_path)

    assert proc.returncode == 1
    assert (
        f'"error": "NotStorableError: {error}; the run store keeps JSON data (text keys, no cycles)"'
        in proc.stdout
    )
    assert listing.returncode == 0
    assert " failed " in listing.stdout


def test_a_result_5000_deep_fails_the_node_and_runs_list_still_works(tmp_path: Path) -> None:
    write(
        tmp_path / "wf.yaml",
        """\
        name: x
        nodes:
          a:
            type: PythonCodeNode
            config:
              code: |
                result = []
                inner = result
                for _ in range(5000):
                    inner.append([])
                    inner = inner[0]
        """,
    )

    proc = kailash("run", "wf.yaml", cwd=tmp_path)
    listing = kailash("runs", "list", cwd=tmp_path)

    assert proc.returncode == 1
    assert "nested more than 900 levels deep" in proc.stderr
    assert listing.returncode == 0


def test_the_store_reads_a_value_it_could_not_decode_as_a_note() -> None:
    from kailash_cli.pipeline.database import dumps, loads

    assert loads("[" * 100_000 + "]" * 100_000) == "<not readable: nested too deeply or not JSON>"
    assert loads(dumps({(1,): 2})) == "<not stored: value: a key of type tuple ((1,)); keys must be text>"
    assert loads(dumps(["\udc80"])) == ["\udc80"]  # kept faithfully, as a JSON escape


@pytest.mark.e2e
@pytest.mark.parametrize("args", [("schema", "workflow"), ("nodes",), ("run", "wf.yaml", "--output", "json")])
def test_a_closed_stdout_ends_quietly_with_141(tmp_path: Path, args: tuple[str, ...]) -> None:
    write(tmp_path / "wf.yaml", NODE.replace("result = 1", "result = list(range(100000))"))
    proc = subprocess.Popen(
        [KAILASH, *args], cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    assert proc.stdout is not None and proc.stderr is not None
    proc.stdout.close()  # the reader is gone, as with | head -0

    code = proc.wait(timeout=60)
    errors = proc.stderr.read()
    proc.stderr.close()

    assert code == 141
    assert "Error" not in errors


def test_a_lone_surrogate_in_yaml_text_is_a_finding() -> None:
    from kailash_cli.load.yaml_io import load_text

    doc = load_text("name: x\nv: '\ud800'\n", "wf.yaml")

    assert [(p.id, p.message, p.line, p.column) for p in doc.problems] == [
        ("KV002", "text holds a lone surrogate (not Unicode)", 2, 5)
    ]


def test_no_traceback_for_any_of_them(tmp_path: Path) -> None:
    write(tmp_path / "wf.yaml", NODE + '      v: "${4000000**4000000}"\n')

    assert no_traceback(kailash("run", "wf.yaml", cwd=tmp_path))


def test_env_as_a_whole_is_refused(tmp_path: Path) -> None:
    write(tmp_path / "wf.yaml", NODE + '      e: "${env}"\n')

    proc = kailash("validate", "wf.yaml", cwd=tmp_path)

    assert (proc.returncode, proc.stdout.splitlines()[0]) == (
        1,
        "wf.yaml:7:10: error KV308: ${env} reads the whole environment; fix: name the variable: ${env.NAME}",
    )


SPLIT_WRITES = """\
name: split
secrets:
  api_key: {env: API_KEY}
nodes:
  a:
    type: PythonCodeNode
    config:
      key: "${secrets.api_key}"
      code: |
        import sys
        sys.stdout.write(key[:6]); sys.stdout.flush()
        sys.stdout.write(key[6:] + "\\n")
        sys.__stderr__.write("real stderr " + key + "\\n"); sys.__stderr__.flush()
        sys.stderr.write("progress... "); sys.stderr.flush()
        sys.stderr.write(key[:4]); sys.stderr.flush(); sys.stderr.write(key[4:] + " done\\n")
        result = 1
"""


def test_a_secret_split_across_flushed_writes_or_sent_to_the_real_stderr_is_redacted(tmp_path: Path) -> None:
    write(tmp_path / "wf.yaml", SPLIT_WRITES)
    secret = "sk-LIVE-abcdef123456"

    proc = kailash("run", "wf.yaml", cwd=tmp_path, extra_env={"API_KEY": secret})

    assert proc.returncode == 0
    assert "abcdef" not in proc.stderr + proc.stdout
    assert proc.stderr.splitlines()[:4] == ["[a] ***", "real stderr ***", "progress... ", "*** done"]


def test_a_long_result_is_checked_a_slice_at_a_time(monkeypatch: pytest.MonkeyPatch) -> None:
    """Its whole JSON text (and the bytes of it) would double a large result's memory."""
    from kailash_cli.model import storable

    sizes: list[int] = []
    real = storable._dump
    monkeypatch.setattr(
        storable,
        "_dump",
        lambda value: (sizes.append(len(value) if isinstance(value, list | dict) else 1), real(value))[1],
    )
    rows = [{"id": i} for i in range(10_000)]
    storable.check_storable({"data": rows, "count": 1})
    storable.check_storable(rows)

    assert max(sizes) == storable._SLICE
    assert sum(sizes) == 2 + 10_000 + 1 + 10_000  # the mapping's keys, its rows, its count; the list


@pytest.mark.parametrize(
    ("pattern", "at_least"),
    [
        ("(?:a{65535}){65535}", 65535 * 65535),
        ("(((a{100}){100}){100}){100}", 100**4),
        (r"^\d{3}-\d{2}-\d{4}$", 13),
        (r"[a-z]{1,64}@[a-z]{1,255}\.com", 324),
        ("[{]{5}", 5),
    ],
)
def test_a_patterns_expansion_multiplies_its_counted_repetitions(pattern: str, at_least: int) -> None:
    from kailash_cli.load.patterns import MAX_EXPANSION, expansion

    steps = expansion(pattern)
    assert at_least <= steps <= at_least * 1.01 + 4  # an estimate: a group's own syntax counts too
    assert (steps > MAX_EXPANSION) is (at_least > MAX_EXPANSION)


@pytest.mark.parametrize("pattern", ["(?:a{65535}){65535}", "a{4294967295}"])
def test_a_pattern_that_unrolls_to_billions_is_refused_before_compiling(tmp_path: Path, pattern: str) -> None:
    write(
        tmp_path / "wf.yaml",
        f"name: pat\nparams:\n  s: {{type: string, pattern: '{pattern}', default: x}}\n"
        "nodes:\n  a: {type: PythonCodeNode, config: {code: 'result = 1'}}\n",
    )
    proc = kailash("validate", "wf.yaml", cwd=tmp_path)

    assert proc.returncode == 1
    assert proc.stdout == (
        "wf.yaml:3:30: error KV401: param 's': pattern repeats more than 100,000 steps "
        "(counted repetitions multiply: a{1000}{1000} is a million); fix: use smaller repetition counts\n"
    )


@pytest.mark.parametrize(
    ("args", "error"),
    [
        (
            ["run", "wf.yaml", "-c", "fifo.yaml"],
            "config file fifo.yaml is not a regular file; give the file to -c",
        ),
        (
            ["run", "wf.yaml", "-c", "zero.yaml"],
            "config file zero.yaml is not a regular file; give the file to -c",
        ),
        (["audit", "verify", "fifo.yaml"], "audit log fifo.yaml is not a regular file; give the log"),
        (
            ["check-deploy", "proj", "-c", "fifo.yaml"],
            "config file fifo.yaml is not a regular file; give the file to -c",
        ),
        (
            ["check-deploy", "proj", "--baseline", "zero.yaml"],
            "baseline file zero.yaml: it is a device, not a regular file; give the baseline JSON file",
        ),
        (
            ["check-deploy", "proj", "--baseline", "fifo.yaml"],
            "baseline file fifo.yaml: it is a named pipe (FIFO), not a regular file; "
            "give the baseline JSON file",
        ),
        (
            ["check-deploy", "proj", "--env-file", "fifo.yaml"],
            "env file fifo.yaml is not a regular file; give the file to --env-file",
        ),
    ],
)
def test_special_files_given_as_options_are_refused_at_once(
    tmp_path: Path, args: list[str], error: str
) -> None:
    os.mkfifo(tmp_path / "fifo.yaml")
    (tmp_path / "zero.yaml").symlink_to("/dev/zero")
    write(
        tmp_path / "wf.yaml", "name: x\nnodes:\n  a: {type: PythonCodeNode, config: {code: 'result = 1'}}\n"
    )
    write(tmp_path / "proj" / "kailash.yaml", "security: {allowed_directories: [./data]}\n")

    proc = kailash(*args, cwd=tmp_path)

    assert proc.returncode == 2
    assert proc.stderr.startswith(f"error: {error}")


def test_a_log_without_line_ends_is_a_broken_entry_not_a_memory_blow_up(tmp_path: Path) -> None:
    (tmp_path / "audit.jsonl").write_bytes(b"x" * 1_200_000)
    proc = kailash("audit", "verify", "audit.jsonl", cwd=tmp_path)
    assert (proc.returncode, proc.stdout.strip()) == (
        1,
        "audit.jsonl: entry 1 is broken: longer than 1 MB: not an audit entry",
    )


def test_keys_of_several_types_that_differ_as_text_are_stored(tmp_path: Path) -> None:
    write(
        tmp_path / "wf.yaml",
        "name: x\nnodes:\n  a:\n    type: PythonCodeNode\n"
        "    config: {code: \"result = {1: 'a', 'x': 'b', None: 'c'}\"}\n",
    )
    proc = kailash("run", "wf.yaml", "--output", "json", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["outputs"]["a"]["result"] == {"1": "a", "x": "b", "null": "c"}

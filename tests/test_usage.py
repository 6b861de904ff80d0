"""Help pages (an example each, clean placeholders) and usage errors in kailash's words."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import typer
from helpers import RunCli, kailash_e2e

from kailash_cli.main import app
from kailash_cli.report.usage import EXAMPLES


def _paths(command: Any, prefix: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    found = [prefix]
    for name, sub in sorted(getattr(command, "commands", {}).items()):
        found += _paths(sub, (*prefix, name))
    return found


COMMANDS = _paths(typer.main.get_command(app))


def test_every_command_and_group_has_examples_and_no_stale_ones() -> None:
    assert sorted(EXAMPLES) == sorted(" ".join(path) for path in COMMANDS)


@pytest.mark.parametrize("path", COMMANDS, ids=lambda p: " ".join(p) or "kailash")
def test_help_page_is_clean_and_ends_with_examples(path: tuple[str, ...], run_cli: RunCli) -> None:
    result = run_cli(*path, "--help")

    assert (result.returncode, result.stderr) == (0, "")
    page = result.stdout
    assert page.startswith(f"Usage: {' '.join(('kailash', *path))} [OPTIONS]")
    examples = page[page.index("\nExamples:\n") :].splitlines()[2:]
    assert examples == [f"  {line}" for line in EXAMPLES[" ".join(path)]]
    assert not re.search(r"\{\w+\}|<[\w\[\]|, ]+>", page)  # typer's {WORKFLOW}, <path>, <list[Path]>
    assert "[env:" not in page and "Value error" not in page
    assert page.count("env var: KAILASH_USER") <= 1


def test_usage_lines_read_as_posix_tools_write_them(run_cli: RunCli) -> None:
    usage = {
        args: run_cli(*args, "-h").stdout.splitlines()[0]
        for args in (("run",), ("validate",), ("check-deploy",), ("runs",), ("schema",), ("init",))
    }

    assert usage == {
        ("run",): "Usage: kailash run [OPTIONS] WORKFLOW",
        ("validate",): "Usage: kailash validate [OPTIONS] PATH...",
        ("check-deploy",): "Usage: kailash check-deploy [OPTIONS] [DIR]",
        ("runs",): "Usage: kailash runs [OPTIONS] [COMMAND [ARGS]...]",
        ("schema",): "Usage: kailash schema [OPTIONS] [workflow|config]",
        ("init",): "Usage: kailash init [OPTIONS] [DIR]",
    }


@pytest.mark.parametrize(
    ("args", "line"),
    [
        (("run",), "error: kailash run: missing argument WORKFLOW; see kailash run -h"),
        (
            ("serve", "--port", "abc"),
            "error: kailash serve: --port: 'abc' is not a whole number; see kailash serve -h",
        ),
        (
            ("serve", "--port", "70000"),
            "error: kailash serve: --port: 70000 is not between 0 and 65535; see kailash serve -h",
        ),
        (("runs", "-n", "0"), "error: kailash runs: --limit: 0 is below 1; see kailash runs -h"),
        (("rnu",), "error: kailash: no command 'rnu' (did you mean 'run'?); see kailash -h"),
        (("frobnicate",), "error: kailash: no command 'frobnicate'; see kailash -h"),
        (("nodes", "--output"), "error: kailash nodes: --output needs a value; see kailash nodes -h"),
        (
            ("graph", "a.yaml", "b.yaml"),
            "error: kailash graph: unexpected argument(s): b.yaml; see kailash graph -h",
        ),
        (
            ("run", "wf.yaml", "--usr", "x"),
            "error: kailash run: no option --usr (did you mean --user?); see kailash run -h",
        ),
        (("validate", "-c", "k.yaml", "x"), "error: kailash validate: no option -c; see kailash validate -h"),
        (
            ("--log-format", "xml", "nodes"),
            "error: kailash: --log-format: 'xml' is not one of 'text', 'json'; see kailash -h",
        ),
    ],
)
def test_usage_errors_are_one_line_and_exit_2(args: tuple[str, ...], line: str, run_cli: RunCli) -> None:
    result = run_cli(*args)

    assert (result.returncode, result.stdout, result.stderr) == (2, "", line + "\n")


def test_a_usage_error_is_a_json_event_with_json_logs(run_cli: RunCli) -> None:
    result = run_cli("--log-format", "json", "run")

    assert result.returncode == 2
    assert '"event": "usage_error"' in result.stderr
    assert '"message": "kailash run: missing argument WORKFLOW; see kailash run -h"' in result.stderr


def test_kailash_alone_shows_the_help_on_stderr(run_cli: RunCli) -> None:
    result = run_cli()

    assert (result.returncode, result.stdout) == (2, "")
    assert result.stderr.startswith("Usage: kailash [OPTIONS] COMMAND [ARGS]...")


def test_config_before_the_command_reaches_it(tmp_path: Path, run_cli: RunCli) -> None:
    (tmp_path / "k.yaml").write_text("runtime: {store: elsewhere/runs.db}\n")
    (tmp_path / "wf.yaml").write_text(
        "name: wf\nnodes:\n  a: {type: PythonCodeNode, config: {code: 'result = 1'}}\n"
    )

    result = run_cli("-c", "k.yaml", "run", "wf.yaml", "-q", cwd=tmp_path)

    assert result.returncode == 0, result.stderr
    assert (tmp_path / "elsewhere/runs.db").is_file()


@pytest.mark.e2e
def test_installed_cli_words_usage_errors() -> None:
    result = kailash_e2e("validate", "--format", "xml", ".")

    assert (result.returncode, result.stderr) == (
        2,
        "error: kailash validate: --format: 'xml' is not one of 'text', 'json', 'github', 'sarif', "
        "'junit'; see kailash validate -h\n",
    )


def test_help_lists_every_command_with_its_short_help_in_order(run_cli: RunCli) -> None:
    page = run_cli("--help").stdout
    rows = page[page.index("\nCommands:\n") : page.index("\nExamples:\n")].splitlines()[2:]

    assert [row.split()[0] for row in rows if row.strip()] == [
        "run",
        "validate",
        "check-deploy",
        "graph",
        "nodes",
        "schema",
        "health",
        "serve",
        "init",
        "secrets",
        "audit",
        "runs",
        "dlq",
    ]
    assert "  dlq           Dead letters: node calls that failed for good." in rows


def test_the_root_group_builds_a_command_only_when_it_is_looked_up() -> None:
    root = typer.main.get_command(app)
    commands = root.commands  # type: ignore[attr-defined]

    assert sorted(commands) == [p[0] for p in COMMANDS if len(p) == 1]
    assert "dlq" in commands and "nope" not in commands and len(commands) == 13
    assert set(commands._built) == {"run"}
    assert commands["runs"].name == "runs" and set(commands._built) == {"run", "runs"}
    assert list(commands)[-1] == "dlq"  # building one keeps the order
    del commands["runs"]
    with pytest.raises(KeyError):
        del commands["runs"]
    commands["extra"] = commands["run"]
    assert list(commands)[-1] == "extra" and len(commands) == 13

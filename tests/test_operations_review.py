"""What a second operations review (issue 9) found, each through the real code path."""

from __future__ import annotations

import os
import socket
from pathlib import Path

import pytest
from helpers import write

from kailash_cli.errors import UsageError
from kailash_cli.load.config import Config
from kailash_cli.model.workflow import Workflow
from kailash_cli.pipeline.interruption import interrupted
from kailash_cli.serve.auth import token_book
from kailash_cli.serve.server import bind
from tests.serve_helpers import HELLO, TOKEN, Client, app, project

AUTH = {"Authorization": f"Bearer {TOKEN}"}


def test_a_token_pasted_into_a_path_or_request_id_is_not_sent_back(tmp_path: Path) -> None:
    with Client(app(project(tmp_path, hello=HELLO), {"KAILASH_API_TOKEN": TOKEN})) as c:
        missing = c.get(f"/runs/{TOKEN}", headers=AUTH)
        echoed = c.get("/health", headers={"X-Request-ID": TOKEN})

    assert missing.status_code == 404
    assert missing.json()["error"]["message"] == "unknown run id '***'; GET /runs lists the runs"
    assert TOKEN not in missing.text
    assert echoed.headers["x-request-id"] != TOKEN and len(echoed.headers["x-request-id"]) == 32


@pytest.mark.parametrize("value", ["", "\n", "  "])
def test_an_empty_api_token_refuses_the_start(value: str) -> None:
    with pytest.raises(UsageError) as info:
        token_book({}, {"KAILASH_API_TOKEN": value}, {})
    assert str(info.value) == (
        "KAILASH_API_TOKEN is set but empty; export the token in it, or unset it to serve without one"
    )
    assert not token_book({}, {}, {}).required  # unset: open, as documented


def test_an_address_not_of_this_machine_names_the_host_as_the_fix() -> None:
    with pytest.raises(UsageError) as info:
        bind("192.0.2.1", 0)  # TEST-NET-1: never an address of this machine
    assert str(info.value).startswith("cannot listen on 192.0.2.1:0: ")
    assert str(info.value).endswith("; use an address of this machine as --host")
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        with pytest.raises(UsageError) as busy:
            bind("127.0.0.1", port)
    assert str(busy.value).endswith("; choose another --port")


def _workflow(path: Path) -> Workflow:
    return Workflow(name="nap", nodes={}, path=path)


def test_the_resume_hint_names_a_config_that_is_not_found_here(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    elsewhere = tmp_path / "proj"
    write(elsewhere / "kailash.yaml", "runtime: {}\n")
    write(tmp_path / "kailash.yaml", "runtime: {}\n")
    wf = elsewhere / "my flow.yaml"

    given = interrupted(_workflow(wf), "r1", Config({}, path=elsewhere / "kailash.yaml"))
    here = interrupted(_workflow(wf), "r1", Config({}, path=tmp_path / "kailash.yaml"))
    none = interrupted(_workflow(wf), "r1", Config({}))

    hint = "run r1 was interrupted and is recorded; continue it with: kailash run 'proj/my flow.yaml'"
    assert str(given) == f"{hint} -c proj/kailash.yaml --resume r1"
    assert str(here) == str(none) == f"{hint} --resume r1"
    assert os.getcwd() == str(tmp_path)


def test_the_resume_hint_names_the_user_the_run_went_as(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    hint = interrupted(_workflow(tmp_path / "wf.yaml"), "r1", Config({}), user="ana lyst")
    assert str(hint).endswith("continue it with: kailash run wf.yaml --user 'ana lyst' --resume r1")


def test_a_serve_token_variable_set_but_empty_says_so() -> None:
    users = {"ana": {"roles": ["a"]}}
    with pytest.raises(UsageError) as info:
        token_book({"tokens": [{"env": "TOK_ANA", "user": "ana"}]}, {"TOK_ANA": " "}, users)
    assert str(info.value) == (
        "serve.tokens[0]: environment variable TOK_ANA is set but empty; export the token in it"
    )

from __future__ import annotations

import io
import json
import os
import pty
import select
import time
from collections.abc import Iterator
from pathlib import Path

import keyring
import pytest
from helpers import KAILASH, RunCli
from keyring.backend import KeyringBackend
from keyring.errors import PasswordDeleteError

from kailash_cli.commands.secrets import secrets_delete, secrets_list, secrets_set
from kailash_cli.errors import UsageError

VALUE = "s3cr3t-V4lue-never-shown"


class MemoryKeyring(KeyringBackend):
    priority = 1  # type: ignore[assignment]

    def __init__(self) -> None:
        super().__init__()
        self.store: dict[tuple[str, str], str] = {}

    def get_password(self, service: str, username: str) -> str | None:
        return self.store.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        self.store[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        if self.store.pop((service, username), None) is None:
            raise PasswordDeleteError(username)


@pytest.fixture
def memory() -> Iterator[MemoryKeyring]:
    previous = keyring.get_keyring()
    backend = MemoryKeyring()
    keyring.set_keyring(backend)
    yield backend
    keyring.set_keyring(previous)


def test_set_list_delete_in_process(memory: MemoryKeyring, capsys) -> None:
    assert secrets_set("db_password", stdin=io.StringIO(VALUE + "\n")) == 0
    assert secrets_set("api.key", stdin=io.StringIO("k-123")) == 0
    assert memory.store[("kailash", "db_password")] == VALUE
    assert json.loads(memory.store[("kailash", "__index__")]) == ["api.key", "db_password"]
    assert secrets_list() == 0
    assert secrets_delete("api.key") == 0
    captured = capsys.readouterr()
    assert captured.out == (
        "stored secret 'db_password' in the keyring (service kailash)\n"
        "stored secret 'api.key' in the keyring (service kailash)\n"
        "api.key\ndb_password\n"
        "deleted secret 'api.key'\n"
    )
    assert VALUE not in captured.out + captured.err
    assert ("kailash", "api.key") not in memory.store


def test_a_terminal_uses_getpass(memory: MemoryKeyring, monkeypatch) -> None:
    class Tty(io.StringIO):
        def isatty(self) -> bool:
            return True

    prompts = []
    monkeypatch.setattr("getpass.getpass", lambda prompt: prompts.append(prompt) or VALUE)
    assert secrets_set("token", stdin=Tty("")) == 0
    assert prompts == ["value for secret token (not echoed): "]
    assert memory.store[("kailash", "token")] == VALUE


@pytest.mark.parametrize("given", ["", "\n", "\r\n"])
def test_an_empty_value_is_refused(memory: MemoryKeyring, given: str) -> None:
    with pytest.raises(UsageError) as info:
        secrets_set("x", stdin=io.StringIO(given))
    assert str(info.value) == "empty value for secret 'x'; nothing stored (pipe the value on stdin)"
    assert memory.store == {}


def test_only_one_trailing_newline_is_removed(memory: MemoryKeyring) -> None:
    secrets_set("x", stdin=io.StringIO(" a b \n\n"))
    assert memory.store[("kailash", "x")] == " a b \n"


@pytest.mark.parametrize("name", ["__index__", "", "a b", "a/b", "naïve"])
def test_bad_names_are_refused(memory: MemoryKeyring, name: str) -> None:
    with pytest.raises(UsageError, match="^secret name '.*' is not allowed"):
        secrets_set(name, stdin=io.StringIO("v"))
    with pytest.raises(UsageError, match="^secret name"):
        secrets_delete(name)
    assert memory.store == {}


def test_delete_unknown_and_stale_index(memory: MemoryKeyring, capsys) -> None:
    memory.store[("kailash", "__index__")] = json.dumps(["gone"])
    with pytest.raises(UsageError) as info:
        secrets_delete("gone")
    assert str(info.value) == (
        "no secret named 'gone' in the keyring (service kailash); see `kailash secrets list`"
    )
    assert json.loads(memory.store[("kailash", "__index__")]) == []
    with pytest.raises(UsageError):
        secrets_delete("never")


def test_a_damaged_index_lists_nothing(memory: MemoryKeyring, capsys) -> None:
    memory.store[("kailash", "__index__")] = "{not json"
    assert secrets_list() == 0
    assert capsys.readouterr().err == "no secrets stored (add one with `kailash secrets set NAME`)\n"
    memory.store[("kailash", "__index__")] = json.dumps({"a": 1})
    secrets_set("b", stdin=io.StringIO("v"))
    assert json.loads(memory.store[("kailash", "__index__")]) == ["b"]


# end to end, through the CLI and the keyrings.alt file backend


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    return {
        "PYTHON_KEYRING_BACKEND": "keyrings.alt.file.PlaintextKeyring",
        "XDG_DATA_HOME": str(tmp_path / "data"),
        "HOME": str(tmp_path / "home"),
    }


def test_end_to_end(run_cli: RunCli, env: dict[str, str], tmp_path: Path) -> None:
    set_ = run_cli("secrets", "set", "db_password", extra_env=env, input=VALUE + "\n", cwd=tmp_path)
    assert (set_.returncode, set_.stdout, set_.stderr) == (
        0,
        "stored secret 'db_password' in the keyring (service kailash)\n",
        "",
    )
    stored = run_cli("secrets", "set", "api_key", extra_env=env, input="other-value", cwd=tmp_path)
    assert stored.returncode == 0
    listed = run_cli("secrets", "list", extra_env=env, cwd=tmp_path)
    assert (listed.returncode, listed.stdout, listed.stderr) == (0, "api_key\ndb_password\n", "")
    assert list((tmp_path / "data").rglob("*.cfg"))  # the test backend's file, not the real keyring
    assert not (tmp_path / "home").exists()

    resolved = run_cli("secrets", "delete", "db_password", extra_env=env, cwd=tmp_path)
    assert (resolved.returncode, resolved.stdout) == (0, "deleted secret 'db_password'\n")
    again = run_cli("secrets", "delete", "db_password", extra_env=env, cwd=tmp_path)
    assert (again.returncode, again.stdout, again.stderr) == (
        2,
        "",
        "error: no secret named 'db_password' in the keyring (service kailash); see `kailash secrets list`\n",
    )
    assert run_cli("secrets", "list", extra_env=env, cwd=tmp_path).stdout == "api_key\n"
    for result in (set_, listed, resolved, again):
        assert VALUE not in result.stdout + result.stderr


def test_end_to_end_the_secret_is_readable_by_runs(
    run_cli: RunCli, env: dict[str, str], tmp_path: Path
) -> None:
    run_cli("secrets", "set", "tok", extra_env=env, input=VALUE, cwd=tmp_path)
    import subprocess
    import sys

    code = (
        "from kailash_cli.pipeline.secrets import resolve; "
        "print(resolve({'t': {'keyring': 'tok'}}, {})['t'] == %r)"
    )
    check = subprocess.run(
        [sys.executable, "-c", code % VALUE],
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        check=False,
    )
    assert check.stdout == "True\n"


def test_end_to_end_empty_value(run_cli: RunCli, env: dict[str, str], tmp_path: Path) -> None:
    result = run_cli("secrets", "set", "x", extra_env=env, input="", cwd=tmp_path)
    assert (result.returncode, result.stdout, result.stderr) == (
        2,
        "",
        "error: empty value for secret 'x'; nothing stored (pipe the value on stdin)\n",
    )


@pytest.mark.parametrize(
    ("backend", "kind"),
    [("keyring.backends.fail.Keyring", "NoKeyringError"), ("no_such_module.Keyring", "ModuleNotFoundError")],
)
def test_end_to_end_no_usable_backend(
    run_cli: RunCli, env: dict[str, str], tmp_path: Path, backend: str, kind: str
) -> None:
    for args in (("set", "x"), ("list",), ("delete", "x")):
        result = run_cli(
            "secrets", *args, extra_env={**env, "PYTHON_KEYRING_BACKEND": backend}, input="v", cwd=tmp_path
        )
        assert result.returncode == 2
        assert result.stdout == ""
        assert result.stderr.startswith(f"error: the keyring is not usable ({kind}: ")
        assert result.stderr.endswith(
            "install a keyring backend, or give the secret through `env:` in the workflow\n"
        )
        assert result.stderr.count("\n") == 1


@pytest.mark.e2e
def test_on_a_terminal_the_value_is_not_echoed(env: dict[str, str], tmp_path: Path) -> None:
    pid, fd = pty.fork()
    if pid == 0:  # pragma: no cover - the child process execs kailash
        os.chdir(tmp_path)
        os.execve(KAILASH, [KAILASH, "secrets", "set", "tty_secret"], {**os.environ, **env, "NO_COLOR": "1"})
    seen = _read_until(fd, b"(not echoed): ")
    os.write(fd, VALUE.encode() + b"\n")
    seen += _read_until(fd, None)
    _, status = os.waitpid(pid, 0)
    os.close(fd)
    assert os.waitstatus_to_exitcode(status) == 0
    assert VALUE.encode() not in seen
    assert b"stored secret 'tty_secret'" in seen


def _read_until(fd: int, marker: bytes | None, timeout: float = 30) -> bytes:
    data = b""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and (marker is None or marker not in data):
        ready, _, _ = select.select([fd], [], [], 0.1)
        if ready:
            try:
                chunk = os.read(fd, 4096)
            except OSError:  # the child closed the terminal
                break
            if not chunk:
                break
            data += chunk
    return data

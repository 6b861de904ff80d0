from __future__ import annotations

from collections.abc import Iterator

import keyring
import pytest
from keyring.backend import KeyringBackend
from keyring.errors import KeyringError

from kailash_cli.errors import UsageError
from kailash_cli.pipeline.secrets import KEYRING_SERVICE, resolve


class MemoryKeyring(KeyringBackend):
    priority = 1  # type: ignore[assignment]

    def __init__(self, values: dict[tuple[str, str], str] | None = None, broken: bool = False) -> None:
        super().__init__()
        self.values = values or {}
        self.broken = broken

    def get_password(self, service: str, username: str) -> str | None:
        if self.broken:
            raise KeyringError("no backend")
        return self.values.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        self.values[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        self.values.pop((service, username), None)


@pytest.fixture
def use_keyring() -> Iterator[object]:
    previous = keyring.get_keyring()

    def install(backend: KeyringBackend) -> None:
        keyring.set_keyring(backend)

    yield install
    keyring.set_keyring(previous)


def test_env_source() -> None:
    assert resolve({"token": {"env": "API_TOKEN"}}, {"API_TOKEN": "t-1"}) == {"token": "t-1"}


def test_sources_are_tried_in_the_order_written(use_keyring) -> None:
    use_keyring(MemoryKeyring({(KEYRING_SERVICE, "api_key"): "from-keyring"}))
    declared = {
        "a": {"keyring": "api_key", "env": "API_KEY"},
        "b": {"env": "API_KEY", "keyring": "api_key"},
        "c": {"keyring": "other", "env": "API_KEY"},
    }
    assert resolve(declared, {"API_KEY": "from-env"}) == {
        "a": "from-keyring",
        "b": "from-env",
        "c": "from-env",
    }


def test_broken_keyring_falls_through_to_the_next_source(use_keyring) -> None:
    use_keyring(MemoryKeyring(broken=True))
    assert resolve({"a": {"keyring": "k", "env": "K"}}, {"K": "v"}) == {"a": "v"}


def test_empty_value_counts_as_missing() -> None:
    with pytest.raises(UsageError) as info:
        resolve({"a": {"env": "K"}}, {"K": ""})
    assert str(info.value) == (
        "secret 'a' not found (tried env 'K'); set it with `kailash secrets set` or export the variable"
    )


def test_every_missing_secret_is_named(use_keyring) -> None:
    use_keyring(MemoryKeyring())
    with pytest.raises(UsageError) as info:
        resolve({"a": {"keyring": "ka", "env": "A"}, "b": {"env": "B"}, "c": {"env": "C"}}, {"C": "ok"})
    assert str(info.value).splitlines() == [
        "secret 'a' not found (tried keyring 'ka', env 'A'); set it with `kailash secrets set` "
        "or export the variable",
        "secret 'b' not found (tried env 'B'); set it with `kailash secrets set` or export the variable",
    ]
    assert info.value.exit_code == 2

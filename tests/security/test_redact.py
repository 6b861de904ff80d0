from __future__ import annotations

import datetime
import json
import time

import pytest

from kailash_cli.security.redact import Redactor


def test_every_occurrence_is_replaced() -> None:
    r = Redactor(["s3cr3t-token"])
    assert r.text("a s3cr3t-token b s3cr3t-token") == "a *** b ***"
    assert r.text("nothing here") == "nothing here"


def test_longest_value_first_hides_the_whole_secret() -> None:
    r = Redactor(["abcd", "abcdefgh"])
    assert r.text("key=abcdefgh") == "key=***"
    assert r.text("key=abcd1234") == "key=***1234"
    assert r.values == ("abcdefgh", "abcd")


def test_overlapping_and_adjacent_secrets() -> None:
    r = Redactor(["passw0rd", "0rd-x"])
    assert r.text("passw0rdpassw0rd") == "******"
    assert "passw0rd" not in r.text("xpassw0rd-x") and "0rd-x" not in r.text("xpassw0rd-x")


def test_regex_characters_in_a_secret_are_literal() -> None:
    r = Redactor(["a.b*c(d)[e]"])
    assert r.text("x a.b*c(d)[e] y aXbbc") == "x *** y aXbbc"


def test_short_values_are_still_redacted() -> None:
    """Trade-off: a 2-character secret also hides unrelated matches."""
    r = Redactor(["ab"])
    assert r.text("table ab") == "t***le ***"


def test_empty_values_are_ignored() -> None:
    r = Redactor(["", "tok3n-value"])
    assert r.text("x") == "x"
    assert r.values == ("tok3n-value",)


def test_secret_inside_json_text_is_redacted() -> None:
    secret = 'pa"ss\\word'
    r = Redactor([secret])
    assert secret not in r.text(json.dumps({"p": secret}))
    assert r.text(json.dumps({"p": secret})) == '{"p": "***"}'
    assert r.text(f"raw {secret}") == "raw ***"


def test_value_redacts_recursively_including_keys() -> None:
    r = Redactor(["hunter22"])
    data = {
        "user": "bob",
        "hunter22": 1,
        "nested": [{"pw": "x-hunter22-x"}, ("hunter22", 5)],
        7: "hunter22",
        "n": 22,
        "none": None,
    }
    assert r.value(data) == {
        "user": "bob",
        "***": 1,
        "nested": [{"pw": "x-***-x"}, ("***", 5)],
        7: "***",
        "n": 22,
        "none": None,
    }
    assert data["nested"][0] == {"pw": "x-hunter22-x"}  # input unchanged


def test_no_secrets_is_the_identity() -> None:
    r = Redactor([])
    data = {"a": ["b"]}
    assert r.value(data) is data
    assert r.text("s") == "s"
    assert not r
    assert Redactor(["x"])


def test_a_1000_key_dict_with_3_secrets_is_fast() -> None:
    r = Redactor(["first-secret-value", "second-secret", "third"])
    data = {
        f"key_{i}": f"value {i} with some text second-secret" if i % 10 == 0 else f"value {i}"
        for i in range(1000)
    }
    best = min(_timed(lambda: r.value(data)) for _ in range(5))
    redacted = r.value(data)
    assert redacted["key_0"] == "value 0 with some text ***"
    assert redacted["key_1"] == "value 1"
    assert best < 0.010, f"redacting 1000 keys took {best * 1000:.1f} ms"


def test_no_secrets_costs_nothing_on_big_values() -> None:
    r = Redactor([])
    data = {f"k{i}": [i] * 10 for i in range(10_000)}
    assert min(_timed(lambda: r.value(data)) for _ in range(3)) < 0.0005


def _timed(call) -> float:
    """CPU seconds this thread spent in ``call``: other processes on a busy machine do not count."""
    start = time.thread_time()
    call()
    return time.thread_time() - start


@pytest.mark.parametrize("secret", ["tok\nen", "ünïcødé-sécret"])
def test_unusual_characters(secret: str) -> None:
    assert Redactor([secret]).text(f"<{secret}>") == "<***>"


def test_bytes_sets_and_objects_holding_a_secret_become_redacted_text() -> None:
    class Holder:
        def __str__(self) -> str:
            return "holder of s3cr3t-v4lue"

    when = datetime.date(2026, 1, 2)
    r = Redactor(["s3cr3t-v4lue"])
    value = {
        "raw": b"s3cr3t-v4lue",
        "set": {"s3cr3t-v4lue"},
        "obj": Holder(),
        "err": ValueError("s3cr3t-v4lue"),
    }
    assert r.value(value) == {"raw": "b'***'", "set": "{'***'}", "obj": "holder of ***", "err": "***"}
    # values without a secret keep their type (json's default=str turns them into text later)
    plain = {"raw": b"abc", "set": frozenset({1}), "when": when, "n": 3, "none": None}
    assert r.value(plain) == plain
    assert r.value(plain)["when"] is when


def test_an_object_whose_str_fails_is_left_as_it_is() -> None:
    class Broken:
        def __str__(self) -> str:
            raise RuntimeError("no")

    broken = Broken()
    assert Redactor(["x1y2"]).value([broken]) == [broken]


@pytest.mark.parametrize(
    "shown",
    [
        "GET /x?api_key=sk%2BZx%2Fy%3D1+2%26k&q=1",  # form-encoded (httpx params)
        "GET /x?api_key=sk%2BZx%2Fy%3D1%202%26k",  # URL-encoded
        "GET /x?api_key=sk%2bZx%2fy%3d1%202%26k",  # lower-case hex
        '{"key": "sk+Zx/y=1 2&k"}',  # JSON text
    ],
)
def test_a_secret_is_redacted_in_the_encodings_kailash_writes(shown: str) -> None:
    redacted = Redactor(["sk+Zx/y=1 2&k"]).text(shown)

    assert "Zx" not in redacted
    assert "***" in redacted


def test_a_url_password_is_redacted_in_any_message_secrets_or_not() -> None:
    message = "GET http://user:hunter2@example.com/y failed; also postgresql://u:p%40ss@db/x"

    assert (
        Redactor(()).value(message)
        == "GET http://user:***@example.com/y failed; also postgresql://u:***@db/x"
    )
    assert Redactor(["other"]).text(message) == Redactor(()).text(message)


def test_a_url_without_a_password_is_left_alone() -> None:
    assert (
        Redactor(()).text("see https://user@example.com:8443/a:b@c")
        == "see https://user@example.com:8443/a:b@c"
    )


@pytest.mark.parametrize(
    ("secret", "written"),
    [
        ("pässwörd-€-1234", str("pässwörd-€-1234".encode())),  # a non-ASCII secret as bytes
        ("pässwörd-€-1234", json.dumps({"line": str("pässwörd-€-1234".encode())})),  # in a JSON log line
        ("tok en+123456", "GET http://h/x?key=tok%20en+123456 returned 404"),  # httpx's query
        ('sk+Ab/cd=ef"gh 12&x', "/p/sk+Ab/cd=ef%22gh%2012&x/q"),  # and path encoding
    ],
)
def test_secrets_in_the_forms_bytes_and_http_clients_write(secret: str, written: str) -> None:
    redacted = Redactor([secret]).text(written)
    assert "***" in redacted
    assert not any(part in redacted for part in ("ssw", "tok", "gh"))

"""MaskedValues: the values masking rules mask, learned by key, replaced in text."""

from __future__ import annotations

from typing import Any

from kailash_cli.security.access import AccessControl, User, mask_value
from kailash_cli.security.masked import MIN_LENGTH, MaskedValues

RULES = {
    "ssn": {"mask": "partial", "visible_chars": 4},
    "email": {"mask": "hash"},
    "salary": {"mask": "range", "buckets": [0, 50000, 100000]},
    "address": {"mask": "full"},
}


def learned(*values: Any) -> MaskedValues:
    masked = MaskedValues(RULES, mask_value)
    for value in values:
        masked.learn(value)
    return masked


def test_values_are_learned_by_key_at_any_depth_in_any_case_and_replaced_where_they_stand_whole() -> None:
    masked = learned({"rows": [{"SSN": "123-45-6789"}, ({"Salary": 72000.5},)], "name": "Ada Lovelace"})
    assert masked.text("ssn=123-45-6789; pay 72000.5.") == "ssn=*******6789; pay 50000-100000."
    assert masked.text("x123-45-6789 and 172000.5 and 72000.51") == "x123-45-6789 and 172000.5 and 72000.51"
    assert masked.text("Ada Lovelace") == "Ada Lovelace"  # no rule for name
    assert masked.text("") == "" and masked.text("123") == "123"


def test_a_masked_container_is_masked_leaf_by_leaf_as_a_whole_and_short_or_odd_leaves_are_kept() -> None:
    masked = learned({"address": {"street": "1 Main Street", "zip": ["12345", 7, True, None, {"x"}]}})
    assert masked.text("at 1 Main Street, 12345") == "at ***, ***"
    assert masked.text("7 True None") == "7 True None"  # short (under MIN_LENGTH), bool, None: never replaced
    assert MIN_LENGTH == 4


def test_the_longest_value_wins_and_encoded_forms_are_replaced_too() -> None:
    masked = learned({"ssn": "1234"}, [{"ssn": "1234-5678"}], {"email": "ada+x@example.com"})
    assert masked.text("1234-5678 / 1234") == "*****5678 / ****"
    email = mask_value("ada+x@example.com", RULES["email"])
    assert masked.text("?to=ada%2Bx%40example.com&") == f"?to={email}&"
    assert masked.value({"e": ["ada+x@example.com", 3]}) == {"e": [email, 3]}
    assert masked.value(("1234",)) == ("****",) and masked.value(5) == 5


def test_a_value_equal_to_its_mask_or_a_container_seen_before_or_holding_itself_is_harmless() -> None:
    masked = MaskedValues({"code": {"mask": "partial", "visible_chars": 4}}, mask_value)
    masked.learn({"code": "***x"})
    masked.learn({"code": "****"})  # its own mask: nothing to hide
    loop: list[Any] = [{"code": "abcd"}]
    loop.append(loop)
    masked.learn({"rows": loop})
    masked.learn({"rows": loop})  # the same container: not searched again
    masked.learn(loop)
    circular: dict[str, Any] = {"code": None}
    masked.learn(circular)
    assert masked.text("abcd ***x ****") == "**** **** ****"


def test_only_the_rules_that_apply_to_the_user_learn_and_none_when_none_applies() -> None:
    access = AccessControl(
        {"ann": {"attributes": {"clearance": "secret"}}},
        {},
        {"ssn": {"when": "${user.attributes.clearance != 'secret'}", "mask": "full"}},
    )
    assert access.masked_values(access.user("ann")) is None
    anonymous = access.masked_values(User(""))  # a when that cannot be evaluated masks
    assert anonymous is not None and set(anonymous.rules) == {"ssn"}
    assert AccessControl({}, {}, {}).masked_values(User("x")) is None

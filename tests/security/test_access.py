from __future__ import annotations

import hashlib
import os

import pytest

from kailash_cli.errors import AccessDeniedError
from kailash_cli.security.access import AccessControl, User, mask_value

CONFIG = {
    "strategy": "abac",
    "users": {
        "analyst_001": {"roles": ["analyst"], "attributes": {"clearance": "confidential", "access_level": 5}},
        "boss": {"roles": ["admin"], "attributes": {"clearance": "secret", "access_level": 9}},
        "intern": {},
    },
    "roles": {
        "viewer": {"permissions": ["read"]},
        "analyst": {"permissions": ["execute"], "inherits": ["viewer"]},
        "admin": {"permissions": ["admin"], "inherits": ["analyst", "loop_a"]},
        "loop_a": {"inherits": ["loop_b"]},
        "loop_b": {"inherits": ["loop_a", "admin"]},
    },
    "masking_rules": {
        "ssn": {"when": "${user.attributes.clearance != 'secret'}", "mask": "partial", "visible_chars": 4},
        "email": {"mask": "hash"},
        "age": {"mask": "range", "buckets": [65, 0, 18]},
        "salary": {"when": "${'admin' not in user.roles}", "mask": "full"},
    },
}


@pytest.fixture
def ac() -> AccessControl:
    return AccessControl.from_config(CONFIG)


def test_user_lookup(ac: AccessControl) -> None:
    assert ac.user("analyst_001") == User(
        "analyst_001", ("analyst",), {"clearance": "confidential", "access_level": 5}
    )
    assert ac.user("intern") == User("intern", (), {})
    assert ac.strategy == "abac"


@pytest.mark.parametrize("user_id", ["mallory", "", "ANALYST_001", "__class__"])
def test_unknown_user_is_denied(ac: AccessControl, user_id: str) -> None:
    with pytest.raises(AccessDeniedError) as info:
        ac.user(user_id)
    assert str(info.value) == (
        f"access denied: unknown user '{user_id}' (known users: analyst_001, boss, "
        "intern); add it under access_control.users in kailash.yaml"
    )
    assert info.value.exit_code == 1


def test_unknown_user_with_no_users_configured() -> None:
    with pytest.raises(AccessDeniedError, match=r"\(known users: none\)"):
        AccessControl.from_config({}).user("x")


def test_roles_are_inherited_and_cycles_end(ac: AccessControl) -> None:
    assert ac.roles(ac.user("analyst_001")) == {"analyst", "viewer"}
    assert ac.roles(ac.user("boss")) == {"admin", "analyst", "viewer", "loop_a", "loop_b"}
    assert ac.roles(User("x", ("undefined",))) == {"undefined"}
    assert ac.permissions(ac.user("analyst_001")) == {"execute", "read"}
    assert ac.permissions(ac.user("boss")) == {"admin", "execute", "read"}


def test_rbac_needs_one_of_the_roles(ac: AccessControl) -> None:
    nodes = {"load": {"roles": ["viewer"]}, "pay": {"roles": ["admin", "finance"]}, "free": None, "open": {}}
    assert ac.denials(ac.user("boss"), nodes) == []
    assert ac.denials(ac.user("analyst_001"), nodes) == [
        "access denied: user 'analyst_001' may not run node 'pay': needs one of roles [admin, finance] "
        "(has [analyst, viewer])"
    ]
    assert ac.denials(ac.user("intern"), nodes) == [
        "access denied: user 'intern' may not run node 'load': needs one of roles [viewer] (has [])",
        "access denied: user 'intern' may not run node 'pay': needs one of roles [admin, finance] (has [])",
    ]


def test_a_user_cannot_claim_a_role_through_attributes() -> None:
    ac = AccessControl.from_config({"users": {"eve": {"roles": [], "attributes": {"roles": ["admin"]}}}})
    assert ac.denials(ac.user("eve"), {"n": {"roles": ["admin"]}}) != []


@pytest.mark.parametrize(
    ("when", "allowed"),
    [
        ("${user.attributes.access_level >= 5}", {"analyst_001", "boss"}),
        ("${user.attributes.clearance == 'secret'}", {"boss"}),
        ("${'admin' in user.roles}", {"boss"}),
        ("${'viewer' in user.roles}", {"analyst_001", "boss"}),  # inherited roles count
        ("${user.id == 'intern'}", {"intern"}),
        ("user.id == 'intern'", {"intern"}),  # a bare expression is accepted too
        ("  ${user.id == 'boss' or user.id == 'intern'}  ", {"boss", "intern"}),
    ],
)
def test_abac_conditions(ac: AccessControl, when: str, allowed: set[str]) -> None:
    ok = {u for u in ("analyst_001", "boss", "intern") if not ac.denials(ac.user(u), {"n": {"when": when}})}
    assert ok == allowed


def test_abac_denial_message(ac: AccessControl) -> None:
    assert ac.denials(ac.user("analyst_001"), {"n": {"when": "${user.attributes.access_level > 7}"}}) == [
        "access denied: user 'analyst_001' may not run node 'n': condition "
        "${user.attributes.access_level > 7} is false"
    ]


def test_roles_and_when_both_apply(ac: AccessControl) -> None:
    perms = {"n": {"roles": ["analyst"], "when": "${user.attributes.access_level > 7}"}}
    assert ac.denials(ac.user("boss"), perms) == []
    assert len(ac.denials(ac.user("analyst_001"), perms)) == 1


@pytest.mark.parametrize(
    "attack",
    [
        "${user.__class__}",
        "${user.__class__.__mro__}",
        "${().__class__.__bases__[0].__subclasses__()}",
        "${().__class__}",
        "${__import__('os').system('touch /tmp/kailash-pwned')}",
        "${open('/etc/passwd')}",
        "${user.id.upper() == 'BOSS'}",
        "${user['__class__']}",
        "${[c for c in user.roles]}",
        "${lambda: True}",
        "${HOME == HOME}",  # the environment is not visible to conditions
        "${user.attributes}",  # truthy but not true
        "${1}",
        "${'yes'}",
        "${true} ${true}",  # two expressions: text, not a boolean
        "${true}extra",
        "${",
        "${}",
        "${user.roles.count('admin')}",
        "${len(user.attributes.__dict__)}",
        "${(1).__class__}",
        "${user.attributes.clearance == 'secret' if True else True}",
        "${f'{user}'}",
    ],
)
def test_expression_injection_fails_closed(ac: AccessControl, attack: str) -> None:
    nodes = {"n": {"when": attack}}
    for user_id in ("analyst_001", "boss", "intern"):
        denial = ac.denials(ac.user(user_id), nodes)
        assert len(denial) == 1
        assert denial[0].startswith(f"access denied: user '{user_id}' may not run node 'n': condition ")
    assert not ac.allows(attack, ac.user("boss"))
    assert not os.path.exists("/tmp/kailash-pwned")


def test_injection_reports_why(ac: AccessControl) -> None:
    (message,) = ac.denials(ac.user("boss"), {"n": {"when": "${user.__class__}"}})
    assert message == (
        "access denied: user 'boss' may not run node 'n': condition ${user.__class__} cannot "
        "be evaluated, so it is treated as false: expression 'user.__class__' reads "
        "'__class__'; names starting with '_' are not allowed"
    )


def test_require_raises_with_every_denial(ac: AccessControl) -> None:
    ac.require(ac.user("boss"), {"a": {"roles": ["admin"]}})
    with pytest.raises(AccessDeniedError) as info:
        ac.require(ac.user("intern"), {"a": {"roles": ["admin"]}, "b": {"when": "${false}"}})
    assert info.value.lines() == [
        "error: access denied: user 'intern' may not run node 'a': needs one of roles [admin] (has [])",
        "error: access denied: user 'intern' may not run node 'b': condition ${false} is false",
    ]


# masking


def test_masking_at_any_depth_and_any_key_case(ac: AccessControl) -> None:
    data = {
        "rows": [{"name": "Ann", "ssn": "123-45-6789", "meta": {"SSN": "987654321"}}],
        "ssn": None,
        "count": 1,
    }
    masked = ac.mask(data, ac.user("analyst_001"))
    assert masked == {
        "rows": [{"name": "Ann", "ssn": "*******6789", "meta": {"SSN": "*****4321"}}],
        "ssn": None,
        "count": 1,
    }
    assert data["rows"][0]["ssn"] == "123-45-6789"


def test_masking_when_depends_on_the_user(ac: AccessControl) -> None:
    data = {"ssn": "123-45-6789", "salary": 100_000}
    assert ac.mask(data, ac.user("boss")) == {"ssn": "123-45-6789", "salary": 100_000}
    assert ac.mask(data, ac.user("analyst_001")) == {"ssn": "*******6789", "salary": "***"}


def test_a_broken_or_non_boolean_when_masks(ac: AccessControl) -> None:
    rules = {
        "a": {"when": "${user.__class__}", "mask": "full"},
        "b": {"when": "${user.id}", "mask": "full"},
        "c": {"when": "${false}", "mask": "full"},
    }
    ac2 = AccessControl({"u": {}}, {}, rules)
    assert ac2.mask({"a": 1, "b": 2, "c": 3}, ac2.user("u")) == {"a": "***", "b": "***", "c": 3}


def test_a_masked_container_is_not_searched_further(ac: AccessControl) -> None:
    masked = ac.mask({"salary": {"base": 1, "ssn": "x"}, "email": ["a@b.c"]}, ac.user("intern"))
    assert masked == {"salary": "***", "email": "sha256:" + hashlib.sha256(b'["a@b.c"]').hexdigest()}


def test_no_active_rule_returns_the_value_itself() -> None:
    ac = AccessControl.from_config({"users": {"u": {}}})
    data = {"ssn": "1"}
    assert ac.mask(data, ac.user("u")) is data


@pytest.mark.parametrize(
    ("value", "visible", "expected"),
    [
        ("123456789", 4, "*****6789"),
        ("1234", 4, "****"),
        ("12", 4, "**"),
        ("secret", 0, "******"),
        (123456789, 2, "*******89"),
        ("", 4, ""),
    ],
)
def test_partial(value: object, visible: int, expected: str) -> None:
    assert mask_value(value, {"mask": "partial", "visible_chars": visible}) == expected


def test_full_and_hash() -> None:
    assert mask_value("x", {"mask": "full"}) == "***"
    assert mask_value(12, {"mask": "full"}) == "***"
    assert mask_value("a@b.c", {"mask": "hash"}) == "sha256:" + hashlib.sha256(b"a@b.c").hexdigest()
    assert mask_value(None, {"mask": "full"}) is None


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (42, "18-65"),
        (18, "18-65"),
        (17.9, "0-18"),
        (0, "0-18"),
        (-1, "<0"),
        (65, ">=65"),
        (200, ">=65"),
        ("42", "***"),
        (True, "***"),
        (float("nan"), "***"),
    ],
)
def test_range_buckets(value: object, expected: str) -> None:
    assert mask_value(value, {"mask": "range", "buckets": [65, 0, 18]}) == expected


def test_range_without_buckets_and_fractional_edges() -> None:
    assert mask_value(5, {"mask": "range"}) == "***"
    assert mask_value(0.7, {"mask": "range", "buckets": [0.5, 1]}) == "0.5-1"

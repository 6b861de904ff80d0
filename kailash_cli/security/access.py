"""Access control from ``access_control``: users, roles (with inheritance), RBAC, ABAC, masking.

``when`` conditions are ``${...}`` expressions over ``user.id``, ``user.roles`` (the
effective roles, inherited ones included) and ``user.attributes``, evaluated by the safe
evaluator of :mod:`kailash_cli.model.evaluation`. Everything fails closed: a condition that
does not parse, is not allowed, fails to evaluate or is not exactly ``true`` denies the
node, and makes a masking rule apply.
"""

from __future__ import annotations

import functools
import hashlib
import hmac
import json
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from kailash_cli.errors import AccessDeniedError, UsageError
from kailash_cli.model.evaluation import Scope, evaluate
from kailash_cli.model.expressions import Expr, ExpressionError, parse_expr, parse_template
from kailash_cli.security.masked import MaskedValues

FULL_MASK = "***"


@dataclass(frozen=True)
class User:
    id: str
    roles: tuple[str, ...] = ()
    attributes: Mapping[str, Any] = field(default_factory=dict)


@functools.lru_cache(maxsize=256)
def _parse_condition(text: str) -> Expr:
    """A condition: exactly one ``${expr}``, or a bare expression. Raises ExpressionError."""
    parsed = parse_template(text.strip())
    if isinstance(parsed, str):
        return parse_expr(parsed)
    if not parsed.whole:
        raise ExpressionError(f"condition '{text}' must be one ${{...}} expression")
    return parsed.exprs[0]


class AccessControl:
    """Who may run which node, and what each user sees. Build with :meth:`from_config`."""

    def __init__(
        self,
        users: Mapping[str, Mapping[str, Any]],
        roles: Mapping[str, Mapping[str, Any]],
        masking_rules: Mapping[str, Mapping[str, Any]],
        strategy: str = "rbac",
    ) -> None:
        self._users = users
        self._roles = roles
        self._rules = {str(k).lower(): v for k, v in masking_rules.items()}
        self.strategy = strategy

    @classmethod
    def from_config(
        cls, access_control: Mapping[str, Any], environ: Mapping[str, str] | None = None
    ) -> AccessControl:
        """From the ``access_control`` section (already schema-valid); a masking rule's
        ``key_env`` is read from ``environ`` (default: this process's) now, so a missing key
        stops the run before anything is masked with a guessable hash."""
        rules = dict(access_control.get("masking_rules") or {})
        for name, rule in rules.items():
            if isinstance(rule, Mapping) and rule.get("key_env"):
                key = (os.environ if environ is None else environ).get(str(rule["key_env"]))
                if not key:
                    raise UsageError(
                        f"masking rule '{name}': environment variable {rule['key_env']} (key_env) is not set;"
                        " "
                        "set it to a long random secret"
                    )
                rules[name] = {**rule, "_key": key.encode("utf-8")}
        return cls(
            access_control.get("users") or {},
            access_control.get("roles") or {},
            rules,
            access_control.get("strategy", "rbac"),
        )

    def user(self, user_id: str) -> User:
        """The user; AccessDeniedError naming the user and the fix when unknown."""
        spec = self._users.get(user_id)
        if not isinstance(spec, Mapping):
            known = ", ".join(sorted(self._users)) or "none"
            raise AccessDeniedError(
                f"access denied: unknown user '{user_id}' (known users: {known}); "
                "add it under access_control.users in kailash.yaml"
            )
        return User(user_id, tuple(spec.get("roles") or ()), dict(spec.get("attributes") or {}))

    def roles(self, user: User) -> frozenset[str]:
        """The user's roles and every role they inherit, transitively (cycles are harmless)."""
        seen: set[str] = set()
        todo = list(user.roles)
        while todo:
            role = todo.pop()
            if role in seen:
                continue
            seen.add(role)
            spec = self._roles.get(role)
            todo.extend((spec.get("inherits") or ()) if isinstance(spec, Mapping) else ())
        return frozenset(seen)

    def permissions(self, user: User) -> frozenset[str]:
        """The ``permissions`` of all the user's effective roles."""
        found: set[str] = set()
        for role in self.roles(user):
            spec = self._roles.get(role)
            found.update((spec.get("permissions") or ()) if isinstance(spec, Mapping) else ())
        return frozenset(found)

    def execute_denial(self, user: User) -> str | None:
        """Why ``user`` may run no node at all, or None. With ``strategy: rbac`` (the default),
        once a role of theirs lists ``permissions`` in the roles table, one of their roles must
        grant ``execute``; with ``abac`` the nodes' own rules (``when`` over attributes) decide."""
        if self.strategy == "abac":
            return None
        listed = [r for r in sorted(self.roles(user)) if "permissions" in (self._roles.get(r) or {})]
        if not listed or "execute" in self.permissions(user):
            return None
        return (
            f"access denied: user '{user.id}' may not run nodes: none of roles [{', '.join(listed)}] "
            "grants execute (add it to a role's permissions in access_control.roles)"
        )

    def allows(self, condition: str, user: User) -> bool:
        """True only when ``condition`` evaluates to exactly true for ``user``."""
        return self._condition(condition, user) is None

    def denials(self, user: User, nodes: Mapping[str, Mapping[str, Any] | None]) -> list[str]:
        """One message per node (id -> its ``permissions``) the user may not run, in node order.

        A node's declared rules always apply, whatever ``strategy`` says: ``roles``
        (the user needs one of them) and ``when`` (must be true).
        """
        messages = []
        for node_id, permissions in nodes.items():
            reason = self._node_denial(user, permissions or {})
            if reason:
                messages.append(f"access denied: user '{user.id}' may not run node '{node_id}': {reason}")
        return messages

    def require(self, user: User, nodes: Mapping[str, Mapping[str, Any] | None]) -> None:
        """Raise AccessDeniedError listing every denial, if there is any."""
        found = self.denials(user, nodes)
        if found:
            raise AccessDeniedError("\n".join(found))

    def _node_denial(self, user: User, permissions: Mapping[str, Any]) -> str | None:
        needed = permissions.get("roles")
        if needed:
            has = self.roles(user)
            if not has.intersection(needed):
                return f"needs one of roles [{', '.join(needed)}] (has [{', '.join(sorted(has))}])"
        when = permissions.get("when")
        if when is not None:
            return self._condition(str(when), user)
        return None

    def _condition(self, condition: str, user: User) -> str | None:
        """None when the condition is exactly true, else why not."""
        result, error = self._evaluate(condition, user)
        if error is not None:
            return f"condition {condition} cannot be evaluated, so it is treated as false: {error}"
        if result is not True:
            return f"condition {condition} is {json.dumps(result, default=str)}"
        return None

    def _evaluate(self, condition: str, user: User) -> tuple[Any, str | None]:
        try:
            scope = Scope(
                {
                    "user": {
                        "id": user.id,
                        "roles": sorted(self.roles(user)),
                        "attributes": dict(user.attributes),
                    }
                },
                environ={},
            )
            return evaluate(_parse_condition(condition), scope), None
        except ExpressionError as e:
            return None, str(e)

    def mask(self, value: Any, user: User) -> Any:
        """``value`` with the user's masking rules applied by key (any case) at any depth.

        A rule applies unless its ``when`` is exactly false for the user (a ``when`` that
        cannot be evaluated masks). Masked keys are not searched further. Returns ``value``
        itself when no rule applies.
        """
        active = self._active_rules(user)
        return _mask_walk(value, active) if active else value

    def masked_values(self, user: User) -> MaskedValues | None:
        """What learns the values ``user``'s rules mask, to mask them in text too (prints,
        error messages); None when no rule applies to the user."""
        active = self._active_rules(user)
        return MaskedValues(active, mask_value) if active else None

    def _active_rules(self, user: User) -> dict[str, Mapping[str, Any]]:
        active = {}
        for key, rule in self._rules.items():
            when = rule.get("when")
            if when is None or self._evaluate(str(when), user)[0] is not False:
                active[key] = rule
        return active


def _mask_walk(value: Any, rules: Mapping[str, Mapping[str, Any]]) -> Any:
    if isinstance(value, Mapping):
        out = {}
        for key, item in value.items():
            rule = rules.get(key.lower()) if isinstance(key, str) else None
            out[key] = mask_value(item, rule) if rule is not None else _mask_walk(item, rules)
        return out
    if isinstance(value, list | tuple):
        return type(value)(_mask_walk(item, rules) for item in value)
    return value


def mask_value(value: Any, rule: Mapping[str, Any]) -> Any:
    """One value masked by one rule (``partial``, ``full``, ``hash``, ``range``); None stays None."""
    if value is None:
        return None
    kind = rule.get("mask", "full")
    if kind == "partial":
        text = value if isinstance(value, str) else json.dumps(value, default=str)
        visible = int(rule.get("visible_chars", 4))
        if len(text) <= visible or visible <= 0:
            return "*" * len(text)
        return "*" * (len(text) - visible) + text[-visible:]
    if kind == "hash":
        text = value if isinstance(value, str) else json.dumps(value, sort_keys=True, default=str)
        key = rule.get("_key")
        if isinstance(key, bytes):  # keyed: no one without the key can hash candidates to match
            return "hmac-sha256:" + hmac.new(key, text.encode("utf-8"), hashlib.sha256).hexdigest()
        return "sha256:" + hashlib.sha256(text.encode("utf-8")).hexdigest()
    if kind == "range":
        return _bucket(value, rule.get("buckets") or [])
    return FULL_MASK


def _bucket(value: Any, buckets: Sequence[float]) -> str:
    if isinstance(value, bool) or not isinstance(value, int | float) or not buckets or value != value:
        return FULL_MASK  # not a number, or no buckets: hide it all
    edges = sorted(buckets)
    if value < edges[0]:
        return f"<{_num(edges[0])}"
    for low, high in zip(edges, edges[1:], strict=False):
        if low <= value < high:
            return f"{_num(low)}-{_num(high)}"
    return f">={_num(edges[-1])}"


def _num(n: float) -> str:
    return str(int(n)) if float(n).is_integer() else str(n)

"""Check families as explicit objects; precedence between findings as data."""

from __future__ import annotations

from pathlib import Path

from conftest import write_file
from deploy_helpers import check

from kailash_cli.checks.precedence import PRECEDENCE, Precedence, drop_superseded
from kailash_cli.checks.registry import CHECKS, FAMILIES, family_of
from kailash_cli.model.result import Problem


def test_families_are_listed_in_catalogue_order_and_own_their_prefix() -> None:
    assert list(FAMILIES) == ["KD1", "KD2", "KD3", "KD4", "KD5", "KD6", "KD7", "KD8"]
    for prefix, family in FAMILIES.items():
        assert family.prefix == prefix and family.title and family.checks
        assert all(c.id.startswith(prefix) for c in family.checks)
    assert len(CHECKS) == sum(len(f.checks) for f in FAMILIES.values()) == 42
    assert family_of("KD601").title == "Containers"


def test_the_readme_catalogue_lists_every_check_as_the_code_defines_it() -> None:
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
    rows = {line.split(" | ")[0][2:]: line for line in readme.splitlines() if line.startswith("| KD")}

    for check_id, c in CHECKS.items():
        assert rows[check_id].startswith(f"| {check_id} | {c.severity} | {c.title} | {c.rationale} |")
    assert set(rows) == set(CHECKS)


def test_precedence_rows_name_known_checks() -> None:
    for rule in PRECEDENCE:
        assert rule.winner.split(":")[0] in CHECKS and rule.loser in CHECKS and rule.why


CAMEL = Problem("KD803", "warning", "node 'a': config key 'hasHeader' is camelCase", "wf.yaml", 7, 7, "x")


def kd705(inner: str, line: int = 7) -> Problem:
    return Problem("KD705", "error", f"{inner}: something about 'hasHeader'", "wf.yaml", line, 7, "y")


def test_a_winner_at_the_same_place_drops_the_loser() -> None:
    assert drop_superseded([kd705("KV102"), CAMEL]) == [kd705("KV102")]
    assert drop_superseded([CAMEL, kd705("KV004")]) == [kd705("KV004")]


def test_other_findings_at_the_same_place_or_the_winner_elsewhere_do_not() -> None:
    # KV104 "needs exactly one of ..." sits on the mapping, which starts at the camelCase key
    assert drop_superseded([kd705("KV104"), CAMEL]) == [kd705("KV104"), CAMEL]
    assert drop_superseded([kd705("KV102", line=8), CAMEL]) == [kd705("KV102", line=8), CAMEL]


def test_precedence_is_whatever_the_table_says() -> None:
    rules = [Precedence("KD705", "KD803", "any KD705 wins")]

    assert drop_superseded([kd705("KV104"), CAMEL], rules) == [kd705("KV104")]
    assert drop_superseded([kd705("KV102"), CAMEL], []) == [kd705("KV102"), CAMEL]


def test_a_duplicated_camel_case_key_is_reported_once(tmp_path: Path) -> None:
    write_file(tmp_path, "kailash.yaml", "security: {enable_audit_logging: true}\n")
    write_file(
        tmp_path,
        "wf.yaml",
        "name: x\nnodes:\n  code:\n    type: PythonCodeNode\n    config:\n"
        "      maxLines: 3\n      code: 'result = 1'\n      maxLines: 4\n"
        "  other:\n    type: PythonCodeNode\n    config: {maxLines: 3}\n",
    )

    found = [(p.id, p.line, p.message.split(":")[0]) for p in check(tmp_path, select=["KD705", "KD803"])]

    assert found == [("KD705", 8, "KV004"), ("KD705", 11, "KV104"), ("KD803", 11, "node 'other'")]

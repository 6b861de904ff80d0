from __future__ import annotations

from pathlib import Path

import pytest

from kailash_cli.errors import UsageError, WorkflowValidationError
from kailash_cli.load.config import Config, check_config, find_config, load_config
from kailash_cli.load.yaml_io import load_text
from kailash_cli.model.result import Problem

SPEC_EXAMPLE = Path(__file__).resolve().parent / "fixtures" / "spec" / "kailash.yaml"


def spec_config_example() -> str:
    """The kailash.yaml of the contract's section 3 (README: project config)."""
    return SPEC_EXAMPLE.read_text(encoding="utf-8")


def check(text: str) -> list[Problem]:
    return check_config(load_text(text, "kailash.yaml"))


def test_spec_section_3_example_is_valid() -> None:
    text = spec_config_example()

    assert "\nruntime:" in text
    assert [(p.id, p.severity, p.line) for p in check(text)] == [("KV501", "warning", 22)]


def test_empty_config_is_valid() -> None:
    assert check("") == []
    assert check("# nothing yet\n") == []


def test_top_level_must_be_a_mapping() -> None:
    assert check("- runtime\n") == [
        Problem(
            "KV005",
            "error",
            "the top level must be a mapping (runtime:, security:, ...)",
            "kailash.yaml",
            1,
            1,
            "see `kailash schema config`",
        )
    ]


def test_yaml_problems_are_kept() -> None:
    problems = check("runtime: {}\nruntime: {}\n")

    assert [(p.id, p.line) for p in problems] == [("KV004", 2)]


def test_schema_findings() -> None:
    text = (
        "runtime:\n  max_concurency: 4\nsecurity:\n  enable_audit_logging: maybe\n"
        "access_control:\n  strategy: acl\n"
    )

    assert [(p.id, p.message, p.line, p.column) for p in check(text)] == [
        ("KV102", "runtime: unknown field 'max_concurency' (did you mean 'max_concurrency'?)", 2, 3),
        ("KV103", "security.enable_audit_logging must be true or false, got string", 4, 25),
        ("KV104", 'access_control.strategy: "acl" is not allowed', 6, 13),
    ]


ACCESS = """\
access_control:
  users:
    ana: {roles: [analyst, admni]}
    bob: {roles: [viewer]}
  roles:
    analyst: {permissions: [execute]}
    admin: {permissions: [execute]}
"""


def test_kv501_user_with_an_undefined_role() -> None:
    fix = "define the role or fix its name"
    assert check(ACCESS) == [
        Problem(
            "KV501",
            "warning",
            "user 'ana' has role 'admni', which is not defined under "
            "access_control.roles (did you mean 'admin'?)",
            "kailash.yaml",
            3,
            28,
            fix,
        ),
        Problem(
            "KV501",
            "warning",
            "user 'bob' has role 'viewer', which is not defined under access_control.roles",
            "kailash.yaml",
            4,
            19,
            fix,
        ),
    ]


def test_roles_of_the_wrong_type_are_schema_findings_not_crashes() -> None:
    text = "access_control:\n  users:\n    ana: {roles: 5}\n    bob: {roles: [{x: 1}]}\n  roles: {a: {}}\n"

    assert [(p.id, p.message) for p in check(text)] == [
        ("KV103", "access_control.users.ana.roles must be a list, got integer"),
        ("KV103", "access_control.users.bob.roles[0] must be a string, got object"),
    ]


def test_masking_rule_when_must_parse() -> None:
    text = (
        "access_control:\n  masking_rules:\n"
        '    ssn: {when: "${user.attributes.clearance !=}", mask: partial}\n'
        "    card: {when: \"${user.id == 'x'}\", mask: full}\n"
    )

    assert check(text) == [
        Problem(
            "KV301",
            "error",
            "expression 'user.attributes.clearance !=' does not parse: invalid syntax",
            "kailash.yaml",
            3,
            17,
            "fix the expression inside ${...}",
        )
    ]


def test_find_config_in_a_directory(tmp_path: Path) -> None:
    assert find_config(None, tmp_path) is None
    (tmp_path / "kailash.yml").write_text("runtime: {}\n")
    assert find_config(None, tmp_path) == tmp_path / "kailash.yml"
    (tmp_path / "kailash.yaml").write_text("runtime: {}\n")
    assert find_config(None, tmp_path) == tmp_path / "kailash.yaml"


def test_find_config_explicit(tmp_path: Path) -> None:
    given = tmp_path / "other.yaml"
    given.write_text("{}\n")

    assert find_config(given) == given
    message = r"^config file .*missing.yaml not found; check the path given to -c$"
    with pytest.raises(UsageError, match=message):
        find_config(tmp_path / "missing.yaml")


def test_find_config_defaults_to_the_current_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "kailash.yaml").write_text("runtime: {}\n")

    assert find_config(None) == Path.cwd() / "kailash.yaml"


def test_load_config(tmp_path: Path) -> None:
    path = tmp_path / "kailash.yaml"
    path.write_text("runtime: {max_concurrency: 3}\nsecurity: {allowed_directories: [./data]}\n")

    config = load_config(None, tmp_path)

    assert config.path == path.resolve()
    assert config.base_dir == tmp_path.resolve()
    assert config.section("runtime") == {"max_concurrency": 3}
    assert config.section("health") == {}


def test_load_config_without_a_file(tmp_path: Path) -> None:
    config = load_config(None, tmp_path)

    assert config == Config()
    assert config.base_dir == Path.cwd()


def test_empty_config_file_loads_as_empty(tmp_path: Path) -> None:
    (tmp_path / "kailash.yaml").write_text("")

    assert load_config(None, tmp_path).data == {}


def test_invalid_config_refuses_to_start(tmp_path: Path) -> None:
    (tmp_path / "kailash.yaml").write_text("runtime: {max_concurrency: 0}\n")

    with pytest.raises(WorkflowValidationError) as caught:
        load_config(None, tmp_path)

    assert caught.value.exit_code == 2
    assert caught.value.summary == "the config is invalid: 1 error(s); fix them and try again"
    assert [p.id for p in caught.value.problems] == ["KV104"]


def test_section_that_is_not_a_mapping_reads_as_empty() -> None:
    assert Config(data={"runtime": [1]}).section("runtime") == {}


def test_kv501_inherited_role_that_is_not_defined() -> None:
    text = (
        "access_control:\n  users: {ana: {roles: [senior]}}\n"
        "  roles:\n    senior: {inherits: [nobody, juniro]}\n    junior: {permissions: [execute]}\n"
    )

    assert check(text) == [
        Problem(
            "KV501",
            "warning",
            "role 'senior' inherits role 'nobody', which is not defined under access_control.roles",
            "kailash.yaml",
            4,
            25,
            "define the role or fix its name",
        ),
        Problem(
            "KV501",
            "warning",
            "role 'senior' inherits role 'juniro', which is not defined under "
            "access_control.roles (did you mean 'junior'?)",
            "kailash.yaml",
            4,
            33,
            "define the role or fix its name",
        ),
    ]


def test_kv501_user_role_when_there_is_no_roles_section() -> None:
    text = "access_control:\n  users: {ana: {roles: [admin]}}\n"

    assert check(text) == [
        Problem(
            "KV501",
            "warning",
            "user 'ana' has role 'admin', which is not defined: the config has no access_control.roles",
            "kailash.yaml",
            2,
            25,
            "define the role or fix its name",
        )
    ]


def test_kv502_range_mask_without_buckets() -> None:
    text = (
        "access_control:\n  masking_rules:\n"
        "    salary: {mask: range}\n"
        "    bonus: {mask: range, buckets: []}\n"
        "    age: {mask: range, buckets: [18, 65]}\n"
        "    ssn: {mask: partial}\n"
    )

    fix = "add buckets: the bounds of the ranges, e.g. buckets: [0, 50000, 100000]"
    assert check(text) == [
        Problem(
            "KV502",
            "error",
            "masking rule 'salary' has mask: range but no buckets, so the value is "
            "hidden in full (***) instead of shown as a range",
            "kailash.yaml",
            3,
            20,
            fix,
        ),
        Problem(
            "KV502",
            "error",
            "masking rule 'bonus' has mask: range but no buckets, so the value is "
            "hidden in full (***) instead of shown as a range",
            "kailash.yaml",
            4,
            19,
            fix,
        ),
    ]


def test_size_and_duration_findings_say_what_to_write() -> None:
    text = "security: {max_file_size: 50 MiBs, execution_timeout: 5x}\n"

    assert [(p.id, p.fix) for p in check(text)] == [
        ("KV104", "write a size like 50MB, 512KiB or 1.5GB, or a number of bytes"),
        ("KV104", "write a duration like 30s, 5m or 1h, or a number of seconds"),
    ]


CONFIG_SECTIONS = {"runtime", "security", "access_control", "health", "databases", "serve", "deploy"}


def _readme_config_blocks() -> list[tuple[int, str]]:
    """The README's ```yaml blocks that are kailash.yaml text: every top-level key a section."""
    import re

    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")
    blocks = []
    for match in re.finditer(r"```yaml\n(.*?)```", readme, re.S):
        keys = set(re.findall(r"^([a-z_]+):", match.group(1), re.M))
        if keys and keys <= CONFIG_SECTIONS:
            blocks.append((readme[: match.start()].count("\n") + 1, match.group(1)))
    return blocks


@pytest.mark.parametrize(("line", "text"), _readme_config_blocks(), ids=lambda v: str(v)[:12])
def test_readme_config_examples_are_valid(line: int, text: str) -> None:
    errors = [p for p in check_config(load_text(text, "kailash.yaml")) if p.severity == "error"]
    assert errors == [], f"README.md:{line}"

"""The README's CI and editor sections say what the repository does: the Action's inputs, the
hook ids, the paths ``schema --write`` makes, the modeline example, the SchemaStore entries."""

from __future__ import annotations

import json
import re
from pathlib import Path

from helpers import RunCli, write_file
from ruamel.yaml import YAML

from kailash_cli.schema.schemas import load_schema

REPO = Path(__file__).resolve().parents[1]
README = (REPO / "README.md").read_text(encoding="utf-8")
YAML_SAFE = YAML(typ="safe")


def section(title: str) -> str:
    start = README.index(f"\n## {title}")
    return README[start : README.index("\n## ", start + 1)]


def blocks(text: str, language: str) -> list[str]:
    return re.findall(rf"```{language}\n(.*?)```", text, re.S)


def test_the_sample_workflow_uses_the_action_with_its_own_inputs() -> None:
    action = YAML_SAFE.load((REPO / "action.yml").read_text(encoding="utf-8"))
    workflow = YAML_SAFE.load(blocks(section("CI: GitHub code scanning"), "yaml")[0])

    (step,) = [
        s for s in workflow["jobs"]["kailash"]["steps"] if s.get("uses", "").startswith("kailash-cli/")
    ]
    assert set(step["with"]) <= set(action["inputs"])
    assert workflow["permissions"]["security-events"] == "write"
    listed = re.search(r"^Inputs: (.*?)\. Outputs", section("CI: GitHub code scanning"), re.S | re.M)
    assert listed is not None
    names = re.findall(r"(?:^|, )`([\w-]+)`", listed.group(1).replace("\n", " "))
    assert set(names) == set(action["inputs"])  # every input is documented, and no other


def test_the_sample_pre_commit_config_names_the_hooks_of_this_repository() -> None:
    hooks = YAML_SAFE.load((REPO / ".pre-commit-hooks.yaml").read_text(encoding="utf-8"))
    config = YAML_SAFE.load(blocks(section("CI: GitHub code scanning"), "yaml")[2])

    assert [h["id"] for h in config["repos"][0]["hooks"]] == [h["id"] for h in hooks]


def test_editor_settings_point_at_what_schema_write_makes(tmp_path: Path, run_cli: RunCli) -> None:
    settings = json.loads(blocks(section("Editors"), "json")[0])

    assert run_cli("schema", "--write", cwd=tmp_path).returncode == 0
    for path in settings["yaml.schemas"]:
        assert (tmp_path / path).is_file()


def test_the_modeline_example_validates(tmp_path: Path, run_cli: RunCli) -> None:
    example = blocks(section("Editors"), "yaml")[0]
    write_file(tmp_path, "anywhere/deep/hello.yaml", example)

    result = run_cli("validate", "anywhere", cwd=tmp_path)

    assert (result.returncode, result.stdout) == (0, "")
    assert f"$schema={load_schema('workflow')['$id']}" in example


def test_schemastore_entries_name_the_schema_ids() -> None:
    entries = json.loads(blocks(section("Editors"), "json")[1])

    assert [e["url"] for e in entries] == [load_schema("config")["$id"], load_schema("workflow")["$id"]]
    assert all(set(e) == {"name", "description", "fileMatch", "url"} for e in entries)

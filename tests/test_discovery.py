"""One file discovery for ``validate DIR`` and ``check-deploy DIR``."""

from __future__ import annotations

from pathlib import Path

from conftest import write_file

from kailash_cli.checks.project import Project
from kailash_cli.load.discovery import SourceFiles, is_test_path, kailash_files, walk

WORKFLOW = "name: x\nnodes:\n  a: {type: PythonCodeNode, config: {code: 'result = 1'}}\n"


def make(tmp_path: Path) -> Path:
    for name, text in {
        "kailash.yaml": "security: {}\n",
        "flows/etl.yaml": WORKFLOW,
        "flows/broken.yml": "name: x\nnodes: [\n",  # does not parse, but starts a line with nodes:
        "flows/.hidden.yaml": WORKFLOW,
        "flows/sub/kailash.yml": "runtime: {}\n",
        "k8s/job.yaml": "apiVersion: batch/v1\nkind: Job\nnodes: 3\n",
        "compose.yaml": "services: {api: {image: 'api:1'}}\n",
        "two-docs.yaml": WORKFLOW + "---\n" + WORKFLOW,
        "notes.txt": WORKFLOW,
        ".github/flow.yaml": WORKFLOW,
        "venv/flow.yaml": WORKFLOW,
        "env/flow.yaml": WORKFLOW,
        "pkg.egg-info/flow.yaml": WORKFLOW,
        "myvenv/pyvenv.cfg": "home = /usr\n",
        "myvenv/flow.yaml": WORKFLOW,
        "tests/flow.yaml": WORKFLOW,
    }.items():
        write_file(tmp_path, name, text)
    (tmp_path / "flows" / "latin1.yaml").write_bytes(b"name: caf\xe9\nnodes: {}\n")
    return tmp_path


def test_validate_finds_configs_and_workflows_anywhere_but_skipped_folders(tmp_path: Path) -> None:
    root = make(tmp_path)

    found = [p.relative_to(root).as_posix() for p in kailash_files(root)]

    assert found == [
        "flows/broken.yml",
        "flows/etl.yaml",
        "flows/latin1.yaml",  # not UTF-8: validate says so
        "flows/sub/kailash.yml",
        "kailash.yaml",
        "tests/flow.yaml",
    ]


def test_check_deploy_sees_the_same_workflows_except_tests(tmp_path: Path) -> None:
    root = make(tmp_path)
    project = Project(root=root, environ={}, config_path=root / "kailash.yaml")

    workflows = [p.relative_to(root).as_posix() for p in project.yaml_files if project.is_workflow(p)]

    assert workflows == ["flows/broken.yml", "flows/etl.yaml"]  # latin1.yaml: KD707 says why


def test_walk_skips_hidden_venv_and_build_folders_and_folder_links(tmp_path: Path) -> None:
    root = make(tmp_path)
    (root / "link").symlink_to(root / "flows", target_is_directory=True)
    (root / "linked.yaml").symlink_to(root / "flows" / "etl.yaml")

    files = {p.relative_to(root).as_posix() for p in walk(root)}

    assert "linked.yaml" in files and "flows/.hidden.yaml" in files
    assert not {f for f in files if f.split("/")[0] in {"link", ".github", "venv", "env", "myvenv"}}
    assert not {f for f in files if ".egg-info" in f}


def test_source_files_say_why_a_file_was_not_read(tmp_path: Path) -> None:
    root = make(tmp_path)
    sources = SourceFiles()

    assert sources.text(root / "flows" / "latin1.yaml") is None
    assert sources.unread(root / "flows" / "latin1.yaml") == ("it is not UTF-8 text (byte 0xe9)", 1, None)
    assert sources.unread(root / "flows" / "broken.yml") == (
        "it is not valid YAML (did not find expected node content)",
        3,
        1,
    )
    assert sources.unread(root / "flows" / "etl.yaml") is None


def test_test_paths() -> None:
    assert is_test_path(Path("tests/flow.yaml")) and is_test_path(Path("app/test_x.py"))
    assert is_test_path(Path("app/x_test.py")) and is_test_path(Path("conftest.py"))
    assert not is_test_path(Path("app/testing_utils.py"))

"""``kailash check-deploy [DIR]``: the pre-deployment checklist over a project directory."""

from __future__ import annotations

import hashlib
import json
import os
import re
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import replace
from pathlib import Path

from kailash_cli.checks.project import Project, open_project
from kailash_cli.checks.registry import CHECKS, FAMILIES, FAMILY_TITLES
from kailash_cli.constants import EXIT_FAILURE, EXIT_OK
from kailash_cli.errors import UsageError
from kailash_cli.model.result import SEVERITIES, Problem
from kailash_cli.report.console import err, out
from kailash_cli.report.findings import REPORTER_BY_NAME, ReportContext, render, summary_lines

_RANK = {"info": 0, "warning": 1, "error": 2}
_INLINE_IGNORE = re.compile(r"kailash:\s*ignore\[([A-Za-z0-9_,\s]*)\]")
BASELINE_VERSION = 1


def check_deploy(
    directory: Path,
    *,
    config_path: Path | None = None,
    env_files: Sequence[Path] = (),
    output_format: str = "text",
    fail_level: str = "error",
    select: Iterable[str] = (),
    ignore: Iterable[str] = (),
    list_checks: bool = False,
    baseline: Path | None = None,
    write_baseline: Path | None = None,
    environ: Mapping[str, str] | None = None,
) -> int:
    if output_format not in REPORTER_BY_NAME:
        raise UsageError(f"--format: '{output_format}' is not one of {', '.join(REPORTER_BY_NAME)}")
    if fail_level not in _RANK:
        raise UsageError(f"--fail-level: '{fail_level}' is not one of info, warning, error")
    if list_checks:
        out(catalogue_json() if output_format == "json" else catalogue_text())
        return EXIT_OK
    selected = _id_set(select, "--select") or set(CHECKS)
    selected -= _id_set(ignore, "--ignore")
    project = open_project(directory, config_path, env_files, os.environ if environ is None else environ)
    accepted = _read_baseline(baseline) if baseline else Counter()
    problems = run_checks(project, selected)
    if write_baseline:
        _write_baseline(write_baseline, problems, project)
    problems = [p for p in problems if not _consume(accepted, _baseline_key(p, project))]
    report(problems, output_format, project, environ=os.environ if environ is None else environ)
    failing = any(_RANK[p.severity] >= _RANK[fail_level] for p in problems)
    return EXIT_FAILURE if failing else EXIT_OK


def _id_set(values: Iterable[str], option: str) -> set[str]:
    chosen: set[str] = set()
    for value in values:
        for word in filter(None, (w.strip().upper() for w in value.split(","))):
            matched = {i for i in CHECKS if i.startswith(word)}
            if not matched:
                raise UsageError(
                    f"{option}: unknown check id or prefix '{word}'; "
                    "`kailash check-deploy --list` shows the ids"
                )
            chosen |= matched
    return chosen


def run_checks(project: Project, selected: set[str]) -> list[Problem]:
    """Findings of the selected checks, after ignores and severity overrides, sorted."""
    deploy = project.section("deploy")
    ignored = {str(i).upper() for i in deploy.get("ignore", []) or []}
    overrides = {str(k).upper(): v for k, v in (deploy.get("severity") or {}).items() if v in SEVERITIES}
    found: list[Problem] = []
    for family in FAMILIES:
        ids = {check.id for check in family.CHECKS} & selected
        if not ids:
            continue
        for p in family.run(project):
            if p.id in ids and p.id not in ignored and not _ignored_inline(project, p):
                found.append(replace(p, severity=overrides[p.id]) if p.id in overrides else p)
    return sorted(_drop_duplicates(set(found)), key=lambda p: (*p.sort_key(), p.message))


_CAMEL_KEY = re.compile(r"config key '(.+)' is camelCase$")


def _drop_duplicates(found: set[Problem]) -> set[Problem]:
    """A camelCase config key that ``kailash validate`` already rejects (KD705, e.g. KV102
    "unknown field 'filePath' (did you mean 'file_path'?)") is reported once, by KD705:
    it is the more specific finding (the node's schema knows the key is wrong, not just
    oddly written) and the error. KD803 stays when KD705 is not reported there."""
    invalid = {(p.file, p.line, p.column, p.message) for p in found if p.id == "KD705"}
    kept = set()
    for p in found:
        match = _CAMEL_KEY.search(p.message) if p.id == "KD803" else None
        if match and any(
            (file, line, column) == (p.file, p.line, p.column) and f"'{match.group(1)}'" in message
            for file, line, column, message in invalid
        ):
            continue
        kept.add(p)
    return kept


def _source_line(project: Project, p: Problem, offset: int = 0) -> str:
    if not p.file or not p.line or p.line + offset < 1:
        return ""
    path = Path(p.file) if Path(p.file).is_absolute() else project.cwd / p.file
    lines = project.lines(path)
    index = p.line - 1 + offset
    return lines[index] if index < len(lines) else ""


def _ignored_inline(project: Project, p: Problem) -> bool:
    """``# kailash: ignore[ID]`` on the finding's line, or on a comment line right above it."""
    above = _source_line(project, p, -1).strip()
    texts = [_source_line(project, p)] + ([above] if above.startswith(("#", "//")) else [])
    for text in texts:
        for match in _INLINE_IGNORE.finditer(text):
            words = {w.strip().upper() for w in match.group(1).split(",") if w.strip()}
            if any(p.id.startswith(w) for w in words):
                return True
    return False


# --- baseline ------------------------------------------------------------------------------------


def _baseline_key(p: Problem, project: Project) -> tuple[str, str, str]:
    """Check id, file and a hash of the offending content: the line, or for a check that may
    sit on a secret the message (so that no hash of a secret is ever written)."""
    sensitive = CHECKS[p.id].sensitive if p.id in CHECKS else True
    content = p.message if sensitive else (_source_line(project, p).strip() or p.message)
    digest = hashlib.sha256(f"{p.id}\0{content}".encode()).hexdigest()[:16]
    return p.id, p.file or "", digest


def _consume(accepted: Counter[tuple[str, str, str]], key: tuple[str, str, str]) -> bool:
    if accepted[key] > 0:
        accepted[key] -= 1
        return True
    return False


def _read_baseline(path: Path) -> Counter[tuple[str, str, str]]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        return Counter((e["id"], e["file"], e["hash"]) for e in data["findings"])
    except FileNotFoundError:
        raise UsageError(f"baseline file {path} not found; create it with --write-baseline") from None
    except (OSError, ValueError, KeyError, TypeError) as e:
        raise UsageError(
            f"baseline file {path} is not a kailash baseline ({e}); write a new one with --write-baseline"
        ) from None


def _write_baseline(path: Path, problems: list[Problem], project: Project) -> None:
    entries = []
    for p in problems:
        id_, file, digest = _baseline_key(p, project)
        entries.append({"id": id_, "file": file, "hash": digest, "message": p.message})
    text = json.dumps({"version": BASELINE_VERSION, "findings": entries}, indent=2) + "\n"
    tmp = path.with_name(path.name + ".tmp")
    try:
        tmp.write_text(text, encoding="utf-8")
        tmp.replace(path)
    except OSError as e:
        raise UsageError(
            f"baseline file {path} cannot be written ({e.strerror or e}); "
            "check the path given to --write-baseline"
        ) from None
    err(f"baseline with {len(entries)} finding(s) written to {path}")


# --- output --------------------------------------------------------------------------------------


def report(problems: list[Problem], output_format: str, project: Project, environ: Mapping[str, str]) -> None:
    rendered = render(problems, output_format, ReportContext(rules=sarif_rules(), root=project.root))
    if rendered:
        out(scrub(rendered, project).rstrip("\n"))
    if environ.get("GITHUB_ACTIONS") == "true" and output_format != "github" and problems:
        err(scrub(render(problems, "github"), project).rstrip("\n"))
    if output_format == "text":
        for line in summary_lines(problems):
            err(line)


def sarif_rules() -> dict[str, dict[str, object]]:
    """Every check as a SARIF rule: title, rationale, fix and its family as a tag."""
    return {
        i: {
            "title": c.title,
            "rationale": c.rationale,
            "fix": c.fix,
            "tags": [f"{i[:3]}xx", FAMILY_TITLES[i[:3]]],
        }
        for i, c in CHECKS.items()
    }


def scrub(text: str, project: Project) -> str:
    """Last line of defence: no value a check saw as secret leaves the process."""
    for value in sorted(project.sensitive_values, key=len, reverse=True):
        if len(value) >= 4:
            text = text.replace(value, "***")
            text = text.replace(json.dumps(value)[1:-1], "***")
    return text



# --- the catalogue -------------------------------------------------------------------------------


def catalogue_text() -> str:
    lines: list[str] = []
    family = ""
    for check in CHECKS.values():
        if check.id[:3] != family:
            family = check.id[:3]
            lines.append(("\n" if lines else "") + f"{family}xx  {FAMILY_TITLES[family]}")
        lines.append(f"  {check.id}  {check.severity:<7}  {check.title}")
        lines.append(f"         why: {check.rationale}")
        lines.append(f"         fix: {check.fix}")
    lines.append(
        "\nSilence a check in kailash.yaml (deploy.ignore: [KD203]) or on the offending line "
        "(# kailash: ignore[KD203]); change its severity with deploy.severity: {KD203: info}."
    )
    return "\n".join(lines)


def catalogue_json() -> str:
    return json.dumps(
        [
            {"id": c.id, "severity": c.severity, "title": c.title, "rationale": c.rationale, "fix": c.fix}
            for c in CHECKS.values()
        ],
        indent=2,
    )

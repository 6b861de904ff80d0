"""What a SARIF rule tells about a finding id: the text GitHub code scanning shows on an alert.

``kailash validate`` rules come from ``VALIDATE_RULES`` (a title per id) and the guidance of
the id's family (``KV1``: schema...); ``check-deploy`` rules from the check catalogue
(``checks/catalogue.py``). Either way a new id gets complete rule metadata without a line here.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from kailash_cli.report.rules import VALIDATE_RULES

PROJECT_URL = "https://github.com/kailash-cli/kailash"
README_URL = f"{PROJECT_URL}/blob/main/README.md"
#: GitHub's bands: 9.0+ critical, 7.0+ high, 4.0+ medium, above 0 low
_SECURITY_SEVERITY = {"error": 8.0, "warning": 5.0, "info": 2.0}
_CRITICAL = 9.0


@dataclass(frozen=True)
class Rule:
    """One finding id as a SARIF ``reportingDescriptor``."""

    id: str
    title: str
    rationale: str
    fix: str
    #: the README heading that documents the id (``helpUri`` is the README at that anchor)
    anchor: str
    #: the default severity, when the id has one (check-deploy checks do)
    level: str | None = None
    tags: tuple[str, ...] = ()
    #: 0.0-10.0; given only for security rules (GitHub then ranks the alert critical...low)
    security_severity: float | None = None

    @property
    def name(self) -> str:
        """A readable identifier made of the title: ``ContainerRunsAsRoot``."""
        return "".join(w[:1].upper() + w[1:] for w in re.findall(r"[A-Za-z0-9]+", self.title)) or self.id

    @property
    def help_uri(self) -> str:
        return f"{README_URL}#{self.anchor}"


def slug(heading: str) -> str:
    """The anchor GitHub gives a markdown heading (``### `kailash validate PATH...` `` ->
    ``kailash-validate-path``): lower case, punctuation dropped, spaces to hyphens."""
    kept = re.sub(r"[^\w\- ]", "", heading.strip().lower())
    return kept.replace(" ", "-")


def security_severity(severity: str, *, critical: bool = False) -> float:
    """A GitHub ``security-severity`` score for a check of this severity."""
    if critical and severity == "error":
        return _CRITICAL
    return _SECURITY_SEVERITY.get(severity, _SECURITY_SEVERITY["info"])


VALIDATE_ANCHOR = slug("`kailash validate PATH...`")
CATALOGUE_ANCHOR = slug("check-deploy catalogue")
#: id prefix -> (what is wrong in general, how to fix it), for the ``kailash validate`` ids
_VALIDATE_FAMILIES: dict[str, tuple[str, str]] = {
    "KV0": (
        "kailash reads every workflow and config as UTF-8 YAML with a mapping at the top; a file it "
        "cannot load is not checked at all, and `kailash run` refuses it (exit 2).",
        "make the file readable UTF-8 YAML with one mapping at the top; the message gives the line",
    ),
    "KV1": (
        "The file does not match kailash's JSON Schema (the workflow or config envelope, or a node "
        "type's config), so `kailash run` would refuse it (exit 2).",
        "correct the value at the reported path; `kailash schema` prints the schema and "
        "`kailash nodes TYPE` a node type's parameters",
    ),
    "KV2": (
        "A node, connection or graph rule is broken, so the workflow cannot be compiled into a "
        "graph and would not start.",
        "use the node ids, outputs and parameters the message names; `kailash graph WORKFLOW` "
        "draws the graph and `kailash nodes TYPE` lists a type's inputs and outputs",
    ),
    "KV3": (
        "An expression ${...} does not parse or names something the workflow does not declare, "
        "so it would fail when the run reaches it.",
        "declare the param, secret or environment variable, or correct the name; expressions allow "
        "literals, attribute and index access, comparison, and/or/not, arithmetic and len()",
    ),
    "KV4": (
        "A declared param cannot be satisfied as written.",
        "give the param a default of its own type, or drop the default of a required param",
    ),
    "KV5": (
        "The project config's access control is incomplete, so a user or a masking rule would "
        "not behave as written.",
        "define the role under access_control.roles, or complete the masking rule",
    ),
}
_UNKNOWN_FAMILY = (
    "kailash validate found a problem that would stop the workflow or config from working as written.",
    "follow the fix given with the finding",
)
#: validate ids that guard against an attack rather than a mistake
_VALIDATE_SECURITY = {"KV230": 8.0}


def validate_rules() -> dict[str, Rule]:
    """Every ``kailash validate`` id as a rule."""
    rules = {}
    for id_, title in VALIDATE_RULES.items():
        rationale, fix = _VALIDATE_FAMILIES.get(id_[:3], _UNKNOWN_FAMILY)
        score = _VALIDATE_SECURITY.get(id_)
        tags = ("kailash-validate", id_[:3] + "xx") + (("security",) if score else ())
        rules[id_] = Rule(id_, title, rationale, fix, VALIDATE_ANCHOR, tags=tags, security_severity=score)
    return rules


def fallback_rule(id_: str) -> Rule:
    """The rule of an id no catalogue describes (a finding from a newer or foreign source)."""
    rationale, fix = _UNKNOWN_FAMILY
    return Rule(id_, id_, rationale, fix, VALIDATE_ANCHOR if id_.startswith("KV") else CATALOGUE_ANCHOR)

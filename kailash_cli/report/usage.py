"""Help pages and usage errors in kailash's words, not the parser's.

typer draws a required argument as ``{WORKFLOW}`` and words a bad value as "is not a valid
int range"; :class:`Command` draws usage lines as POSIX tools do (``WORKFLOW``, ``[DIR]``,
``PATH...``) and :func:`usage_error` makes a parser error one line like every other error:
what is wrong, then where to look (``error: kailash serve: --port 'abc' is not a whole
number; see kailash serve -h``).
"""

from __future__ import annotations

import re
from typing import Any

from typer import TyperException
from typer.core import TyperCommand, TyperGroup

#: parser phrases -> ours (compiled at the first usage error, not at every start)
_REWORDED = (
    (r"is not a valid int(eger)?( range)?\.?$", "is not a whole number"),
    (r"is not a valid float( range)?\.?$", "is not a number"),
    (r"is not in the range x>=(\d+)\.?$", r"is below \1"),
    (r"is not in the range (\d+)<=x<=(\d+)\.?$", r"is not between \1 and \2"),
    (r"^Invalid value for '\[[^']+\]': ", ""),  # a choice argument: the value says it
    (r"^Invalid value for '([^']+?)'(?: / '-[\w-]+')?: ", r"\1: "),
    (r"^Missing argument '(.+)'\.?$", r"missing argument \1"),
    (r"^Missing option '(.+)'\.?$", r"missing option \1"),
    (r"^No such option: (\S+) \(Possible options: (.+)\)$", r"no option \1 (did you mean \2?)"),
    (r"^No such option: (\S+)$", r"no option \1"),
    (
        r"^No such command '(.+)'\. Did you mean '(.+)'\?$",
        r"no command '\1' (did you mean '\2'?)",
    ),
    (r"^No such command '(.+)'\.?$", r"no command '\1'"),
    (r"^Got unexpected extra arguments?(?:\(s\))? \((.+)\)$", r"unexpected argument(s): \1"),
    (r"^Option '(.+)' requires an argument\.?$", r"\1 needs a value"),
    (r" is not one of (.+)\.$", r" is not one of \1"),
)


def argument_metavar(param: Any) -> str:
    """``NAME``, ``NAME...`` for several, in ``[...]`` when optional."""
    name = str(param.metavar or (param.name or "").upper()).strip("[]")
    name += "..." if param.nargs != 1 and not name.endswith("...") else ""
    return name if param.required else f"[{name}]"


def _examples(ctx: Any, formatter: Any) -> None:
    """The help page's examples, from :data:`EXAMPLES` by command path."""
    lines = EXAMPLES.get(ctx.command_path.partition(" ")[2], ())
    if lines:
        formatter.write_paragraph()
        formatter.write_text("\b\nExamples:\n" + "\n".join(f"  {line}" for line in lines))


class _Pages:
    """What kailash's commands and groups add to typer's: examples at the end of the help
    page, and usage errors that know their command (the parser raises some without it)."""

    def format_epilog(self, ctx: Any, formatter: Any) -> None:
        _examples(ctx, formatter)

    def parse_args(self, ctx: Any, args: list[str]) -> list[str]:
        try:
            return super().parse_args(ctx, args)  # type: ignore[misc, no-any-return]
        except TyperException as e:
            if getattr(e, "ctx", "absent") is None:
                e.ctx = ctx  # type: ignore[attr-defined]
            raise


class Command(_Pages, TyperCommand):
    """A command whose usage line reads ``kailash run [OPTIONS] WORKFLOW``, with examples."""

    def collect_usage_pieces(self, ctx: Any) -> list[str]:
        pieces = [self.options_metavar] if self.options_metavar else []
        return pieces + [argument_metavar(p) for p in self.get_params(ctx) if p.param_type_name == "argument"]


class Group(_Pages, TyperGroup):
    """A command group (``kailash``, ``kailash runs``) whose help page ends with examples."""


#: command path after ``kailash`` -> the examples its help page ends with
EXAMPLES: dict[str, tuple[str, ...]] = {
    "": (
        "kailash init demo && cd demo && kailash validate . && kailash check-deploy .",
        "kailash run workflows/orders.yaml -p min_total=50 --output json | jq .outputs",
        "kailash run -h",
    ),
    "run": (
        "kailash run workflows/hello.yaml -p who=Ada",
        "kailash run workflows/hello.yaml --output json | jq .outputs",
        "kailash run workflows/hello.yaml --params-file params.yaml --dry-run",
        "kailash run workflows/customer-etl.yaml --resume 3e46db   # a unique prefix of the run id",
        "cat workflows/hello.yaml | kailash run -",
    ),
    "validate": (
        "kailash validate .",
        "kailash validate workflows/ kailash.yaml --format github",
        "kailash validate - < workflows/hello.yaml",
    ),
    "check-deploy": (
        "kailash check-deploy .",
        "kailash check-deploy . --env-file .env.production --fail-level warning",
        "kailash check-deploy . --format sarif > kailash.sarif",
    ),
    "graph": ("kailash graph workflows/customer-etl.yaml --format ascii",),
    "nodes": ("kailash nodes", "kailash nodes CSVReaderNode"),
    "schema": ("kailash schema workflow > workflow.schema.json", "kailash schema config"),
    "health": ("kailash health", "kailash health --check db -o json"),
    "serve": ("KAILASH_API_TOKEN=$(openssl rand -hex 32) kailash serve workflows --port 8000",),
    "init": ("kailash init demo && cd demo && kailash validate . && kailash check-deploy .",),
    "secrets": ('printf %s "$API_KEY" | kailash secrets set api_key', "kailash secrets list"),
    "secrets set": ('printf %s "$API_KEY" | kailash secrets set api_key',),
    "secrets delete": ("kailash secrets delete api_key",),
    "secrets list": ("kailash secrets list",),
    "audit": ("kailash audit verify",),
    "audit verify": ("kailash audit verify .kailash/audit.jsonl",),
    "runs": ("kailash runs --status failed -n 5", "kailash runs show 3e46db -o json"),
    "runs list": ("kailash runs list --workflow customer-etl -o json",),
    "runs show": ("kailash runs show 3e46db   # a unique prefix of the run id",),
    "dlq": ("kailash dlq", "kailash dlq show 1 -o json"),
    "dlq list": ("kailash dlq list -n 10",),
    "dlq show": ("kailash dlq show 1",),
    "dlq replay": ("kailash dlq replay 1",),
    "dlq clear": ("kailash dlq clear --node load", "kailash dlq clear"),
}


def usage_error(error: Any) -> str:
    """The one line a parser error (``typer``'s click exception) is shown as."""
    message = error.format_message()
    for pattern, replacement in _REWORDED:
        message = re.sub(pattern, replacement, message)
    ctx = getattr(error, "ctx", None)
    command = ctx.command_path if ctx is not None else "kailash"
    return f"error: {command}: {message}; see {command} -h"

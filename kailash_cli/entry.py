"""The console script: ``kailash --version`` answers before the CLI (typer) is even imported."""

from __future__ import annotations

import sys

from kailash_cli import __version__


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if args == ["--version"]:
        print(f"kailash {__version__}")
        return 0
    from kailash_cli.main import main as cli_main

    return cli_main(args)

"""Functions of the large-CSV streaming example (workflows/large-csv.yaml)."""

from __future__ import annotations

from typing import Any


def large(rows: list[dict[str, str]], minimum: float) -> list[dict[str, Any]]:
    """The rows of one batch whose amount is at least ``minimum``, amount in cents added."""
    return [
        {**row, "cents": round(float(row["amount"]) * 100)} for row in rows if float(row["amount"]) >= minimum
    ]

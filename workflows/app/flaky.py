"""The resilient-etl example's "remote" scoring service: it fails at random, as real ones do.

Each call fails with probability ``failure_rate`` (``ConnectionError``). ``seed`` makes the
sequence of failures repeatable: the calls of one run (its retries included) draw from one
``random.Random(seed)``; ``seed: 0`` means unseeded. ``failure_rate: 0`` never fails and
``failure_rate: 1`` always does.
"""

from __future__ import annotations

import random

_RNGS: dict[tuple[str, int], random.Random] = {}


def _draw(purpose: str, seed: int) -> float:
    if not seed:
        return random.random()
    rng = _RNGS.setdefault((purpose, seed), random.Random(seed))
    return rng.random()


def score_remote(
    customers: list[dict[str, str]], failure_rate: float = 0.5, seed: int = 0
) -> list[dict[str, object]]:
    """Score each customer "remotely"; raises ConnectionError with probability failure_rate."""
    if _draw("score", seed) < failure_rate:
        raise ConnectionError(f"scoring service unavailable (simulated, failure_rate={failure_rate})")
    return [
        {
            "id": int(row["id"]),
            "name": row["name"],
            "total": float(row["total"]),
            "score": round(float(row["total"]) / 10, 1),
            "source": "service",
        }
        for row in customers
    ]


def score_offline(customers: list[dict[str, str]]) -> list[dict[str, object]]:
    """The fallback: no service, no score, but every customer still goes through."""
    return [
        {
            "id": int(row["id"]),
            "name": row["name"],
            "total": float(row["total"]),
            "score": None,
            "source": "offline",
        }
        for row in customers
    ]


def notify(scored: list[dict[str, object]], failure_rate: float = 0.5, seed: int = 0) -> str:
    """Tell a (simulated) chat channel; nice to have, so the workflow lets it fail."""
    if _draw("notify", seed) < failure_rate:
        raise ConnectionError("chat webhook unavailable (simulated)")
    return f"scored {len(scored)} customers"

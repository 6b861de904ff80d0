"""kailash: production workflows and their policy as YAML, checked in CI, run in-process."""

from __future__ import annotations

__version__ = "0.1.0"
__all__ = ["__version__"]

"""Health checks of a project's dependencies (``health:`` in kailash.yaml), for
``kailash health`` and ``serve``'s ``/ready``::

    from kailash_cli.health import run_checks
    report = run_checks(config)          # checks in parallel, each within its timeout
    report.healthy, report.to_dict()     # {"status": "healthy"|"unhealthy", "checks": [...]}

``run_checks`` keeps no state between calls: threads may call it at once.
"""

from __future__ import annotations

from kailash_cli.health.report import CheckResult, HealthReport
from kailash_cli.health.runner import CHECK_TYPES, check_names, run_checks

__all__ = ["CHECK_TYPES", "CheckResult", "HealthReport", "check_names", "run_checks"]

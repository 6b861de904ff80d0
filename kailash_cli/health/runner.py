"""The checks run at once, a thread each; each is bounded by its timeout and retries, and
one that overruns is reported failed (its thread is left to end on its own)."""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable, Iterable, Mapping

from kailash_cli.health import network, resp, system
from kailash_cli.health.report import CheckResult, HealthReport
from kailash_cli.health.spec import RETRY_DELAY, CheckFailed, CheckSpec, Target, check_specs, target
from kailash_cli.load.config import Config

PROBES: dict[str, Callable[[Target], str]] = {
    "http": network.http,
    "tcp": network.tcp,
    "database": system.database,
    "redis": resp.redis,
    "disk": system.disk,
    "memory": system.memory,
    "process": system.process,
}
CHECK_TYPES = tuple(PROBES)
GRACE = 0.5  # seconds past a check's budget before it counts as hung


class _Progress:
    def __init__(self) -> None:
        self.attempts = 0
        self.result: CheckResult | None = None


def check_names(config: Config) -> list[str]:
    return [spec.name for spec in check_specs(config)]


def run_checks(
    config: Config, environ: Mapping[str, str] | None = None, *, only: Iterable[str] | None = None
) -> HealthReport:
    """Run the config's health checks (those named in ``only``, when given) in parallel.

    Returns within the largest ``timeout x attempts`` (plus the delays between attempts and
    half a second); never raises for a failing check. Thread-safe: nothing is shared.
    """
    specs = check_specs(config)
    if only is not None:
        wanted = set(only)
        specs = [spec for spec in specs if spec.name in wanted]
    env = os.environ if environ is None else environ
    start = time.monotonic()
    running = []
    for spec in specs:
        progress = _Progress()
        thread = threading.Thread(
            target=_run_one, args=(spec, config, env, progress), name=f"health-{spec.name}", daemon=True
        )
        thread.start()
        running.append((spec, progress, thread))
    results = []
    for spec, progress, thread in running:
        thread.join(max(0.0, start + spec.budget + GRACE - time.monotonic()))
        results.append(progress.result or _overran(spec, progress.attempts, start))
    return HealthReport(tuple(results))


def _overran(spec: CheckSpec, attempts: int, start: float) -> CheckResult:
    elapsed = time.monotonic() - start
    detail = f"no answer within {format_seconds(spec.budget)} (timeout {format_seconds(spec.timeout)}"
    detail += f", {spec.retries + 1} attempts)" if spec.retries else ")"
    return CheckResult(spec.name, spec.type, "fail", elapsed * 1000, max(attempts, 1), detail)


def _run_one(spec: CheckSpec, config: Config, environ: Mapping[str, str], progress: _Progress) -> None:
    began = time.monotonic()
    try:
        inputs = target(spec, config, environ)
    except CheckFailed as e:  # a missing variable: no attempt would do better
        progress.attempts = 1
        passed, detail = False, str(e)
    else:
        passed, detail = _attempts(spec, inputs, progress)
    duration = (time.monotonic() - began) * 1000
    status = "pass" if passed else "fail"
    progress.result = CheckResult(spec.name, spec.type, status, duration, progress.attempts, detail)


def _attempts(spec: CheckSpec, inputs: Target, progress: _Progress) -> tuple[bool, str]:
    for attempt in range(spec.retries + 1):
        if attempt:
            time.sleep(RETRY_DELAY)
        progress.attempts = attempt + 1
        passed, detail = _attempt(spec, inputs)
        if passed:
            break
    return passed, detail


def _attempt(spec: CheckSpec, inputs: Target) -> tuple[bool, str]:
    probe = PROBES.get(spec.type)
    if probe is None:
        return False, f"unknown check type '{spec.type}'; use one of {', '.join(CHECK_TYPES)}"
    try:
        return True, inputs.hide(probe(inputs))
    except CheckFailed as e:
        return False, inputs.hide(str(e))
    except Exception as e:  # a probe's unforeseen error fails its check, never the report
        return False, inputs.hide(f"{type(e).__name__}: {e}")


def format_seconds(seconds: float) -> str:
    return f"{seconds:g} s"

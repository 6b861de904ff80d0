"""Time `kailash check-deploy` over a generated project of 2,000 Python files (goal: <= 5 s).

python benchmarks/check_deploy.py [--files 2000] [--runs 3] [--keep DIR]

The baseline, measured in the same run on the same files, is one Python process that only reads
and parses every file (`ast.parse`): the least any import or secret check has to do. Each figure
is the best of --runs (a shared machine only ever adds time); CPU time (user + sys) is printed
too, as it does not depend on what else the machine runs.
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

LIMIT_SECONDS = 5.0
BASELINE = """\
import ast, pathlib, sys
for path in sorted(pathlib.Path(sys.argv[1]).rglob("*.py")):
    ast.parse(path.read_bytes(), filename=str(path))
"""
CONFIG = """\
security:
  allowed_directories: [./data]
  enable_audit_logging: true
deploy:
  required_env: [DATABASE_URL]
"""


def generate(root: Path, files: int) -> None:
    """``files`` modules in packages of 50, importing each other, stdlib and declared packages."""
    (root / "kailash.yaml").write_text(CONFIG)
    (root / "requirements.txt").write_text("requests==2.32.3\nPyYAML==6.0.2\n")
    (root / "Dockerfile").write_text('FROM python:3.12-slim\nUSER 10001\nHEALTHCHECK CMD ["true"]\n')
    for i in range(files):
        package = root / "svc" / f"pkg{i // 50}"
        package.mkdir(parents=True, exist_ok=True)
        (package / "__init__.py").touch()
        previous = f"from svc.pkg{(i - 1) // 50}.mod{i - 1} import value_{i - 1}\n" if i % 50 else ""
        (package / f"mod{i}.py").write_text(
            f'"""Module {i}."""\nimport json\nimport os\n\nimport requests\nimport yaml\n{previous}\n'
            f'API_URL = os.environ.get("API_URL", "https://api.example.com/v{i}")\n'
            f"TIMEOUT = {i % 30}\n\n\n"
            f"def value_{i}(data: dict) -> str:\n"
            f'    """Return a JSON string."""\n'
            f"    headers = {{'Accept': 'application/json', 'X-Module': '{i}'}}\n"
            f"    return json.dumps({{'data': data, 'headers': headers, 'lib': yaml.__name__, "
            f"'http': requests.__name__}})\n" * 3
        )
    (root / "workflows").mkdir()
    for i in range(20):
        (root / "workflows" / f"wf{i}.yaml").write_text(
            f"name: wf{i}\nenv: [DATABASE_URL]\nnodes:\n  read:\n    type: CSVReaderNode\n"
            f"    config: {{file_path: data/in{i}.csv}}\n"
        )


def timed(command: list[str], env: dict[str, str]) -> tuple[float, float, int, str]:
    """Wall seconds, CPU seconds (user + sys of the child), exit code and the tail of its output."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True, env=env, check=False)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu, done.returncode, (done.stdout + done.stderr)[-2000:]


def best(runs: int, command: list[str], env: dict[str, str]) -> tuple[float, float, int, str]:
    results = [timed(command, env) for _ in range(runs)]
    return min(results, key=lambda r: r[0])[:1] + (min(r[1] for r in results),) + results[-1][2:]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--files", type=int, default=2000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--keep", type=Path, help="generate into this directory and keep it")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = args.keep or Path(tmp) / "project"
        root.mkdir(parents=True, exist_ok=True)
        generate(root, args.files)
        kailash = Path(sys.executable).with_name("kailash")
        env = {**os.environ, "DATABASE_URL": "postgresql://db.example.com/app?sslmode=require"}
        env.pop("GITHUB_ACTIONS", None)
        base_wall, base_cpu, _, _ = best(args.runs, [sys.executable, "-c", BASELINE, str(root)], env)
        wall, cpu, code, tail = best(
            args.runs, [str(kailash), "check-deploy", str(root), "--format", "json"], env
        )
    verdict = "PASS" if wall <= LIMIT_SECONDS and code == 0 else "FAIL"
    print(
        f"check-deploy, {args.files} Python files: {wall:.2f} s wall, {cpu:.2f} s CPU "
        f"(target <= {LIMIT_SECONDS:.0f} s; exit {code}) | baseline, the same files read and parsed "
        f"in one process: {base_wall:.2f} s wall, {base_cpu:.2f} s CPU ({wall / base_wall:.1f}x) {verdict}"
    )
    if code != 0:
        print(tail, file=sys.stderr)
    return 0 if verdict == "PASS" else 1


if __name__ == "__main__":
    raise SystemExit(main())

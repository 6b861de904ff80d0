"""Time `kailash check-deploy` over a generated project of 2,000 Python files (goal: < 10 s).

python benchmarks/check_deploy.py [--files 2000] [--keep DIR]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

LIMIT_SECONDS = 10.0
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


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--files", type=int, default=2000)
    parser.add_argument("--keep", type=Path, help="generate into this directory and keep it")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = args.keep or Path(tmp) / "project"
        root.mkdir(parents=True, exist_ok=True)
        generate(root, args.files)
        kailash = Path(sys.executable).with_name("kailash")
        env = {**os.environ, "DATABASE_URL": "postgresql://db.example.com/app?sslmode=require"}
        start = time.perf_counter()
        done = subprocess.run(
            [str(kailash), "check-deploy", str(root), "--format", "json"],
            capture_output=True,
            text=True,
            env=env,
            check=False,
        )
        elapsed = time.perf_counter() - start
    verdict = "ok" if elapsed < LIMIT_SECONDS and done.returncode == 0 else "FAIL"
    print(
        f"check-deploy: {args.files} Python files in {elapsed:.2f} s (limit {LIMIT_SECONDS:.0f} s, "
        f"exit {done.returncode}) {verdict}"
    )
    if done.returncode != 0:
        print(done.stdout[-2000:], done.stderr[-2000:], file=sys.stderr)
    return 0 if verdict == "ok" else 1


if __name__ == "__main__":
    raise SystemExit(main())

"""The files ``kailash init`` writes: a small project that passes ``kailash validate`` and
``kailash check-deploy --fail-level info`` as generated (``tests/commands/test_init.py``
keeps it so). ``{project}`` is the project's name (from its folder), ``{version}`` kailash's.

A template that trips a check-deploy rule is fixed here, never by silencing the rule.
"""

from __future__ import annotations

KAILASH_YAML = """\
# The project config of kailash: `kailash schema config` prints its JSON Schema.
# Relative paths are relative to this file.
runtime:
  max_concurrency: 4
  store: .kailash/kailash.db              # run history, dead letters, breaker states
security:
  allowed_directories: [./workflows/data, ./workflows/out]   # file nodes stay in here
  allowed_file_extensions: [.csv, .json]
  max_file_size: 50MB
  execution_timeout: 60                   # seconds: every node's default timeout
  enable_audit_logging: true              # .kailash/audit.jsonl, a hash chain
  enable_path_validation: true
  enable_command_validation: true
health:                                   # `kailash health`: the image's HEALTHCHECK
  checks:
    - {{name: disk, type: disk, path: ., min_free_percent: 5}}
    - {{name: memory, type: memory, max_used_percent: 95}}
"""

WORKFLOW = """\
# kailash run workflows/orders.yaml -p min_total=50
name: orders
description: Orders CSV in, each customer's total of the large orders out as JSON.
params:
  input_file: {{type: string, default: data/orders.csv, description: the orders to read}}
  min_total: {{type: number, default: 0, description: orders below this total are left out}}
nodes:
  read:
    type: CSVReaderNode
    config: {{file_path: "${{params.input_file}}"}}
  summarise:
    type: PythonCodeNode
    config:
      function: "./steps.py:per_customer"
      min_total: "${{params.min_total}}"
    timeout: 30
  write:
    type: JSONWriterNode
    config: {{file_path: out/summary.json, indent: 2}}
connections:
  - "read.data -> summarise.orders"
  - "summarise.result -> write.data"
outputs:
  customers: "${{len(nodes.summarise.result)}}"
  report: "${{nodes.write.file_path}}"
"""

STEPS = '''\
"""The Python step of orders.yaml: a plain function, easy to test on its own."""

from __future__ import annotations


def per_customer(orders: list[dict[str, str]], min_total: float = 0) -> dict[str, float]:
    """Each customer's total over their orders of at least ``min_total``."""
    totals: dict[str, float] = {{}}
    for order in orders:
        amount = float(order["total"])
        if amount >= min_total:
            customer = order["customer"]
            totals[customer] = round(totals.get(customer, 0.0) + amount, 2)
    return totals
'''

ORDERS_CSV = """\
order_id,customer,total
1001,ada,120.50
1002,grace,35.00
1003,ada,80.25
1004,linus,210.00
1005,grace,64.10
"""

REQUIREMENTS = """\
kailash-cli=={version}
"""

DOCKERFILE = """\
# The project's image: kailash and the workflows; deploy/cronjob.yaml runs it nightly.
#   docker build -t {project}:0.1.0 .
#   docker run --rm --read-only -v {project}-state:/app/.kailash --tmpfs /app/workflows/out \\
#       {project}:0.1.0 run workflows/orders.yaml -p min_total=50
FROM python:3.12.8-slim-bookworm
ENV PYTHONDONTWRITEBYTECODE=1 \\
    PYTHONUNBUFFERED=1 \\
    KAILASH_LOG_FORMAT=json
WORKDIR /app
COPY requirements.txt ./
RUN pip install --no-cache-dir -r requirements.txt \\
    && useradd --uid 10001 --no-create-home --shell /usr/sbin/nologin kailash \\
    && mkdir -p /app/.kailash /app/workflows/out \\
    && chown 10001:10001 /app/.kailash /app/workflows/out
COPY kailash.yaml ./
COPY workflows ./workflows
USER 10001
VOLUME ["/app/.kailash"]
HEALTHCHECK --interval=60s --timeout=10s CMD ["kailash", "health"]
ENTRYPOINT ["kailash"]
CMD ["run", "workflows/orders.yaml"]
"""

CRONJOB = """\
# The workflow every night at 03:00. A failed run exits 1 and the Job shows it; SIGTERM
# records the run `interrupted` (resume it with `kailash run ... --resume RUN_ID`).
apiVersion: batch/v1
kind: CronJob
metadata:
  name: {project}-orders
spec:
  schedule: "0 3 * * *"
  concurrencyPolicy: Forbid
  jobTemplate:
    spec:
      backoffLimit: 1
      activeDeadlineSeconds: 3600
      template:
        spec:
          restartPolicy: Never
          terminationGracePeriodSeconds: 30
          securityContext:
            runAsNonRoot: true
            runAsUser: 10001
            fsGroup: 10001
          containers:
            - name: orders
              image: registry.example.com/{project}:0.1.0
              args: [run, workflows/orders.yaml, --param, min_total=50]
              securityContext:
                runAsNonRoot: true
                allowPrivilegeEscalation: false
                readOnlyRootFilesystem: true
                capabilities: {{drop: [ALL]}}
              resources:
                requests: {{cpu: 100m, memory: 128Mi}}
                limits: {{cpu: 500m, memory: 512Mi}}
              volumeMounts:
                - {{name: state, mountPath: /app/.kailash}}
                - {{name: out, mountPath: /app/workflows/out}}
                - {{name: tmp, mountPath: /tmp}}
          volumes:
            - name: state
              persistentVolumeClaim: {{claimName: {project}-state}}
            - name: out
              emptyDir: {{}}
            - name: tmp
              emptyDir: {{}}
"""

PRE_COMMIT = """\
# pre-commit (https://pre-commit.com): run `pre-commit install` once; then every commit
# validates the workflows and kailash.yaml and runs the deployment checklist.
repos:
  - repo: https://github.com/kailash-cli/kailash
    rev: v{version}
    hooks:
      - id: kailash-validate
      - id: kailash-check-deploy
"""

GITHUB_WORKFLOW = """\
# Validate, check and try the workflows on every push; findings become annotations.
name: kailash
on: [push, pull_request]
permissions:
  contents: read
jobs:
  kailash:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
      - uses: actions/setup-python@v5
        with:
          python-version: "3.12"
      - run: pip install -r requirements.txt
      - run: kailash validate . --format github
      - run: kailash check-deploy . --format github
      - run: kailash run workflows/orders.yaml -p min_total=50 --output json
"""

GITIGNORE = """\
.kailash/*
!.kailash/schemas/
workflows/out/
__pycache__/
"""

DOCKERIGNORE = """\
.git
.kailash
**/__pycache__
workflows/out
"""

README = """\
# {project}

A kailash project made by `kailash init`.

    kailash validate .                                  # schemas and semantic checks
    kailash run workflows/orders.yaml -p min_total=50   # writes workflows/out/summary.json
    kailash check-deploy .                              # the pre-deployment checklist
    kailash runs                                        # the run history (.kailash/)

- `kailash.yaml`: runtime, security and health checks of the project.
- `workflows/orders.yaml`, `workflows/steps.py`, `workflows/data/orders.csv`: the workflow,
  its Python step and its sample data.
- `Dockerfile`, `deploy/cronjob.yaml`: the image and a nightly Kubernetes CronJob.
- `.pre-commit-config.yaml`, `.github/workflows/kailash.yml`: the same checks before each
  commit and in CI.
"""

#: path in the project -> template
FILES: dict[str, str] = {
    "kailash.yaml": KAILASH_YAML,
    "workflows/orders.yaml": WORKFLOW,
    "workflows/steps.py": STEPS,
    "workflows/data/orders.csv": ORDERS_CSV,
    "requirements.txt": REQUIREMENTS,
    "Dockerfile": DOCKERFILE,
    "deploy/cronjob.yaml": CRONJOB,
    ".pre-commit-config.yaml": PRE_COMMIT,
    ".github/workflows/kailash.yml": GITHUB_WORKFLOW,
    ".gitignore": GITIGNORE,
    ".dockerignore": DOCKERIGNORE,
    "README.md": README,
}

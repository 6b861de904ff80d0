# kailash in a container: `kailash serve` by default, any kailash command otherwise.
#
#   docker build -t kailash:0.1.0 .
#   docker run --read-only --tmpfs /tmp -v kailash-state:/var/lib/kailash -p 8000:8000 \
#       -e KAILASH_API_TOKEN kailash:0.1.0
#   docker run --read-only --tmpfs /tmp -v kailash-state:/var/lib/kailash \
#       kailash:0.1.0 run workflows/hello.yaml -p who=Ada
#
# The image holds kailash (with the serve, PostgreSQL and MySQL extras), the example
# workflows and deploy/kailash.yaml as /app/kailash.yaml. A project builds FROM this image
# and copies its own workflows/ and kailash.yaml over them. The root filesystem can be
# read-only: the run store and the audit log live in /var/lib/kailash (a volume), as the
# config says; workflows that write files need a writable mount for their output folder.

FROM python:3.12.8-slim-bookworm AS build
WORKDIR /src
COPY pyproject.toml README.md CHANGELOG.md ./
COPY kailash_cli ./kailash_cli
COPY schemas ./schemas
RUN python -m venv /opt/kailash \
    && /opt/kailash/bin/pip install --no-cache-dir ".[serve,postgres,mysql]"

FROM python:3.12.8-slim-bookworm
ENV PATH=/opt/kailash/bin:$PATH \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    KAILASH_LOG_FORMAT=json
RUN useradd --uid 10001 --no-create-home --shell /usr/sbin/nologin kailash \
    && mkdir -p /var/lib/kailash /app/workflows/out \
    && chown 10001:10001 /var/lib/kailash /app/workflows/out
COPY --from=build /opt/kailash /opt/kailash
WORKDIR /app
COPY workflows ./workflows
COPY deploy/kailash.yaml ./kailash.yaml
USER 10001
VOLUME ["/var/lib/kailash"]
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=5s --start-period=10s --retries=3 \
    CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/health', timeout=4)"]
ENTRYPOINT ["kailash"]
CMD ["serve", "workflows", "--host", "0.0.0.0", "--port", "8000"]

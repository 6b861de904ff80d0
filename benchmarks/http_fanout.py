"""HTTP fan-out (issue 15, item 2): 200 GETs at concurrency 50 against a local server that
answers each request after 50 ms, through the engine, next to plain asyncio.

    python benchmarks/http_fanout.py

The server runs in its own process (an asyncio HTTP/1.1 server with keep-alive), so its
work does not compete with the client for this process's GIL. The ideal is the server's
delay times the number of waves (200 / 50 = 4 waves: 200 ms); the target is at most 1.5x
that. Plain asyncio (the same requests on raw keep-alive sockets, 50 at a time) is the
baseline measured in the same run. Run by ``make bench`` (``benchmarks/run.py``).
"""

from __future__ import annotations

import asyncio
import statistics
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from figures import Figure, cpu_timed, ms, timed, verdict

from kailash_cli.compile.compiler import compile as compile_workflow
from kailash_cli.compile.validation import load_workflow
from kailash_cli.engine.local import LocalExecutor
from kailash_cli.engine.scheduler import RunOptions
from kailash_cli.engine.scheduler import run as run_engine
from kailash_cli.nodes.files import FileAccess
from kailash_cli.pipeline.setup import prepare

REQUESTS = 200
CONCURRENCY = 50
DELAY_S = 0.05
LIMIT = 1.5
SERVER = """\
import asyncio, sys

async def serve(reader, writer):
    try:
        while await reader.readuntil(b"\\r\\n\\r\\n"):
            await asyncio.sleep(DELAY)
            writer.write(b"HTTP/1.1 200 OK\\r\\nContent-Type: application/json\\r\\n"
                         b"Content-Length: 12\\r\\n\\r\\n{\\"ok\\": true}")
            await writer.drain()
    except (asyncio.IncompleteReadError, ConnectionError):
        pass
    finally:
        writer.close()

async def main():
    server = await asyncio.start_server(serve, "127.0.0.1", 0, backlog=512)
    print(server.sockets[0].getsockname()[1], flush=True)
    await asyncio.get_running_loop().run_in_executor(None, sys.stdin.read)

DELAY = float(sys.argv[1])
asyncio.run(main())
"""


@contextmanager
def slow_server(delay: float = DELAY_S) -> Iterator[str]:
    """A local HTTP server in a child process that answers every request after ``delay``."""
    process = subprocess.Popen(
        [sys.executable, "-c", SERVER, str(delay)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    try:
        assert process.stdout is not None
        yield f"http://127.0.0.1:{process.stdout.readline().strip()}"
    finally:
        assert process.stdin is not None
        process.stdin.close()  # the server ends when its stdin does
        process.wait(10)


def write_fan_out(folder: Path, url: str) -> Path:
    lines = ["name: bench-http", "runtime:", f"  max_concurrency: {CONCURRENCY}", "nodes:"]
    for i in range(REQUESTS):
        lines += [f"  get_{i}:", "    type: HTTPRequestNode", "    config:", f'      url: "{url}/item/{i}"']
    path = folder / "http-fan-out.yaml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


async def _plain_asyncio(host: str, port: int) -> None:
    """The baseline: the same GETs on raw keep-alive sockets, at most ``CONCURRENCY`` at once."""
    todo = list(range(REQUESTS))

    async def worker() -> None:
        reader, writer = await asyncio.open_connection(host, port)
        while todo:
            i = todo.pop()
            writer.write(f"GET /item/{i} HTTP/1.1\r\nHost: {host}\r\n\r\n".encode())
            head = await reader.readuntil(b"\r\n\r\n")
            length = int(head.split(b"Content-Length: ")[1].split(b"\r\n")[0])
            await reader.readexactly(length)
        writer.close()

    await asyncio.gather(*(worker() for _ in range(CONCURRENCY)))


def bench_http(folder: Path, repeats: int = 7) -> list[Figure]:
    with slow_server() as url:
        compiled = compile_workflow(load_workflow(write_fan_out(folder, url))[0])
        prepared = prepare(compiled)
        host, port = url.removeprefix("http://").split(":")

        def engine() -> None:
            with LocalExecutor(CONCURRENCY) as executor:
                executor.prepare_http()  # the client made before the run, as `kailash run` does
                result = run_engine(
                    compiled,
                    RunOptions(
                        executor=executor,
                        files=FileAccess(folder),
                        max_concurrency=CONCURRENCY,
                        prepared=prepared,
                    ),
                )
            assert result.succeeded, [r.error for r in result.nodes.values() if r.error]

        engine()  # warm-up: imports, the OS's sockets
        plain = timed(lambda: asyncio.run(_plain_asyncio(host, int(port))), repeats)
        runs = timed(engine, repeats)
        cpu = statistics.median(cpu_timed(engine, repeats))
        plain_cpu = statistics.median(
            cpu_timed(lambda: asyncio.run(_plain_asyncio(host, int(port))), repeats)
        )
    ideal = DELAY_S * -(-REQUESTS // CONCURRENCY)
    median, plain_median = statistics.median(runs), statistics.median(plain)
    return [
        Figure(
            f"6. HTTP fan-out, {REQUESTS} GETs x {DELAY_S * 1000:.0f} ms, concurrency {CONCURRENCY}",
            f"{ms(median)} median (best {ms(min(runs))}), CPU {ms(cpu)}",
            f"ideal {ms(ideal)}; plain asyncio {ms(plain_median)}, CPU {ms(plain_cpu)}",
            f"{median / ideal:.2f}x ideal, {median / plain_median:.2f}x asyncio",
            f"<= {LIMIT}x ideal",
            median <= LIMIT * ideal,
        )
    ]


def main() -> int:
    with tempfile.TemporaryDirectory(prefix="kailash-bench-http-") as tmp:
        figures = bench_http(Path(tmp))
    for f in figures:
        print(f"{f.target}: {f.measured}; baseline {f.baseline}; {f.ratio}; {f.limit}: {verdict(f.passed)}")
    return 0 if all(f.passed for f in figures) else 1


if __name__ == "__main__":
    raise SystemExit(main())

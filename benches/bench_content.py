"""Content serving under concurrent load: a question page and the question API against a bare
FastAPI endpoint that serves the same bytes as the page, on the same uvicorn settings.

    .venv/bin/python benches/bench_content.py [--seconds 4] [--concurrency 16] [--rounds 3]

Starts, on 127.0.0.1 only: a real `mogi serve` on a fresh migrated + imported SQLite database in a
temporary folder, and a bare app (this file with --bare). For each target it prints requests/s,
p50 and p99 latency, and the server process's CPU time per request. On a shared machine the
wall-clock figures move with other people's load; CPU per request (read from /proc) does not, so
"requests per server CPU-second" is the steadier comparison.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

import httpx

ROOT = Path(__file__).resolve().parent.parent
HOST = "127.0.0.1"
QUESTION = "deep-learning/16"  # math, follow-ups, references, an image caption
BARE_SYNC = "bare endpoint, def (same bytes)"
BARE_ASYNC = "bare endpoint, async def (same bytes)"
TICKS = os.sysconf("SC_CLK_TCK")


@dataclass
class Figures:
    name: str
    requests: int
    seconds: float
    p50_ms: float
    p99_ms: float
    errors: int
    cpu_seconds: float

    @property
    def rps(self) -> float:
        return self.requests / self.seconds

    @property
    def per_cpu_second(self) -> float:
        return self.requests / self.cpu_seconds if self.cpu_seconds else float("inf")


def serve_bare(port: int, body_file: str, log_level: str) -> None:
    """The baseline: fixed bytes from one route, uvicorn run the way `mogi serve` runs it."""
    import uvicorn
    from fastapi import FastAPI
    from fastapi.responses import Response

    body = Path(body_file).read_bytes()
    app = FastAPI()

    @app.get("/questions/{pack}/{number}")
    def page(pack: str, number: str) -> Response:
        return Response(body, media_type="text/html; charset=utf-8")

    @app.get("/async/questions/{pack}/{number}")
    async def page_async(pack: str, number: str) -> Response:
        return Response(body, media_type="text/html; charset=utf-8")

    uvicorn.run(app, host=HOST, port=port, log_level=log_level, proxy_headers=True, workers=1)


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind((HOST, 0))
        return int(s.getsockname()[1])


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process (all its threads), from /proc."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS


def wait_ready(url: str, proc: subprocess.Popen[bytes], timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"server for {url} exited with {proc.returncode}")
        try:
            if httpx.get(url, timeout=1.0).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    raise SystemExit(f"{url} did not answer within {timeout}s")


async def drive(url: str, name: str, pid: int, args: argparse.Namespace) -> Figures:
    """args.concurrency clients, one request after another, for args.seconds (or max requests)."""
    latencies: list[float] = []
    errors = 0
    limits = httpx.Limits(
        max_connections=args.concurrency, max_keepalive_connections=args.concurrency
    )
    async with httpx.AsyncClient(limits=limits, timeout=10.0) as client:
        for _ in range(args.concurrency):  # open the connections, warm the caches
            await client.get(url)
        stop = time.perf_counter() + args.seconds

        async def worker() -> None:
            nonlocal errors
            while time.perf_counter() < stop and len(latencies) < args.max_requests:
                t0 = time.perf_counter()
                response = await client.get(url)
                latencies.append(time.perf_counter() - t0)
                errors += response.status_code != 200

        cpu0, started = cpu_seconds(pid), time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(args.concurrency)))
        elapsed, cpu = time.perf_counter() - started, cpu_seconds(pid) - cpu0
    q = statistics.quantiles(latencies, n=100)
    return Figures(name, len(latencies), elapsed, q[49] * 1000, q[98] * 1000, errors, cpu)


def start(cmd: list[str], env: dict[str, str], log: IO[bytes]) -> subprocess.Popen[bytes]:
    return subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=log)


def run_cli(env: dict[str, str], *args: str) -> None:
    cmd = [sys.executable, "-m", "app.cli", *args]
    subprocess.run(cmd, cwd=ROOT, env=env, check=True, stdout=subprocess.DEVNULL)


def measure(tmp: str, args: argparse.Namespace) -> tuple[dict[str, Figures], bytes]:
    """Start both servers, drive every target in turn for args.rounds; keep each one's best."""
    env = dict(os.environ, MOGI_DATA_DIR=tmp, MOGI_DATABASE_URL=f"sqlite:///{tmp}/bench.db")
    run_cli(env, "migrate")
    run_cli(env, "import")
    mogi_port, bare_port = free_port(), free_port()
    mogi, bare = f"http://{HOST}:{mogi_port}", f"http://{HOST}:{bare_port}"
    log_path = Path(tmp) / "servers.log"
    procs: list[subprocess.Popen[bytes]] = []
    with log_path.open("wb") as log:
        try:
            serve = ["serve", "--host", HOST, "--port", str(mogi_port)]
            procs.append(start([sys.executable, "-m", "app.cli", *serve], env, log))
            wait_ready(f"{mogi}/healthz", procs[0])
            page = httpx.get(f"{mogi}/questions/{QUESTION}").content
            (Path(tmp) / "page.html").write_bytes(page)
            bare_cmd = [sys.executable, __file__, "--bare", str(bare_port), f"{tmp}/page.html"]
            procs.append(start(bare_cmd, env, log))
            wait_ready(f"{bare}/questions/{QUESTION}", procs[1])
            targets = {
                BARE_SYNC: (f"{bare}/questions/{QUESTION}", procs[1].pid),
                BARE_ASYNC: (f"{bare}/async/questions/{QUESTION}", procs[1].pid),
                "question page": (f"{mogi}/questions/{QUESTION}", procs[0].pid),
                "question API": (f"{mogi}/api/v1/questions/{QUESTION}", procs[0].pid),
            }
            best: dict[str, Figures] = {}
            for _ in range(args.rounds):
                for name, (url, pid) in targets.items():
                    figures = asyncio.run(drive(url, name, pid, args))
                    if name not in best or figures.rps > best[name].rps:
                        best[name] = figures
        except BaseException:
            log.flush()
            sys.stderr.write(log_path.read_text(errors="replace")[-3000:])
            raise
        finally:
            for proc in procs:
                proc.terminate()
                proc.wait(timeout=10)
    return best, page


async def _asgi_get(app: Any, path: str) -> int:
    """One GET straight into an ASGI app (no socket, no HTTP parsing); returns the status."""
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "root_path": "",
        "client": (HOST, 1),
        "server": (HOST, 80),
        "headers": [(b"host", HOST.encode()), (b"cookie", b"mogi_csrf=bench-token")],
    }
    status = 0

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        nonlocal status
        status = message.get("status", status)

    await app(scope, receive, send)
    return status


def in_process(tmp: str, page: bytes, calls: int = 1000, rounds: int = 5) -> dict[str, float]:
    """Server CPU µs per request with the HTTP server taken out: median of rounds."""
    os.environ.update(MOGI_DATA_DIR=tmp, MOGI_DATABASE_URL=f"sqlite:///{tmp}/bench.db")
    os.environ.setdefault("MOGI_LOG_LEVEL", "WARNING")
    from fastapi import FastAPI
    from fastapi.responses import Response

    from app.main import create_app

    bare = FastAPI()

    @bare.get("/def/{pack}/{number}")
    def bare_def(pack: str, number: str) -> Response:
        return Response(page)

    @bare.get("/async/{pack}/{number}")
    async def bare_async(pack: str, number: str) -> Response:
        return Response(page)

    mogi = create_app()
    targets = {
        BARE_SYNC: (bare, f"/def/{QUESTION}"),
        BARE_ASYNC: (bare, f"/async/{QUESTION}"),
        "question page": (mogi, f"/questions/{QUESTION}"),
        "question API": (mogi, f"/api/v1/questions/{QUESTION}"),
    }

    async def run() -> dict[str, float]:
        samples: dict[str, list[float]] = {}
        for _ in range(rounds):
            for name, (app, path) in targets.items():
                for _ in range(30):
                    assert await _asgi_get(app, path) == 200, path
                t0 = time.process_time()
                for _ in range(calls):
                    await _asgi_get(app, path)
                samples.setdefault(name, []).append((time.process_time() - t0) / calls * 1e6)
        return {name: statistics.median(v) for name, v in samples.items()}

    return asyncio.run(run())


def report(best: dict[str, Figures], page_size: int, args: argparse.Namespace) -> None:
    # Compared with whichever bare variant did better: the stricter baseline.
    bare = max((best[BARE_SYNC], best[BARE_ASYNC]), key=lambda f: f.rps)
    bare_cpu = max(best[BARE_SYNC].per_cpu_second, best[BARE_ASYNC].per_cpu_second)
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    print(
        f"machine: {platform.machine()}, {os.cpu_count()} cores, Python "
        f"{platform.python_version()}; load average after the run: {load}"
    )
    print(
        f"page: /questions/{QUESTION}, {page_size} bytes; {args.concurrency} concurrent "
        f"clients; {args.seconds:g} s per target and round; best of {args.rounds} rounds"
    )
    print(
        "| target | requests/s | p50 ms | p99 ms | errors | server CPU ms/request "
        "| requests per server CPU-second | vs bare (rps) | vs bare (per CPU-second) |"
    )
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    for f in best.values():
        print(
            f"| {f.name} | {f.rps:.0f} | {f.p50_ms:.1f} | {f.p99_ms:.1f} | {f.errors} | "
            f"{1000 * f.cpu_seconds / f.requests:.2f} | {f.per_cpu_second:.0f} | "
            f"{f.rps / bare.rps:.2f}x | {f.per_cpu_second / bare_cpu:.2f}x |"
        )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=4.0, help="per target and round")
    parser.add_argument("--max-requests", type=int, default=50_000, help="per target and round")
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--rounds", type=int, default=3, help="targets are measured in turn")
    parser.add_argument("--bare", nargs=2, metavar=("PORT", "BODY_FILE"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.bare:
        log_level = os.environ.get("MOGI_LOG_LEVEL", "INFO").lower()
        serve_bare(int(args.bare[0]), args.bare[1], log_level)
        return 0
    with tempfile.TemporaryDirectory(prefix="mogi-bench-") as tmp:
        best, page = measure(tmp, args)
        report(best, len(page), args)
        cpu = in_process(tmp, page)
    bare_us = min(cpu[BARE_SYNC], cpu[BARE_ASYNC])
    print("\nIn process (ASGI calls, no HTTP server), server CPU per request, median of 5 x 1000:")
    print("| target | server CPU µs/request | vs faster bare |")
    print("| --- | ---: | ---: |")
    for name, us in cpu.items():
        print(f"| {name} | {us:.0f} | {bare_us / us:.2f}x |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""Content serving under concurrent load: a question page and the question API against a bare
FastAPI endpoint that serves the same bytes as the page, on the same uvicorn settings.

    .venv/bin/python benches/bench_content.py [--seconds 5] [--concurrency 16] [--rounds 2]

Starts, on 127.0.0.1 only: a real `mogi serve` on a fresh migrated + imported SQLite database in a
temporary folder, and a bare app (this file with --bare). Prints requests/s, p50 and p99 per target.
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

import httpx

ROOT = Path(__file__).resolve().parent.parent
HOST = "127.0.0.1"
QUESTION = "deep-learning/16"
BARE_SYNC = "bare endpoint, def (same bytes)"
BARE_ASYNC = "bare endpoint, async def (same bytes)"  # math, follow-ups, references, an image caption


@dataclass
class Figures:
    name: str
    requests: int
    seconds: float
    p50_ms: float
    p99_ms: float
    errors: int

    @property
    def rps(self) -> float:
        return self.requests / self.seconds


def serve_bare(port: int, body_file: str, log_level: str) -> None:
    """The baseline: one route returning fixed bytes, uvicorn run the way `mogi serve` runs it."""
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


async def drive(url: str, name: str, seconds: float, concurrency: int) -> Figures:
    """concurrency clients, each sending one request after another for `seconds`."""
    latencies: list[float] = []
    errors = 0
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(limits=limits, timeout=10.0) as client:
        for _ in range(concurrency):  # warm up connections and caches
            await client.get(url)
        stop = time.perf_counter() + seconds

        async def worker() -> None:
            nonlocal errors
            while time.perf_counter() < stop:
                t0 = time.perf_counter()
                response = await client.get(url)
                latencies.append(time.perf_counter() - t0)
                if response.status_code != 200:
                    errors += 1

        started = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        elapsed = time.perf_counter() - started
    quantiles = statistics.quantiles(latencies, n=100)
    return Figures(
        name, len(latencies), elapsed, quantiles[49] * 1000, quantiles[98] * 1000, errors
    )


def run_cli(env: dict[str, str], *args: str) -> None:
    subprocess.run(
        [sys.executable, "-m", "app.cli", *args],
        cwd=ROOT,
        env=env,
        check=True,
        stdout=subprocess.DEVNULL,
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--rounds", type=int, default=2, help="targets are measured in turn")
    parser.add_argument("--bare", nargs=2, metavar=("PORT", "BODY_FILE"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    log_level = os.environ.get("MOGI_LOG_LEVEL", "INFO").lower()
    if args.bare:
        serve_bare(int(args.bare[0]), args.bare[1], log_level)
        return 0

    with tempfile.TemporaryDirectory(prefix="mogi-bench-") as tmp:
        env = dict(
            os.environ,
            MOGI_DATA_DIR=tmp,
            MOGI_DATABASE_URL=f"sqlite:///{tmp}/bench.db",
            MOGI_ENV="test",
            PYTHONUNBUFFERED="1",
        )
        run_cli(env, "migrate")
        run_cli(env, "import")
        mogi_port, bare_port = free_port(), free_port()
        procs: list[subprocess.Popen[bytes]] = []
        log = open(Path(tmp) / "servers.log", "wb")  # noqa: SIM115 - closed below
        try:
            procs.append(
                subprocess.Popen(
                    [
                        sys.executable,
                        "-m",
                        "app.cli",
                        "serve",
                        "--host",
                        HOST,
                        "--port",
                        str(mogi_port),
                    ],
                    cwd=ROOT,
                    env=env,
                    stdout=subprocess.DEVNULL,
                    stderr=log,
                )
            )
            mogi = f"http://{HOST}:{mogi_port}"
            wait_ready(f"{mogi}/healthz", procs[0])
            page_bytes = httpx.get(f"{mogi}/questions/{QUESTION}").content
            body_file = Path(tmp) / "page.html"
            body_file.write_bytes(page_bytes)
            procs.append(
                subprocess.Popen(
                    [sys.executable, __file__, "--bare", str(bare_port), str(body_file)],
                    cwd=ROOT,
                    env=env,
                    stdout=subprocess.DEVNULL,
                    stderr=log,
                )
            )
            bare = f"http://{HOST}:{bare_port}"
            wait_ready(f"{bare}/questions/{QUESTION}", procs[1])
            targets = {
                BARE_SYNC: f"{bare}/questions/{QUESTION}",
                BARE_ASYNC: f"{bare}/async/questions/{QUESTION}",
                "question page": f"{mogi}/questions/{QUESTION}",
                "question API": f"{mogi}/api/v1/questions/{QUESTION}",
            }
            best: dict[str, Figures] = {}
            for _ in range(args.rounds):
                for name, url in targets.items():
                    print(f"measuring {name}...", file=sys.stderr)
                    figures = asyncio.run(drive(url, name, args.seconds, args.concurrency))
                    if name not in best or figures.rps > best[name].rps:
                        best[name] = figures
        except BaseException:
            log.flush()
            sys.stderr.write((Path(tmp) / "servers.log").read_text(errors="replace")[-3000:])
            raise
        finally:
            for proc in procs:
                proc.terminate()
                proc.wait(timeout=10)
            log.close()
    report(best, len(page_bytes), args)
    return 0


def report(best: dict[str, Figures], page_size: int, args: argparse.Namespace) -> None:
    # The stricter baseline: whichever bare variant was faster.
    bare = max(best[BARE_SYNC].rps, best[BARE_ASYNC].rps)
    print(
        f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}"
    )
    print(
        f"page: /questions/{QUESTION}, {page_size} bytes; {args.concurrency} concurrent clients, "
        f"{args.seconds:g} s per target, best of {args.rounds} rounds"
    )
    print("| target | requests/s | p50 ms | p99 ms | errors | vs faster bare |")
    print("| --- | ---: | ---: | ---: | ---: | ---: |")
    for f in best.values():
        print(
            f"| {f.name} | {f.rps:.0f} | {f.p50_ms:.1f} | {f.p99_ms:.1f} | {f.errors} | "
            f"{f.rps / bare:.2f}x |"
        )


if __name__ == "__main__":
    raise SystemExit(main())

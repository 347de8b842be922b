"""Live demos end to end: from POST /api/v1/demos to the first progress event on the SSE stream,
with a warm worker, and the web process's memory afterwards.

    .venv/bin/python benches/bench_demos.py [--jobs 10] [--set model=mlp ...] [--database-url URL]

Starts, on 127.0.0.1 only: a real `mogi serve` and a real `mogi worker` on a fresh migrated
SQLite database in a temporary folder (or on --database-url, e.g. a PostgreSQL database), and a
user with an API token. For each job it POSTs an `architecture` run (a new seed each time, so
no stored result is reused), reads the event stream until the first `progress` event, records
the time since the POST, and cancels the run so the next one starts on an idle worker. Then it
prints p50/max, the web process's VmRSS (from /proc/<pid>/status) and whether torch is mapped
into it (its /proc/<pid>/maps), next to a `python -c` check that importing the app pulls in
no torch. MOGI_MNIST_DIR must hold MNIST (default ../shared/mnist).
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parent.parent
HOST = "127.0.0.1"
IMPORT_CHECK = (
    "import sys, app.main, app.demos.api, app.demos.service; app.main.create_app(); "
    "print('torch' in sys.modules)"
)


def main() -> int:
    args = parse_args()
    with tempfile.TemporaryDirectory(prefix="mogi-bench-demos-") as tmp:
        env = bench_env(Path(tmp), args.database_url)
        run([sys.executable, "-m", "app.cli", "migrate"], env)
        token = make_token(env)
        port = free_port()
        server = start(
            ["serve", "--host", HOST, "--port", str(port)], env, Path(tmp) / "server.log"
        )
        worker = start(["worker"], env, Path(tmp) / "worker.log")
        try:
            base = f"http://{HOST}:{port}"
            wait_ready(base, Path(tmp) / "worker.log")
            params = dict(kv.split("=", 1) for kv in args.set)
            latencies = measure(base, token, params, args.jobs)
            report(latencies, server.pid, env, params)
        finally:
            for proc in (worker, server):
                proc.terminate()
                proc.wait(timeout=20)
    return 0


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--jobs", type=int, default=10)
    parser.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="architecture parameters (default: its defaults, the CNN)",
    )
    parser.add_argument("--database-url", default="")
    return parser.parse_args()


def bench_env(tmp: Path, database_url: str) -> dict[str, str]:
    env = dict(os.environ)
    env.update({
        "MOGI_DATA_DIR": str(tmp),
        "MOGI_DATABASE_URL": database_url or f"sqlite:///{tmp / 'bench.db'}",
        "MOGI_MNIST_DIR": env.get("MOGI_MNIST_DIR", str(ROOT.parent / "shared" / "mnist")),
        "MOGI_MNIST_DOWNLOAD": "false",
        "PYTHONUNBUFFERED": "1",
    })  # fmt: skip
    return env


def run(argv: list[str], env: dict[str, str]) -> str:
    done = subprocess.run(argv, cwd=ROOT, env=env, check=True, capture_output=True, text=True)
    return done.stdout


def make_token(env: dict[str, str]) -> str:
    """A user and an API token, made through the app's own code."""
    code = (
        "from app.db import session_factory\n"
        "from tests.factories import make_token, make_user\n"
        "with session_factory()() as db:\n"
        "    print(make_token(db, make_user(db)))\n"
    )
    return run([sys.executable, "-c", code], env).strip()


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind((HOST, 0))
        return int(s.getsockname()[1])


def start(command: list[str], env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    with open(log, "wb") as out:
        return subprocess.Popen(
            [sys.executable, "-m", "app.cli", *command],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )


def wait_ready(base: str, worker_log: Path, timeout: float = 180.0) -> None:
    """The server answers and the worker has torch and MNIST loaded (its log says so)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            up = httpx.get(base + "/healthz", timeout=1).status_code == 200
        except httpx.HTTPError:
            up = False
        if up and "worker started" in worker_log.read_text(errors="replace"):
            return
        time.sleep(0.2)
    raise RuntimeError(f"not ready after {timeout}s:\n{worker_log.read_text()}")


def measure(base: str, token: str, params: dict[str, Any], jobs: int) -> list[tuple[float, float]]:
    """Seconds from each POST to its `started` and first `progress` events, read from the SSE
    stream as a page reads it."""
    headers = {"Authorization": f"Bearer {token}"}
    latencies = []
    with httpx.Client(base_url=base, headers=headers, timeout=120) as http:
        for i in range(jobs):
            body = {"experiment": "architecture", "params": {**params, "seed": 1000 + i}}
            posted = time.perf_counter()
            r = http.post("/api/v1/demos", json=body)
            r.raise_for_status()
            job_id = r.json()["id"]
            started, progress = first_events(http, job_id)
            latencies.append((started - posted, progress - posted))
            http.post(f"/api/v1/demos/{job_id}/cancel").raise_for_status()
            wait_ended(http, job_id)
    return latencies


def first_events(http: httpx.Client, job_id: int) -> tuple[float, float]:
    """When the `started` and the first `progress` event arrived."""
    started = 0.0
    with http.stream("GET", f"/api/v1/demos/{job_id}/events") as response:
        for line in response.iter_lines():
            if line == "event: started":
                started = time.perf_counter()
            elif line == "event: progress":
                return started, time.perf_counter()
            elif line in ("event: failed", "event: cancelled"):
                break
    raise RuntimeError(f"run {job_id} ended without progress")


def wait_ended(http: httpx.Client, job_id: int) -> None:
    while http.get(f"/api/v1/demos/{job_id}").json()["status"] in ("queued", "running"):
        time.sleep(0.05)


def report(
    latencies: list[tuple[float, float]], server_pid: int, env: dict[str, str], params: dict
) -> None:
    rss_mb = vm_rss_kb(server_pid) / 1024
    torch_mapped = "torch" in Path(f"/proc/{server_pid}/maps").read_text()
    imports_torch = run([sys.executable, "-c", IMPORT_CHECK], env).strip()
    to_started = [s for s, _ in latencies]
    to_progress = [p for _, p in latencies]
    print(
        f"machine: {platform.machine()}, {os.cpu_count()} CPUs, "
        f"load average {os.getloadavg()[0]:.1f}; python {platform.python_version()}"
    )
    print(f"architecture params: {params or 'defaults'}; {len(latencies)} jobs")
    print(
        f"POST -> first progress event: p50 {statistics.median(to_progress):.2f} s, "
        f"max {max(to_progress):.2f} s, min {min(to_progress):.2f} s"
    )
    print(
        f"POST -> started event (claimed, child forked): p50 "
        f"{statistics.median(to_started):.2f} s, max {max(to_started):.2f} s"
    )
    print(
        f"web process: VmRSS {rss_mb:.0f} MB; torch mapped into it: {torch_mapped}; "
        f"`import app.main` + create_app() imports torch: {imports_torch}"
    )


def vm_rss_kb(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise RuntimeError(f"no VmRSS for {pid}")


if __name__ == "__main__":
    raise SystemExit(main())

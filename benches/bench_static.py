"""Bytes a browser downloads for the API docs page's files (Swagger UI, its stylesheet, ours).

Starts a real `mogi serve` on 127.0.0.1 (fresh migrated SQLite in a temporary folder), or uses
the server at --base, loads /api/v1/docs, and fetches every /static/ file the page links the way
Chromium asks for it (`Accept-Encoding: gzip, deflate, br, zstd`), counting the body bytes that
cross the wire, then once more asking for no compression. Usage:

    .venv/bin/python benches/bench_static.py [--base http://127.0.0.1:8000]
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
HOST = "127.0.0.1"
BROWSER = "gzip, deflate, br, zstd"


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind((HOST, 0))
        return int(s.getsockname()[1])


def wire_bytes(client: httpx.Client, url: str, encoding: str) -> tuple[int, str, str]:
    """Body bytes as sent (not decompressed), the coding used and the cache policy."""
    with client.stream("GET", url, headers={"accept-encoding": encoding}) as r:
        r.raise_for_status()
        size = sum(len(chunk) for chunk in r.iter_raw())
        coding = r.headers.get("content-encoding", "identity")
        return size, coding, r.headers.get("cache-control", "")


def measure(base: str) -> None:
    with httpx.Client(base_url=base, timeout=30.0) as client:
        page = client.get("/api/v1/docs").text
        urls = re.findall(r'(?:href|src)="(/static/[^"]+)"', page)
        total_plain = total_sent = 0
        print(f"| file | as stored | sent ({BROWSER}) | coding | Cache-Control |")
        print("| --- | ---: | ---: | --- | --- |")
        for url in urls:
            plain, _, _ = wire_bytes(client, url, "identity")
            sent, coding, cache = wire_bytes(client, url, BROWSER)
            total_plain += plain
            total_sent += sent
            print(f"| `{url}` | {plain:,} | {sent:,} | {coding} | {cache or '-'} |")
        print(f"| total | {total_plain:,} | {total_sent:,} | | |")
        print(f"\nsent / stored: {total_sent / total_plain:.1%}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--base", help="a running Mogi to measure instead of starting one")
    args = parser.parse_args()
    if args.base:
        measure(args.base)
        return
    with tempfile.TemporaryDirectory() as tmp:
        env = dict(os.environ, MOGI_DATA_DIR=tmp, MOGI_DATABASE_URL=f"sqlite:///{tmp}/bench.db")
        cli = [sys.executable, "-m", "app.cli"]
        subprocess.run([*cli, "migrate"], cwd=ROOT, env=env, check=True, capture_output=True)
        port = free_port()
        serve = [*cli, "serve", "--host", HOST, "--port", str(port)]
        proc = subprocess.Popen(
            serve, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        base = f"http://{HOST}:{port}"
        try:
            deadline = time.monotonic() + 30
            while True:
                try:
                    if httpx.get(f"{base}/healthz", timeout=1.0).status_code == 200:
                        break
                except httpx.HTTPError:
                    pass
                if time.monotonic() > deadline or proc.poll() is not None:
                    raise SystemExit("the server did not start")
                time.sleep(0.1)
            measure(base)
        finally:
            proc.terminate()
            proc.wait(timeout=10)


if __name__ == "__main__":
    main()

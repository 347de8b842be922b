"""Search over the whole library: relevance, latency and the web process's memory.

    .venv/bin/python benches/bench_search.py [--rounds 20]

On a fresh SQLite database in a temporary folder: migrates, imports content/ (timing the Korean
analysis, which runs only here, at import), then
- relevance: recall@3 and MRR of tests/content/search_queries.py (the queries of the test);
- latency: every query through the search index in process, `--rounds` times, p50/p95/max;
- memory: a real `mogi serve` on that database answers every query on /search and /api/v1/
  questions; its resident set (VmRSS, VmHWM from /proc) is read after. Kiwi's own load time and
  memory are measured in a child process for comparison: the web process never loads it.
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

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def cpu_model() -> str:
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            return line.split(":", 1)[1].strip()
    return platform.processor() or "unknown"


def rss_kib(pid: int) -> tuple[int, int]:
    fields = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, value = line.partition(":")
        fields[key] = value.strip()
    return int(fields["VmRSS"].split()[0]), int(fields["VmHWM"].split()[0])


def kiwi_cost() -> str:
    code = (
        "import time,resource;t=time.perf_counter();from kiwipiepy import Kiwi;"
        "k=Kiwi(num_workers=-1);k.tokenize('배치 정규화');"
        "print(f'{time.perf_counter()-t:.2f} s, max RSS '"
        "f'{resource.getrusage(resource.RUSAGE_SELF).ru_maxrss/1024:.0f} MiB')"
    )
    return subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout.strip()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=20)
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="mogi-bench-search-"))
    env = dict(os.environ, MOGI_DATA_DIR=str(tmp), MOGI_DATABASE_URL=f"sqlite:///{tmp}/m.db")
    os.environ.update(env)
    mogi = [sys.executable, "-m", "app.cli"]
    subprocess.run([*mogi, "migrate"], env=env, check=True, capture_output=True)
    started = time.perf_counter()
    subprocess.run([*mogi, "import"], env=env, check=True, capture_output=True)
    import_s = time.perf_counter() - started

    from app.content import service
    from app.db import session_factory
    from tests.content.search_queries import QUERIES

    with session_factory()() as session:
        index = service.cache.search_index(session)
    found, reciprocal = 0, 0.0
    for query, wanted in QUERIES:
        keys = [h.document.key for h in index.search(query)[1]]
        rank = next((i + 1 for i, k in enumerate(keys) if k in wanted), None)
        found += rank is not None and rank <= 3
        reciprocal += 1 / rank if rank else 0.0
    timings = []
    for _ in range(args.rounds):
        for query, _ in QUERIES:
            t = time.perf_counter()
            index.search(query)
            timings.append((time.perf_counter() - t) * 1000)
    timings.sort()
    p95 = timings[int(len(timings) * 0.95) - 1]

    port = 18765
    server = subprocess.Popen(
        [*mogi, "serve", "--host", "127.0.0.1", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        base = f"http://127.0.0.1:{port}"
        for _ in range(100):
            try:
                httpx.get(base + "/healthz", timeout=1)
                break
            except httpx.HTTPError:
                time.sleep(0.2)
        idle = rss_kib(server.pid)
        page_ms = []
        for query, _ in QUERIES:
            for url in ("/search", "/api/v1/questions"):
                t = time.perf_counter()
                r = httpx.get(base + url, params={"q": query}, timeout=10)
                page_ms.append((time.perf_counter() - t) * 1000)
                assert r.status_code in (200, 303), (url, query, r.status_code)
        after = rss_kib(server.pid)
    finally:
        server.terminate()
        server.wait(timeout=10)
    page_ms.sort()
    print(f"CPU: {cpu_model()}, {os.cpu_count()} cores, Python {platform.python_version()}")
    print(
        f"library: {len(index.documents)} questions, {len(index.vocabulary)} index terms, "
        f"{len(index.groups)} glossary groups; `mogi import` of content/: {import_s:.1f} s"
    )
    print(
        f"queries: {len(QUERIES)}; recall@3 {found / len(QUERIES):.3f}; "
        f"MRR {reciprocal / len(QUERIES):.3f}"
    )
    print(
        f"search in process, {len(timings)} runs: p50 {statistics.median(timings):.2f} ms, "
        f"p95 {p95:.2f} ms, max {timings[-1]:.2f} ms"
    )
    print(
        f"over HTTP (page and API, one client): p50 {statistics.median(page_ms):.1f} ms, "
        f"p95 {page_ms[int(len(page_ms) * 0.95) - 1]:.1f} ms"
    )
    print(
        f"web process RSS: {idle[0] / 1024:.0f} MiB after start, {after[0] / 1024:.0f} MiB "
        f"after every query (peak {after[1] / 1024:.0f} MiB)"
    )
    print(f"kiwipiepy (import only, never in the web process): {kiwi_cost()}")


if __name__ == "__main__":
    main()

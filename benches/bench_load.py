"""A class of users on one machine: real HTTP load against a real `mogi serve --with-worker`.

    .venv/bin/python benches/bench_load.py [--users 50] [--duration 60] [--rounds 1]
        [--database sqlite|postgresql] [--json results.json] [--port P] [--soak]

Starts, on 127.0.0.1 only: `mogi migrate`, `mogi import` and `mogi serve --with-worker` (one web
process and its worker, MOGI_ENV=production with a random secret key) on a fresh SQLite file in a
temporary folder, or on a fresh PostgreSQL database that it creates and drops (--pg-url, default
MOGI_TEST_PG_URL or postgresql://postgres@127.0.0.1:5432/postgres). MNIST comes from
MOGI_MNIST_DIR (default ../shared/mnist), never from the network. The generator is aiohttp (a dev
dependency): one process, one coroutine per user, keep-alive connections, so it costs little of
the cores it shares with the server (its CPU use is reported).

Setup: every user signs up through the API (`POST /api/v1/users`) and takes an API token
(`POST /api/v1/tokens`); half of them also log in through the login form (`GET /login` for the
CSRF cookie and token, `POST /login`) and browse with the session cookie, calling the API with
the cookie and the `X-CSRF-Token` header as the pages do; the other half browse pages anonymously
and call the API with their token. Sign-ups run 4 at a time (--signup-concurrency: each hashes
a password with argon2) before the first round, with figures of their own.

Each round: the users start over --ramp seconds, then click for --duration seconds, each click
after a random 0.2-1.0 s pause, weighted as WEIGHTS says: question pages, the question API, one
step of grading (start a session, next card, reveal, grade with an Idempotency-Key; a failed
grade is retried with the same key), progress (the page for cookie users, the API for token
users) and a static file. --demo-users of them (default 10) each keep a demo running (a small
MLP run; 429 waits for Retry-After), keep its event stream (SSE) open until it ends, then start
the next, and poll its status among their clicks.

Recorded per action: count, statuses, errors (503, other 5xx, unexpected 4xx, timeouts after
10 s, connection errors), p50/p99/max latency; requests/s; the web process's and the worker's
VmRSS at start and every 10 s; CPU time of the server and of this generator. After each round:
20 sequential `/healthz` and question-page requests, each must answer 200 within 1 s. Only the
measured window (after the ramp) counts in the figures; errors during the ramp are shown too.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import random
import re
import resource
import secrets
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import aiohttp

sys.path.insert(0, str(Path(__file__).resolve().parent))
from loadgen import (  # noqa: E402  (benches/ is not a package on the script's path)
    REQUEST_TIMEOUT_S,
    Recorder,
    Reply,
    sleep_until,
    timed_request,
)

ROOT = Path(__file__).resolve().parent.parent
HOST = "127.0.0.1"
PACK = "deep-learning"
PG_ADMIN_URL = os.environ.get("MOGI_TEST_PG_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
THINK_S = (0.2, 1.0)
RSS_EVERY_S = 10.0
RECOVERY_REQUESTS = 20
RECOVERY_LIMIT_S = 1.0
STATIC_FILE = "/static/css/app.css"
# A run that trains for real (a new seed each time, so no stored result answers it) but briefly.
DEMO_PARAMS = {"model": "mlp", "epochs": 1, "train_subset": 5000}
DEMO_ENDED = frozenset({"finished", "failed", "cancelled"})
# The stream sends a comment every 15 s while nothing happens; twice that is a dead stream.
SSE_TIMEOUT = aiohttp.ClientTimeout(total=None, sock_connect=REQUEST_TIMEOUT_S, sock_read=30)
CSRF_META = re.compile(rb'<meta name="csrf-token" content="([^"]+)"')
CSRF_FIELD = re.compile(rb'name="csrf_token" value="([^"]+)"')
# Roughly what a class does: read, grade, look at progress; pages pull a stylesheet.
WEIGHTS = {
    "question page": 30,
    "question API": 15,
    "grade": 25,
    "progress": 10,
    "static": 10,
    "demo status": 10,
}
TICKS = os.sysconf("SC_CLK_TCK")


# --- the server under test -----------------------------------------------------------------


class Server:
    """`mogi serve --with-worker` as a child process, and what /proc says about it."""

    def __init__(self, env: dict[str, str], port: int, log_path: Path) -> None:
        self.port = port
        self.log_path = log_path
        mogi = Path(sys.executable).parent / "mogi"
        with open(log_path, "wb") as log:
            self.proc = subprocess.Popen(
                [str(mogi), "serve", "--host", HOST, "--port", str(port), "--with-worker"],
                cwd=ROOT,
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        self._worker: int | None = None

    @property
    def base(self) -> str:
        return f"http://{HOST}:{self.port}"

    def worker_pid(self) -> int | None:
        """The `mogi worker` child of the serve process (found once, then checked alive)."""
        if self._worker is not None and Path(f"/proc/{self._worker}").exists():
            return self._worker
        self._worker = None
        for pid in children(self.proc.pid):
            if b"worker" in read_bytes(f"/proc/{pid}/cmdline"):
                self._worker = pid
        return self._worker

    def rss_mb(self, field: str = "VmRSS") -> tuple[float | None, float | None]:
        """VmRSS (or VmHWM, the peak) of the web process and of the worker, in MB."""
        worker = self.worker_pid()
        return vm_mb(self.proc.pid, field), vm_mb(worker, field) if worker else None

    def cpu_s(self) -> tuple[float, float]:
        """CPU seconds used so far by the web process and by the worker (with its children)."""
        worker = self.worker_pid()
        return cpu_seconds(self.proc.pid), cpu_seconds(worker, with_children=True) if worker else 0

    def stop(self) -> dict[str, Any]:
        """SIGTERM, as a supervisor would send it; says whether the worker went with it."""
        worker = self.worker_pid()
        started = time.perf_counter()
        self.proc.send_signal(signal.SIGTERM)
        try:
            code: int | None = self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            code = None
        left = worker is not None and wait_gone(worker, 10)
        if left and worker is not None:
            os.kill(worker, signal.SIGKILL)
        return {
            "exit_code": code,
            "stop_s": round(time.perf_counter() - started, 2),
            "worker_left_behind": left,
        }


def read_bytes(path: str) -> bytes:
    try:
        return Path(path).read_bytes()
    except OSError:
        return b""


def children(pid: int) -> list[int]:
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        fields = read_bytes(str(stat)).rsplit(b")", 1)[-1].split()
        if len(fields) > 1 and int(fields[1]) == pid:
            found.append(int(stat.parent.name))
    return found


def vm_mb(pid: int, field: str) -> float | None:
    for line in read_bytes(f"/proc/{pid}/status").splitlines():
        if line.startswith(field.encode() + b":"):
            return round(int(line.split()[1]) / 1024, 1)
    return None


def cpu_seconds(pid: int, with_children: bool = False) -> float:
    fields = read_bytes(f"/proc/{pid}/stat").rsplit(b")", 1)[-1].split()
    if len(fields) < 15:
        return 0.0
    # utime, stime (and the reaped children's cutime, cstime) are fields 14-17 of stat.
    ticks = sum(int(f) for f in fields[11 : 15 if with_children else 13])
    return ticks / TICKS


def wait_gone(pid: int, seconds: float) -> bool:
    """True when `pid` is still there after `seconds`."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        state = read_bytes(f"/proc/{pid}/stat").rsplit(b")", 1)[-1].split()[:1]
        if not state or state == [b"Z"]:
            return False
        time.sleep(0.1)
    return True


def server_env(tmp: Path, database_url: str) -> dict[str, str]:
    env = dict(os.environ)
    mnist = env.get("MOGI_MNIST_DIR") or str(ROOT.parent / "shared" / "mnist")
    env.update({
        # As a class's server runs: production hashing and templates read once.
        "MOGI_ENV": "production",
        "MOGI_SECRET_KEY": secrets.token_urlsafe(48),
        "MOGI_DATA_DIR": str(tmp),
        "MOGI_DATABASE_URL": database_url,
        "MOGI_MNIST_DIR": str(Path(mnist).resolve()),
        "MOGI_MNIST_DOWNLOAD": "false",
        "MOGI_LOG_LEVEL": "WARNING",
        "PYTHONUNBUFFERED": "1",
    })  # fmt: skip
    return env


def prepare_database(env: dict[str, str]) -> None:
    mogi = str(Path(sys.executable).parent / "mogi")
    for command in (["migrate"], ["import"]):
        subprocess.run(
            [mogi, *command], cwd=ROOT, env=env, check=True, capture_output=True, text=True
        )


@contextmanager
def database(kind: str, tmp: Path, admin_url: str) -> Iterator[str]:
    """A fresh database URL: a SQLite file in `tmp`, or a PostgreSQL database made and dropped."""
    if kind == "sqlite":
        yield f"sqlite:///{tmp / 'load.db'}"
        return
    import psycopg
    from psycopg import sql

    name = sql.Identifier(f"mogi_load_{secrets.token_hex(4)}")
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE DATABASE {}").format(name))
    try:
        yield urlunsplit(urlsplit(admin_url)._replace(path=f"/{name.as_string()[1:-1]}"))
    finally:
        with psycopg.connect(admin_url, autocommit=True) as conn:
            conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(name))


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind((HOST, 0))
        return int(s.getsockname()[1])


async def wait_ready(server: Server, timeout: float = 120.0) -> None:
    deadline = time.monotonic() + timeout
    async with aiohttp.ClientSession(base_url=server.base) as http:
        while time.monotonic() < deadline:
            if server.proc.poll() is not None:
                raise RuntimeError(f"mogi serve exited:\n{server.log_path.read_text()[-3000:]}")
            with suppress(aiohttp.ClientError, TimeoutError):
                async with http.get("/healthz", timeout=aiohttp.ClientTimeout(total=2)) as r:
                    if r.status == 200 and server.worker_pid() is not None:
                        return
            await asyncio.sleep(0.2)
    raise RuntimeError(f"not ready after {timeout}s:\n{server.log_path.read_text()[-3000:]}")


# --- memory over time ----------------------------------------------------------------------


class RssLog:
    """VmRSS of the web process and the worker: kept every 10 s and at each named moment;
    read every second for the highest value since reset_peak()."""

    def __init__(self, server: Server) -> None:
        self.server = server
        self.samples: list[dict[str, Any]] = []
        self.started = time.perf_counter()
        self.peak: dict[str, float] = {}

    def mark(self, label: str) -> dict[str, Any]:
        web, worker = self.server.rss_mb()
        sample = {
            "t_s": round(time.perf_counter() - self.started, 1),
            "label": label,
            "web_mb": web,
            "worker_mb": worker,
            "load1": round(os.getloadavg()[0], 2),
        }
        self.samples.append(sample)
        self._note_peak(web, worker)
        return sample

    def _note_peak(self, web: float | None, worker: float | None) -> None:
        for key, value in (("web_mb", web), ("worker_mb", worker)):
            if value is not None and value > self.peak.get(key, 0.0):
                self.peak[key] = value

    def reset_peak(self) -> None:
        self.peak = {}

    async def run(self) -> None:
        ticks = 0
        while True:
            await asyncio.sleep(1.0)
            ticks += 1
            if ticks % int(RSS_EVERY_S) == 0:
                self.mark("")
            else:
                self._note_peak(*self.server.rss_mb())


# --- users -----------------------------------------------------------------------------------


@dataclass
class Grading:
    """Where a user is in a practice session; a failed step is tried again at the next click."""

    session_id: int | None = None
    question: str | None = None  # the card shown, not yet graded
    revealed: bool = False
    key: str = ""  # the grade's Idempotency-Key, the same on every retry of that grade


@dataclass
class LoadUser:
    index: int
    name: str
    password: str
    cookie: bool  # logged in through the form: browses and calls the API with the cookie
    http: aiohttp.ClientSession
    token: str = ""
    csrf: str = ""
    demos: bool = False
    job_id: int | None = None
    grading: Grading = field(default_factory=Grading)

    @property
    def api(self) -> dict[str, str]:
        """Headers of an API call: the token, or (cookie users) the page's CSRF token."""
        if self.cookie:
            return {"X-CSRF-Token": self.csrf}
        return {"Authorization": f"Bearer {self.token}"}


def new_http(base: str) -> aiohttp.ClientSession:
    # unsafe=True: the default jar refuses cookies from an IP address such as 127.0.0.1.
    return aiohttp.ClientSession(
        base_url=base,
        cookie_jar=aiohttp.CookieJar(unsafe=True),
        connector=aiohttp.TCPConnector(limit=4),
        headers={"User-Agent": "mogi-bench-load"},
    )


async def setup_step(attempt: Callable[[], Awaitable[Reply]], tries: int = 5) -> Reply:
    """A setup request, tried again after a server-side failure (recorded every time)."""
    reply = await attempt()
    for _ in range(tries - 1):
        if reply.ok or 400 <= reply.status < 500:
            break
        await asyncio.sleep(1.0)
        reply = await attempt()
    if not reply.ok:
        raise RuntimeError(f"setup failed: {reply.status} {reply.body[:300]!r}")
    return reply


async def create_user(base: str, index: int, tag: str, rec: Recorder) -> LoadUser:
    """Sign up through the API, take a token; every other user also logs in with the form."""
    user = LoadUser(
        index=index,
        name=f"load{tag}{index:04d}",
        password=secrets.token_urlsafe(18),
        cookie=index % 2 == 0,
        http=new_http(base),
    )
    account = {"username": user.name, "password": user.password}
    tried = False

    async def sign_up() -> Reply:
        # A sign-up whose answer timed out may still have been made: 409 then means done.
        nonlocal tried
        expect = (201, 409) if tried else (201,)
        tried = True
        return await timed_request(
            user.http, rec, "sign up (API)", "POST", "/api/v1/users", expect=expect, json=account
        )

    await setup_step(sign_up)
    reply = await setup_step(
        lambda: timed_request(
            user.http,
            rec,
            "token (API)",
            "POST",
            "/api/v1/tokens",
            expect=(201,),
            json={**account, "name": "load"},
        ),
    )
    user.token = reply.json()["token"]
    if user.cookie:
        await log_in(user, rec)
    return user


async def log_in(user: LoadUser, rec: Recorder) -> None:
    """The login form as a browser fills it: its page for the CSRF token, then the POST."""
    page = await setup_step(lambda: timed_request(user.http, rec, "login page", "GET", "/login"))
    found = CSRF_FIELD.search(page.body)
    if found is None:
        raise RuntimeError("no csrf_token field on /login")
    form = {"username": user.name, "password": user.password, "csrf_token": found[1].decode()}
    await setup_step(
        lambda: timed_request(
            user.http, rec, "login submit", "POST", "/login", expect=(303,), data=form
        ),
    )
    # The CSRF token is bound to the session: a page after login carries the one to use now.
    home = await setup_step(lambda: timed_request(user.http, rec, "home page", "GET", "/"))
    found = CSRF_META.search(home.body)
    if found is None or b"/logout" not in home.body:
        raise RuntimeError("not logged in after POST /login")
    user.csrf = found[1].decode()


async def create_users(base: str, count: int, concurrency: int, rec: Recorder) -> list[LoadUser]:
    """All users, `concurrency` sign-ups at a time (each hashes a password: argon2 is costly)."""
    tag = secrets.token_hex(2)
    slots = asyncio.Semaphore(concurrency)

    async def one(index: int) -> LoadUser:
        async with slots:
            return await create_user(base, index, tag, rec)

    return list(await asyncio.gather(*(one(i) for i in range(count))))


# --- what a click does -----------------------------------------------------------------------


@dataclass
class Round:
    """What the users of a round share: where requests are recorded now, and when to stop."""

    recorder: Recorder
    deadline: float
    numbers: list[str]


async def question_page(user: LoadUser, rnd: Round) -> None:
    path = f"/questions/{PACK}/{random.choice(rnd.numbers)}"
    await timed_request(user.http, rnd.recorder, "question page", "GET", path)


async def question_api(user: LoadUser, rnd: Round) -> None:
    path = f"/api/v1/questions/{PACK}/{random.choice(rnd.numbers)}"
    await timed_request(user.http, rnd.recorder, "question API", "GET", path, headers=user.api)


async def progress(user: LoadUser, rnd: Round) -> None:
    if user.cookie:
        await timed_request(user.http, rnd.recorder, "progress page", "GET", "/progress")
    else:
        path = "/api/v1/progress?tz=540"
        await timed_request(user.http, rnd.recorder, "progress API", "GET", path, headers=user.api)


async def static_file(user: LoadUser, rnd: Round) -> None:
    await timed_request(user.http, rnd.recorder, "static file", "GET", STATIC_FILE)


async def demo_status(user: LoadUser, rnd: Round) -> None:
    if user.job_id is None:
        return await question_api(user, rnd)
    path = f"/api/v1/demos/{user.job_id}"
    await timed_request(user.http, rnd.recorder, "demo status", "GET", path, headers=user.api)


async def grade_step(user: LoadUser, rnd: Round) -> None:
    """One step of practice: start a session, next card, reveal, or grade."""
    g, rec = user.grading, rnd.recorder
    if g.session_id is None:
        body = {"scope": {"pack": PACK, "kind": "all"}, "mode": random.choice(("cram", "review"))}
        reply = await timed_request(
            user.http, rec, "session start", "POST", "/api/v1/sessions",
            expect=(201,), json=body, headers=user.api,
        )  # fmt: skip
        if reply.ok:
            g.session_id = reply.json()["id"]
    elif g.question is None:
        path = f"/api/v1/sessions/{g.session_id}/next"
        reply = await timed_request(
            user.http, rec, "session next", "GET", path, expect=(200, 204), headers=user.api
        )
        if reply.status == 204:
            user.grading = Grading()  # the session is over: a new one at the next click
        elif reply.ok:
            card = reply.json()  # revealed already when an earlier reveal's answer got lost
            g.question, g.revealed, g.key = card["question"], card["revealed"], str(uuid.uuid4())
    elif not g.revealed:
        path = f"/api/v1/sessions/{g.session_id}/reveal"
        reply = await timed_request(
            user.http, rec, "reveal", "POST", path, json={"answer_text": "기울기 소실"},
            headers=user.api,
        )  # fmt: skip
        g.revealed = reply.ok
    else:
        grade = {"question": g.question, "rating": random.randint(1, 4), "session": g.session_id}
        reply = await timed_request(
            user.http, rec, "review", "POST", "/api/v1/reviews", expect=(201,), json=grade,
            headers={**user.api, "Idempotency-Key": g.key},
        )  # fmt: skip
        if reply.ok or 400 <= reply.status < 500:  # a 4xx will not pass on a retry
            g.question = None


ACTIONS: dict[str, Callable[[LoadUser, Round], Awaitable[None]]] = {
    "question page": question_page,
    "question API": question_api,
    "grade": grade_step,
    "progress": progress,
    "static": static_file,
    "demo status": demo_status,
}


async def click_loop(user: LoadUser, rnd: Round, start_delay: float) -> None:
    names = [n for n in WEIGHTS if user.demos or n != "demo status"]
    weights = [WEIGHTS[n] for n in names]
    await sleep_until(rnd.deadline, start_delay)
    while time.perf_counter() < rnd.deadline:
        await sleep_until(rnd.deadline, random.uniform(*THINK_S))
        if time.perf_counter() >= rnd.deadline:
            break
        name = random.choices(names, weights)[0]
        try:
            await ACTIONS[name](user, rnd)
        except Exception as exc:  # e.g. a 200 whose body is not what the API documents
            record_surprise(rnd, name, exc)


def record_surprise(rnd: Round, action: str, exc: Exception) -> None:
    """An answer this generator could not use: an error of the action, and the user goes on."""
    detail = {"exception": f"{type(exc).__name__}: {exc}"[:300]}
    rnd.recorder.record(f"{action} (client)", None, 0, "unusable_answer", detail, request=False)


# --- demos: one running per demo user, its event stream open -----------------------------------


async def demo_loop(user: LoadUser, rnd: Round, start_delay: float) -> None:
    """Keep a demo running: start one, follow its events to the end, start the next."""
    await sleep_until(rnd.deadline, start_delay)
    while time.perf_counter() < rnd.deadline:
        posted = time.perf_counter()
        try:
            job_id = await start_demo(user, rnd)
            if job_id is None:
                continue
            user.job_id = job_id
            ending = await follow_events(user, rnd, job_id)
        except Exception as exc:  # an answer not as documented: noted, and the next run starts
            record_surprise(rnd, "demo", exc)
            await sleep_until(rnd.deadline, 1.0)
            continue
        error = None if ending in ("finished", "cancelled") else f"demo_{ending}"
        took = time.perf_counter() - posted
        rnd.recorder.record(
            "demo run (POST to end)", took, 0, error, {"job": job_id}, request=False
        )


async def start_demo(user: LoadUser, rnd: Round) -> int | None:
    """POST a run with a new seed; on 429 wait as long as Retry-After says (None: not started)."""
    params = {**DEMO_PARAMS, "seed": random.randrange(1 << 30)}
    body = {"experiment": "architecture", "params": params}
    reply = await timed_request(
        user.http, rnd.recorder, "demo start", "POST", "/api/v1/demos",
        expect=(202, 429), json=body, headers=user.api,
    )  # fmt: skip
    if reply.status == 202:
        return int(reply.json()["id"])
    wait = 1.0
    if reply.status == 429:
        with suppress(KeyError, ValueError):
            wait = min(10.0, max(0.5, float(reply.headers["Retry-After"])))
    await sleep_until(rnd.deadline, wait)
    return None


async def follow_events(user: LoadUser, rnd: Round, job_id: int) -> str:
    """Read the run's SSE stream until its closing event, reconnecting after the last event id
    as EventSource does; the closing event's name ('finished', 'failed', 'cancelled')."""
    last_id = 0
    path = f"/api/v1/demos/{job_id}/events"
    while True:
        headers = {**user.api, "Accept": "text/event-stream"}
        if last_id:
            headers["Last-Event-ID"] = str(last_id)
        response = await open_stream(user, rnd, path, headers)
        if response is None:
            if time.perf_counter() >= rnd.deadline:
                return "stopped"
            await sleep_until(rnd.deadline, 1.0)
            continue
        try:
            last_id, ending = await read_events(response, last_id, rnd)
        finally:
            response.close()
        if ending in DEMO_ENDED or time.perf_counter() >= rnd.deadline:
            return ending
        await sleep_until(rnd.deadline, 1.0)  # EventSource's retry: 1000


async def open_stream(
    user: LoadUser, rnd: Round, path: str, headers: dict[str, str]
) -> aiohttp.ClientResponse | None:
    """The stream's response once its headers came (timed as 'demo events open'), or None."""
    started = time.perf_counter()
    detail: dict[str, Any] = {"method": "GET", "path": path}
    try:
        response = await asyncio.wait_for(
            user.http.get(path, headers=headers, timeout=SSE_TIMEOUT), REQUEST_TIMEOUT_S
        )
    except TimeoutError:
        rnd.recorder.record("demo events open", REQUEST_TIMEOUT_S, 0, "timeout", detail)
        return None
    except aiohttp.ClientError as exc:
        detail["exception"] = f"{type(exc).__name__}: {exc}"
        rnd.recorder.record("demo events open", None, 0, "connection", detail)
        return None
    latency = time.perf_counter() - started
    if response.status != 200:
        body = await response.read()
        detail["body"] = body[:300].decode("utf-8", "replace")
        kind = "http_503" if response.status == 503 else "http_5xx"
        kind = kind if response.status >= 500 else "unexpected_4xx"
        rnd.recorder.record("demo events open", latency, response.status, kind, detail)
        response.close()
        return None
    rnd.recorder.record("demo events open", latency, 200)
    return response


async def read_events(
    response: aiohttp.ClientResponse, last_id: int, rnd: Round
) -> tuple[int, str]:
    """(last event id, how the stream ended): a closing event's name, 'dropped', 'unavailable'.

    Each stream's outcome is recorded as 'demo events stream' (not a request of its own)."""
    detail: dict[str, Any] = {"path": str(response.url.path)}
    ending = "dropped"
    error: str | None = "stream_ended_early"  # unless a closing event comes
    try:
        async for raw in response.content:
            if raw.startswith(b"id:"):
                last_id = int(raw[3:])
            elif raw.startswith(b"event:"):
                event = raw[6:].strip().decode()
                if event in DEMO_ENDED:
                    ending, error = event, None
                    break
                if event == "unavailable":  # the server's "database away, reconnect later"
                    ending, error = event, "stream_unavailable"
                    break
    except TimeoutError:
        error = "timeout"
    except aiohttp.ClientError as exc:
        error, detail["exception"] = "connection", f"{type(exc).__name__}: {exc}"
    # Recorded when it ends, like the run: in the phase (ramp or measured) it ended in.
    rnd.recorder.record("demo events stream", None, 0, error, detail, request=False)
    return last_id, ending


async def cancel_demos(users: list[LoadUser], rec: Recorder) -> None:
    """Cancel what the demo users left running, so the next round starts on an idle worker."""
    for user in users:
        if user.demos and user.job_id is not None:
            path = f"/api/v1/demos/{user.job_id}/cancel"
            await timed_request(
                user.http, rec, "demo cancel", "POST", path, expect=(202,), headers=user.api
            )
            user.job_id = None


# --- a round -----------------------------------------------------------------------------------


async def run_round(
    index: int,
    users: list[LoadUser],
    numbers: list[str],
    server: Server,
    rss: RssLog,
    args: argparse.Namespace,
) -> dict[str, Any]:
    """Ramp up, click for the duration, stop, check recovery; the round's figures."""
    ramp_rec, measured = Recorder("ramp"), Recorder("measured")
    started = time.perf_counter()
    rnd = Round(ramp_rec, started + args.ramp + args.duration, numbers)
    first_sample = len(rss.samples)
    rss.reset_peak()
    rss.mark(f"round {index} start")
    step = args.ramp / max(1, len(users))
    clicks = [asyncio.create_task(click_loop(u, rnd, i * step)) for i, u in enumerate(users)]
    demos = [
        asyncio.create_task(demo_loop(u, rnd, i * step)) for i, u in enumerate(users) if u.demos
    ]
    await asyncio.sleep(args.ramp)
    rnd.recorder = measured
    window = Snapshot.take(server)
    await asyncio.sleep(max(0.0, rnd.deadline - time.perf_counter()))
    usage = window.since(server)
    await asyncio.gather(*clicks)  # each finishes the request it has in flight
    drained = time.perf_counter() - rnd.deadline
    for task in demos:
        task.cancel()
    await asyncio.gather(*demos, return_exceptions=True)
    cleanup = Recorder("cleanup")
    await cancel_demos(users, cleanup)
    end = rss.mark(f"round {index} end")
    recovery = await check_recovery(server.base, numbers)
    after = rss.mark(f"round {index} after recovery")
    return {
        "round": index,
        "measured": measured.summary(args.duration),
        "ramp": ramp_rec.summary(args.ramp),
        "cleanup": cleanup.summary(1.0),
        "drain_s": round(drained, 2),
        "usage": usage,
        "rss": {
            "web_start_mb": rss.samples[first_sample]["web_mb"],
            "web_end_mb": end["web_mb"],
            "web_after_recovery_mb": after["web_mb"],
            "web_max_mb": rss.peak.get("web_mb"),
            "worker_start_mb": rss.samples[first_sample]["worker_mb"],
            "worker_end_mb": end["worker_mb"],
            "worker_max_mb": rss.peak.get("worker_mb"),
        },
        "recovery": recovery,
    }


@dataclass
class Snapshot:
    """CPU time and load average at the start of the measured window."""

    at: float
    web_cpu: float
    worker_cpu: float
    own_cpu: float
    load1: float

    @classmethod
    def take(cls, server: Server) -> Snapshot:
        web, worker = server.cpu_s()
        return cls(time.perf_counter(), web, worker, own_cpu_s(), os.getloadavg()[0])

    def since(self, server: Server) -> dict[str, float]:
        """Cores used over the window by the web process, the worker and this generator."""
        now = Snapshot.take(server)
        span = now.at - self.at
        return {
            "window_s": round(span, 2),
            "web_cores": round((now.web_cpu - self.web_cpu) / span, 2),
            "worker_cores": round((now.worker_cpu - self.worker_cpu) / span, 2),
            "generator_cores": round((now.own_cpu - self.own_cpu) / span, 2),
            "load1_start": round(self.load1, 2),
            "load1_end": round(now.load1, 2),
        }


def own_cpu_s() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


async def check_recovery(base: str, numbers: list[str]) -> dict[str, Any]:
    """After the load: sequential /healthz and question-page requests, each 200 within 1 s."""
    rec = Recorder("recovery")
    async with new_http(base) as http:
        for i in range(RECOVERY_REQUESTS):
            page = f"/questions/{PACK}/{numbers[i % len(numbers)]}"
            for action, path in (("healthz", "/healthz"), ("question page", page)):
                await timed_request(http, rec, action, "GET", path, timeout=RECOVERY_LIMIT_S)
    summary = rec.summary(1.0)
    worst = max((a["max_ms"] or 0.0) for a in summary["actions"].values())
    return {
        "passed": summary["error_total"] == 0 and worst <= RECOVERY_LIMIT_S * 1000,
        "max_ms": worst,
        "errors": summary["errors"],
        "error_samples": summary["error_samples"],
    }


# --- the whole run -------------------------------------------------------------------------------


async def run_load(server: Server, args: argparse.Namespace) -> dict[str, Any]:
    await wait_ready(server)
    rss = RssLog(server)
    rss.mark("ready")
    sampler = asyncio.create_task(rss.run())
    numbers = await question_numbers(server.base)
    setup = Recorder("setup")
    setup_started = time.perf_counter()
    users = await create_users(server.base, args.users, args.signup_concurrency, setup)
    setup_s = time.perf_counter() - setup_started
    for user in users[: args.demo_users]:
        user.demos = True
    rss.mark("after setup")
    setup_peak = dict(rss.peak)  # sign-ups hash passwords: argon2 takes 64 MiB per hash
    rounds = []
    try:
        # --levels: one server and one set of users, a round at each number of users.
        counts = args.levels or [args.users] * args.rounds
        for index, count in enumerate(counts, 1):
            rounds.append(await run_round(index, users[:count], numbers, server, rss, args))
            rounds[-1]["users"] = count
            print(f"round {index}: {count} users")
            print_round(rounds[-1])
    finally:
        sampler.cancel()
        for user in users:
            await user.http.close()
    web_hwm, worker_hwm = server.rss_mb("VmHWM")
    return {
        "setup": {**setup.summary(setup_s), "rss_peak": setup_peak},
        "rounds": rounds,
        "rss_samples": rss.samples,
        "rss_high_water_mb": {"web": web_hwm, "worker": worker_hwm},
    }


async def question_numbers(base: str) -> list[str]:
    url = f"{base}/api/v1/questions?pack={PACK}&limit=200"
    async with aiohttp.ClientSession() as http, http.get(url) as r:
        r.raise_for_status()
        return [item["number"] for item in (await r.json())["items"]]


def machine() -> dict[str, Any]:
    model = ""
    with suppress(OSError, subprocess.SubprocessError):
        out = subprocess.run(["lscpu"], capture_output=True, text=True, timeout=10).stdout
        for line in out.splitlines():
            if line.startswith("Model name:"):
                model = line.split(":", 1)[1].strip()
    return {
        "cpu_model": model,
        "cpus": len(os.sched_getaffinity(0)),
        "python": platform.python_version(),
        "load_average": [round(x, 2) for x in os.getloadavg()],
        "utc": time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime()),
    }


def server_log_problems(log_path: Path, limit: int = 20) -> dict[str, Any]:
    """Error and warning lines of the server's log (JSON lines at WARNING, tracebacks)."""
    lines = log_path.read_text(errors="replace").splitlines() if log_path.exists() else []
    flagged = [
        line
        for line in lines
        if '"level": "error"' in line
        or '"level": "critical"' in line
        or '"level": "warning"' in line
        or line.startswith(("ERROR", "Traceback", "CRITICAL"))
    ]
    return {"count": len(flagged), "first": [line[:2000] for line in flagged[:limit]]}


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--duration", type=float, default=60.0, help="measured seconds a round")
    parser.add_argument("--ramp", type=float, default=10.0, help="seconds to start all users")
    parser.add_argument("--rounds", type=int, default=1, help="rounds on the same server")
    parser.add_argument("--soak", action="store_true", help="one 10-minute round")
    parser.add_argument(
        "--levels",
        type=lambda text: [int(n) for n in text.split(",")],
        help="e.g. 50,100,200: a round at each number of users, on one server",
    )
    parser.add_argument("--database", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--pg-url", default=PG_ADMIN_URL, help="where to create the database")
    parser.add_argument("--json", type=Path, help="write the results here")
    parser.add_argument("--port", type=int, default=0, help="default: a free port")
    parser.add_argument("--demo-users", type=int, default=10)
    parser.add_argument("--signup-concurrency", type=int, default=4)
    parser.add_argument("--server-log", type=Path, help="keep the server's log here")
    parser.add_argument("--seed", type=int, default=0, help="the generator's random seed")
    args = parser.parse_args()
    if args.soak:
        args.duration, args.rounds = 600.0, 1
    if args.levels:
        args.users = max(args.levels)
    return args


def main() -> int:
    args = parse_args()
    random.seed(args.seed)
    before = machine()
    with tempfile.TemporaryDirectory(prefix="mogi-bench-load-") as tmp_name:
        tmp = Path(tmp_name)
        log_path = args.server_log or tmp / "server.log"
        with database(args.database, tmp, args.pg_url) as url:
            env = server_env(tmp, url)
            prepare_database(env)
            server = Server(env, args.port or free_port(), log_path)
            try:
                results = asyncio.run(run_load(server, args))
            finally:
                shutdown = server.stop()
        results.update({
            "command": " ".join([os.path.relpath(sys.executable, ROOT), *sys.argv]),
            "settings": {k: str(v) for k, v in vars(args).items()},
            "database": args.database,
            "machine": before,
            "load_average_after": [round(x, 2) for x in os.getloadavg()],
            "shutdown": shutdown,
            "server_log": server_log_problems(log_path),
        })  # fmt: skip
    print_summary(results)
    if args.json:
        args.json.write_text(json.dumps(results, indent=2, ensure_ascii=False))
        print(f"results: {args.json}")
    return 0


# --- the report ----------------------------------------------------------------------------------

COLUMNS = ("http_503", "http_5xx", "unexpected_4xx", "timeout", "connection")


def print_round(result: dict[str, Any]) -> None:
    m, usage, rss = result["measured"], result["usage"], result["rss"]
    print(
        f"\nround {result['round']}: {m['requests']} requests in {m['seconds']:.0f} s = "
        f"{m['requests_per_s']} requests/s; p50 {m['p50_ms']} ms, p99 {m['p99_ms']} ms; "
        f"errors {m['error_total']} {m['errors'] or ''}"
    )
    header = ("action", "count", "p50 ms", "p99 ms", "max ms", "503", "5xx", "4xx?", "t/o", "conn")
    print("  " + "".join(f"{h:>10}" if i else f"{h:<24}" for i, h in enumerate(header)) + "  other")
    for name, a in m["actions"].items():
        errors = dict(a["errors"])
        cells = [a["count"], a["p50_ms"], a["p99_ms"], a["max_ms"]]
        cells += [errors.pop(kind, 0) for kind in COLUMNS]
        row = "".join(f"{'-' if c is None else c:>10}" for c in cells)
        print(f"  {name:<24}{row}  {errors or ''}")
    ramp = result["ramp"]
    print(
        f"  ramp-up: {ramp['requests']} requests, errors {ramp['error_total']} "
        f"{ramp['errors'] or ''}; drain after the end {result['drain_s']} s"
    )
    print(
        f"  cores used: web {usage['web_cores']}, worker {usage['worker_cores']}, generator "
        f"{usage['generator_cores']}; load average {usage['load1_start']} -> {usage['load1_end']}"
    )
    print(
        f"  web RSS {rss['web_start_mb']} -> {rss['web_end_mb']} MB (max {rss['web_max_mb']}, "
        f"after recovery {rss['web_after_recovery_mb']}); worker RSS {rss['worker_start_mb']} -> "
        f"{rss['worker_end_mb']} MB (max {rss['worker_max_mb']})"
    )
    rec = result["recovery"]
    print(
        f"  recovery ({RECOVERY_REQUESTS} x /healthz + question page, each 200 within "
        f"{RECOVERY_LIMIT_S:.0f} s): {'passed' if rec['passed'] else 'FAILED'}, "
        f"max {rec['max_ms']} ms {rec['errors'] or ''}"
    )
    sys.stdout.flush()


def print_summary(results: dict[str, Any]) -> None:
    mach, setup = results["machine"], results["setup"]
    print(
        f"\nmachine: {mach['cpu_model']}, {mach['cpus']} CPUs, python {mach['python']}; load "
        f"average {mach['load_average']} before, {results['load_average_after']} after"
    )
    print(f"command: {results['command']}")
    print(
        f"setup: {results['settings']['users']} users in {setup['seconds']} s "
        f"({setup['requests']} requests, errors {setup['error_total']} {setup['errors'] or ''}; "
        f"sign-up p50 {setup['actions']['sign up (API)']['p50_ms']} ms)"
    )
    rss = [s["web_mb"] for s in results["rss_samples"] if s["web_mb"] is not None]
    worker = [s["worker_mb"] for s in results["rss_samples"] if s["worker_mb"] is not None]
    hwm = results["rss_high_water_mb"]
    print(
        f"web RSS: {rss[0]} MB at start, {rss[-1]} MB at the end, peak {hwm['web']} MB "
        f"(during setup {setup['rss_peak'].get('web_mb')}); worker RSS: "
        f"{worker[0] if worker else '-'} -> {worker[-1] if worker else '-'} MB "
        f"(peak {hwm['worker']})"
    )
    per_round = [r["rss"]["web_end_mb"] for r in results["rounds"]]
    if len(per_round) > 1:
        print(f"web RSS at the end of each round: {per_round}")
    shutdown = results["shutdown"]
    print(
        f"shutdown (SIGTERM): exit {shutdown['exit_code']} in {shutdown['stop_s']} s; "
        f"worker left behind: {shutdown['worker_left_behind']}"
    )
    series = [s["web_mb"] for s in results["rss_samples"] if not s["label"]]
    if len(series) > 12:  # a long run: the curve, about once a minute
        print(f"web RSS about every 60 s: {series[::6]}")
    samples = list(setup["error_samples"])
    for phase in ("measured", "ramp", "cleanup"):
        samples += [s for r in results["rounds"] for s in r[phase]["error_samples"]]
    for sample in samples[:20]:
        print(f"  error sample: {json.dumps(sample, ensure_ascii=False)[:400]}")
    problems = results["server_log"]
    print(f"server log: {problems['count']} warning/error lines")
    for line in problems["first"][:5]:
        print(f"  {line[:400]}")


if __name__ == "__main__":
    raise SystemExit(main())

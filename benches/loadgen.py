"""A small asyncio HTTP load generator: timed requests, figures per action, error samples.

Cheap on purpose (it shares the machine's cores with the server it measures): one process,
one coroutine per simulated user, aiohttp keep-alive connections, bodies read but only parsed
where the caller needs them. Used by bench_load.py.
"""

from __future__ import annotations

import asyncio
import math
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import aiohttp

REQUEST_TIMEOUT_S = 10.0
SAMPLES_PER_KIND = 5  # error examples kept per (action, kind, status)
SNIPPET_CHARS = 300

# How a request can go wrong; a reply with an expected status is no error.
ERROR_KINDS = ("http_503", "http_5xx", "unexpected_4xx", "unexpected", "timeout", "connection")


@dataclass
class Reply:
    """What came back: status 0 when no response did."""

    status: int
    body: bytes = b""
    headers: Any = None
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.error is None

    def json(self) -> Any:
        import json

        return json.loads(self.body)


@dataclass
class ActionStats:
    latencies: list[float] = field(default_factory=list)
    statuses: Counter[int] = field(default_factory=Counter)
    errors: Counter[str] = field(default_factory=Counter)
    count: int = 0
    is_request: bool = True  # False: an outcome over several requests, e.g. a whole demo run


class Recorder:
    """Figures of one phase (a round's measured window, its ramp-up, the setup...)."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.actions: dict[str, ActionStats] = {}
        self.samples: list[dict[str, Any]] = []
        self._sampled: Counter[tuple[str, str, int]] = Counter()
        self.started = time.perf_counter()

    def record(
        self,
        action: str,
        latency: float | None,
        status: int = 0,
        error: str | None = None,
        detail: dict[str, Any] | None = None,
        *,
        request: bool = True,
    ) -> None:
        """One finished request (latency None: no response to time, e.g. a refused connection).

        request=False records an outcome that is not one request (a demo run from POST to its
        end): it has its own line and its errors count, but it stays out of requests/s and the
        overall latency percentiles.
        """
        stats = self.actions.setdefault(action, ActionStats(is_request=request))
        stats.count += 1
        if latency is not None:
            stats.latencies.append(latency)
        if status:
            stats.statuses[status] += 1
        if error is not None:
            stats.errors[error] += 1
            self._keep_sample(action, error, status, detail or {})

    def _keep_sample(self, action: str, error: str, status: int, detail: dict[str, Any]) -> None:
        key = (action, error, status)
        self._sampled[key] += 1
        if self._sampled[key] <= SAMPLES_PER_KIND:
            at = round(time.perf_counter() - self.started, 2)
            self.samples.append({"action": action, "error": error, "status": status, "at_s": at})
            self.samples[-1].update(detail)

    def summary(self, seconds: float) -> dict[str, Any]:
        """Per action and overall: count, statuses, errors by kind, p50/p99/max in ms."""
        actions = {name: _action_summary(s) for name, s in sorted(self.actions.items())}
        requests = [s for s in self.actions.values() if s.is_request]
        total = sum(s.count for s in requests)
        errors: Counter[str] = Counter()
        for stats in self.actions.values():
            errors.update(stats.errors)
        every = [x for s in requests for x in s.latencies]
        return {
            "seconds": round(seconds, 2),
            "requests": total,
            "requests_per_s": round(total / seconds, 1) if seconds > 0 else None,
            "errors": dict(errors),
            "error_total": sum(errors.values()),
            "p50_ms": _ms(percentile(every, 0.50)),
            "p99_ms": _ms(percentile(every, 0.99)),
            "actions": actions,
            "error_samples": self.samples,
        }


def _action_summary(stats: ActionStats) -> dict[str, Any]:
    return {
        "is_request": stats.is_request,
        "count": stats.count,
        "statuses": {str(k): v for k, v in sorted(stats.statuses.items())},
        "errors": dict(stats.errors),
        "error_total": sum(stats.errors.values()),
        "p50_ms": _ms(percentile(stats.latencies, 0.50)),
        "p99_ms": _ms(percentile(stats.latencies, 0.99)),
        "max_ms": _ms(max(stats.latencies, default=None)),
    }


def percentile(values: list[float], q: float) -> float | None:
    """Nearest-rank percentile (None for no values)."""
    if not values:
        return None
    ordered = sorted(values)
    return ordered[max(0, math.ceil(q * len(ordered)) - 1)]


def _ms(seconds: float | None) -> float | None:
    return None if seconds is None else round(seconds * 1000, 1)


def classify(status: int, expect: tuple[int, ...]) -> str | None:
    """The error kind of a status, or None when the caller expected it."""
    if status in expect:
        return None
    if status == 503:
        return "http_503"
    if status >= 500:
        return "http_5xx"
    if 400 <= status < 500:
        return "unexpected_4xx"
    return "unexpected"


async def timed_request(
    http: aiohttp.ClientSession,
    recorder: Recorder,
    action: str,
    method: str,
    path: str,
    *,
    expect: tuple[int, ...] = (200,),
    timeout: float = REQUEST_TIMEOUT_S,
    **kwargs: Any,
) -> Reply:
    """Send one request, read its body, record it under `action`; never raises for HTTP trouble.

    A request that takes longer than `timeout` is a timeout and counts `timeout` as its latency,
    so it shows in p99; a refused or dropped connection has no latency to count.
    """
    started = time.perf_counter()
    try:
        async with http.request(
            method,
            path,
            timeout=aiohttp.ClientTimeout(total=timeout),
            allow_redirects=False,
            **kwargs,
        ) as response:
            body = await response.read()
            status, headers = response.status, response.headers
    except TimeoutError:  # aiohttp's timeouts are TimeoutErrors too: test this first
        recorder.record(action, timeout, 0, "timeout", {"method": method, "path": path})
        return Reply(0, error="timeout")
    except aiohttp.ClientError as exc:
        failure = {"method": method, "path": path, "exception": f"{type(exc).__name__}: {exc}"}
        recorder.record(action, None, 0, "connection", failure)
        return Reply(0, error="connection")
    latency = time.perf_counter() - started
    error = classify(status, expect)
    detail: dict[str, Any] | None = None
    if error is not None:
        snippet = body[:SNIPPET_CHARS].decode("utf-8", "replace")
        detail = {"method": method, "path": path, "body": snippet}
        if "Retry-After" in headers:
            detail["retry_after"] = headers["Retry-After"]
    recorder.record(action, latency, status, error, detail)
    return Reply(status, body, headers, error)


async def sleep_until(deadline: float, seconds: float) -> None:
    """Sleep `seconds`, but not past `deadline` (a time.perf_counter() value)."""
    await asyncio.sleep(max(0.0, min(seconds, deadline - time.perf_counter())))

"""Demos logic for the web process: the catalogue, queueing runs with their limits, reading
them back, cancelling, and the event stream. Never imports torch: parameters are checked with
models.catalog, and training happens in `mogi worker`.

For pages: `get_run_for_user(session, user_id, run_id)` (None for another user's run),
`job_read(session, job)` (the API's DemoRead).
A run's `result` is models.runner's result for a single run; for a comparison it is
`{"device", "device_name", "torch_version", "variants": [{"params": {...}, **result}, ...]}`.
Progress events carry `variant` (0 for a single run). Events: queued, started (attempt,
worker, device), progress..., then finished, failed (error) or cancelled; `requeued` when a
stopping worker hands a job back. Runs are private to their owner.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import AsyncIterator, Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from app.config import get_settings
from app.db import run_db, utcnow
from app.demos import errors
from app.demos import repository as repo
from app.demos.models import INTERNAL_KINDS, TERMINAL_STATUSES, DemoEvent, DemoJob
from app.demos.schemas import (
    DemoCreate,
    DemoLinks,
    DemoPage,
    DemoRead,
    DemoSummary,
    ExperimentRead,
)
from app.demos.tasks import JobSpec, cache_key, inference_of, without_inference
from app.errors import AppError, DatabaseUnavailable
from models import catalog

log = logging.getLogger("mogi.demos")

# The kinds of device a worker may train on; a stored run on any of them answers a new one.
DEVICE_KINDS = ("cpu", "cuda", "mps")
# Seconds a client is told to wait when its own limit, or the whole queue, is full.
USER_RETRY_AFTER_S = 10
QUEUE_RETRY_AFTER_S = 30
# The event stream polls the database this often, and says something at least this often.
STREAM_POLL_S = 0.2
# Often enough that a proxy's (or a client's) read timeout never closes a quiet stream.
STREAM_KEEPALIVE_S = 5.0


# ---- catalogue ------------------------------------------------------------------------------


def list_experiments() -> list[ExperimentRead]:
    """Every experiment with its parameters' JSON schemas and defaults."""
    return [ExperimentRead.model_validate(e) for e in catalog.catalogue_json()]


# ---- queueing -------------------------------------------------------------------------------


def create_job(session: Session, user_id: int, body: DemoCreate) -> DemoJob:
    """Check the parameters and the limits, then queue the run (the caller commits)."""
    params = _validated(body.experiment, body.params, ("body", "params"))
    compare = None if body.compare is None else _variants(body.experiment, body)
    settings = get_settings()
    _check_budget(body.experiment, compare or [params], settings.job_time_limit_s)
    repo.lock_user(session, user_id)
    spec = JobSpec(body.experiment, params, compare)
    stored = repo.find_stored_result(session, [cache_key(spec, kind) for kind in DEVICE_KINDS])
    if stored is not None:
        # The same run has finished before: answer with its result now, not after a queue.
        return _reuse(session, user_id, spec, stored)
    _check_limits(session, user_id)
    job = repo.add_queued_job(
        session,
        user_id=user_id,
        experiment=body.experiment,
        params=params,
        compare=compare,
        max_attempts=settings.job_max_attempts,
    )
    session.refresh(job)
    return job


def _reuse(session: Session, user_id: int, spec: JobSpec, source: DemoJob) -> DemoJob:
    """A finished job carrying `source`'s result and progress, with its events written."""
    now = utcnow()
    events: list[tuple[str, dict[str, Any]]] = [("queued", {"experiment": spec.experiment})]
    events += [
        ("progress", {**e.data, "cached": True})
        for e in repo.progress_of_attempt(session, source.id, source.attempt)
    ]
    assert source.result is not None
    summary = {"test_accuracy": source.result.get("test_accuracy"), "cached_from": source.id}
    events.append(("finished", summary))
    job = repo.add_job(
        session,
        DemoJob(
            user_id=user_id,
            experiment=spec.experiment,
            params=spec.params,
            compare=spec.compare,
            status="finished",
            attempt=0,
            max_attempts=get_settings().job_max_attempts,
            event_seq=len(events),
            cancel_requested=False,
            result=source.result,
            device_kind=source.device_kind,
            cache_key=source.cache_key,
            cached_from_id=source.id,
            started_at=now,
            finished_at=now,
        ),
    )
    repo.insert_events(session, job.id, 0, len(events), events)
    session.refresh(job)
    return job


def _variants(experiment: str, body: DemoCreate) -> list[dict[str, Any]]:
    """The full parameter sets of a comparison; a bare value sets the compare parameter."""
    assert body.compare is not None
    compare_param = catalog.get_experiment(experiment).compare_param
    variants = []
    for i, item in enumerate(body.compare):
        overrides = item if isinstance(item, dict) else {compare_param: item}
        loc = ("body", "compare", str(i))
        variants.append(_validated(experiment, {**body.params, **overrides}, loc))
    if len({repr(sorted(v.items())) for v in variants}) != len(variants):
        raise _unprocessable(
            ("body", "compare"),
            "the compared variants must differ",
            message_ko="비교할 변형은 서로 달라야 합니다",
        )
    return variants


def _validated(experiment: str, params: dict[str, Any], loc: tuple[str, ...]) -> dict[str, Any]:
    """The full parameter set (defaults filled), or a 422 that names the bad parameter."""
    try:
        return dict(catalog.validate_params(experiment, params))
    except catalog.UnknownExperiment as exc:
        raise _unprocessable(
            ("body", "experiment"), str(exc), param="experiment", message_ko=exc.message_ko
        ) from exc
    except catalog.ParamError as exc:
        raise _unprocessable(
            (*loc, exc.param), exc.message, param=exc.param, message_ko=exc.message_ko
        ) from exc


def _check_budget(experiment: str, variants: list[dict[str, Any]], limit_s: float) -> None:
    """422 when the run would not finish within the job time limit on a CPU worker."""
    try:
        catalog.check_budget(experiment, variants, limit_s)
    except catalog.BudgetError as exc:
        where = ("body", "compare") if len(variants) > 1 else ("body", "params", exc.param)
        error = _unprocessable(where, str(exc), param=exc.param, message_ko=exc.message_ko)
        error.extra.update(
            largest=exc.largest, estimate_s=round(exc.estimate_s), limit_s=round(exc.limit_s)
        )
        raise error from exc


def _unprocessable(
    loc: Sequence[str], message: str, *, param: str | None = None, message_ko: str | None = None
) -> AppError:
    extra: dict[str, Any] = {"errors": [{"loc": list(loc), "msg": message, "type": "value_error"}]}
    if param is not None:
        extra["param"] = param
    return errors.invalid_parameter(".".join(loc[1:]), message, extra, message_ko)


def _check_limits(session: Session, user_id: int) -> None:
    settings = get_settings()
    if repo.count_active_jobs(session, user_id) >= settings.user_active_jobs:
        raise errors.too_many_runs(settings.user_active_jobs, USER_RETRY_AFTER_S)
    if repo.count_queued_jobs(session) >= settings.queue_cap:
        raise errors.queue_full(settings.queue_cap, QUEUE_RETRY_AFTER_S)


# ---- reading and cancelling -----------------------------------------------------------------


def owned_job(session: Session, user_id: int, job_id: int) -> DemoJob:
    """The user's job; another user's job is 404, like one that does not exist."""
    job = get_run_for_user(session, user_id, job_id)
    if job is None:
        raise errors.run_not_found()
    return job


def get_run_for_user(session: Session, user_id: int, run_id: int) -> DemoJob | None:
    """The user's run, or None (also for another user's run, and for a job of another
    feature that the queue runs)."""
    job = repo.get_job(session, run_id)
    if job is None or job.user_id != user_id or job.experiment in INTERNAL_KINDS:
        return None
    return job


def job_read(session: Session, job: DemoJob) -> DemoRead:
    """The full view of a job, with the current attempt's progress."""
    progress = [
        _event_payload(e)
        for e in repo.list_events(session, job.id, kinds=("progress",))
        if e.attempt == job.attempt
    ]
    base = f"/api/v1/demos/{job.id}"
    return DemoRead(
        **_summary_fields(job),
        attempt=job.attempt,
        max_attempts=job.max_attempts,
        cancel_requested=job.cancel_requested,
        waiting_for_worker=waiting_for_worker(session, job),
        device_kind=job.device_kind,
        cached_from=job.cached_from_id,
        cached_from_at=finished_at(session, job.cached_from_id),
        queue_position=repo.queue_position(session, job.id) if job.status == "queued" else None,
        error=job.error,
        started_at=job.started_at,
        last_event_id=job.event_seq,
        progress=progress,
        result=without_inference(job.result) if job.result is not None else None,
        links=DemoLinks(
            self=base, events=f"{base}/events", cancel=f"{base}/cancel", model=f"{base}/model"
        ),
    )


def waiting_for_worker(session: Session, job: DemoJob) -> bool:
    """Whether an active job has no worker: its worker's lease lapsed, or none is alive."""
    if job.status not in ("queued", "running"):
        return False
    now = utcnow()
    lease_s = get_settings().job_lease_s
    if job.status == "running":
        expires = job.lease_expires_at
        return expires is not None and expires < now
    return not repo.worker_alive(session, now - timedelta(seconds=lease_s))


def queue_position(session: Session, job_id: int) -> int:
    """How many queued runs are ahead of this one."""
    return repo.queue_position(session, job_id)


def finished_at(session: Session, job_id: int | None) -> datetime | None:
    """When the run `job_id` finished (None when it did not, or is gone)."""
    source = repo.get_job(session, job_id) if job_id is not None else None
    return source.finished_at if source is not None else None


def _summary_fields(job: DemoJob) -> dict[str, Any]:
    return {
        "id": job.id,
        "experiment": job.experiment,
        "status": job.status,
        "params": job.params,
        "compare": job.compare,
        "test_accuracy": _best_accuracy(job.result),
        "created_at": job.created_at,
        "finished_at": job.finished_at,
    }


def _best_accuracy(result: dict[str, Any] | None) -> float | None:
    """The run's test accuracy; for a comparison, its best variant's."""
    if result is None:
        return None
    runs = result.get("variants", [result])
    scores = [r.get("test_accuracy") for r in runs]
    numbers = [float(s) for s in scores if isinstance(s, int | float)]
    return max(numbers) if numbers else None


def list_jobs(session: Session, user_id: int, *, limit: int, offset: int) -> DemoPage:
    """The user's runs, newest first."""
    jobs = repo.list_jobs(session, user_id, limit=limit, offset=offset)
    return DemoPage(
        items=[DemoSummary(**_summary_fields(job)) for job in jobs],
        total=repo.count_jobs(session, user_id),
        limit=limit,
        offset=offset,
    )


def cancel_job(session: Session, job: DemoJob) -> DemoJob:
    """Cancel a queued job at once; ask the worker to stop a running one (within a second)."""
    cancelled = job.status == "queued" and repo.cancel_queued_job(session, job.id, utcnow())
    if not cancelled and job.status in ("queued", "running"):
        # Running, or claimed by a worker since we read it: the worker sees the flag.
        repo.request_cancel(session, job.id)
    session.flush()
    session.refresh(job)
    return job


def model_of(job: DemoJob, variant: int) -> dict[str, Any]:
    """The trained weights of a finished run, for the browser's forward pass."""
    if job.status != "finished" or job.result is None:
        raise errors.no_model_yet(job.status)
    inference = inference_of(job.result, variant)
    if inference is None:
        raise errors.no_variant_model()
    return inference


# ---- event stream ---------------------------------------------------------------------------


async def event_stream(job_id: int, after_seq: int) -> AsyncIterator[str]:
    """Server-sent events of a job from `after_seq` on, until its closing event.

    Each poll is a short session in the thread pool, so an open stream holds neither a
    database connection nor a thread between polls. When the database is away the stream
    ends cleanly; the browser's EventSource reconnects and resumes after its last event.
    """
    yield "retry: 1000\n\n"
    idle = 0.0
    while True:
        try:
            events, status = await run_db(_poll_events, job_id, after_seq)
        except DatabaseUnavailable as exc:
            if exc.reason != "busy":
                yield "event: unavailable\ndata: {}\n\n"
                return
            # A busy server: skip this poll rather than end the stream (a reconnecting
            # EventSource would only add load). Keep-alives keep the connection open.
            await asyncio.sleep(STREAM_POLL_S)
            idle += STREAM_POLL_S
            if idle >= STREAM_KEEPALIVE_S:
                idle = 0.0
                yield ": keep-alive\n\n"
            continue
        except SQLAlchemyError as exc:
            log.warning(
                "event stream paused: database unavailable", extra={"error": str(exc)[:200]}
            )
            yield "event: unavailable\ndata: {}\n\n"
            return
        for event in events:
            after_seq = event.seq
            yield _sse(event)
            if event.kind in TERMINAL_STATUSES:
                return
        if status is None or (status in TERMINAL_STATUSES and not events):
            return
        if events:
            idle = 0.0
        else:
            idle += STREAM_POLL_S
            if idle >= STREAM_KEEPALIVE_S:
                idle = 0.0
                yield ": keep-alive\n\n"
        await asyncio.sleep(STREAM_POLL_S)


def _poll_events(
    session: Session, job_id: int, after_seq: int
) -> tuple[list[DemoEvent], str | None]:
    state = repo.job_state(session, job_id)
    if state is None:
        return [], None
    status, last_seq = state
    if last_seq <= after_seq:
        return [], status
    return list(repo.list_events(session, job_id, after_seq=after_seq)), status


def _sse(event: DemoEvent) -> str:
    data = json.dumps(_event_payload(event), ensure_ascii=False, separators=(",", ":"))
    return f"id: {event.seq}\nevent: {event.kind}\ndata: {data}\n\n"


def _event_payload(event: DemoEvent) -> dict[str, Any]:
    return {**event.data, "seq": event.seq, "attempt": event.attempt}

"""JSON routes of the demos feature (under /api/v1): the catalogue, runs, their events.

Runs are private to their owner: another user's run is a 404, links included.
"""

from __future__ import annotations

import hashlib
import json
from typing import Annotated

from fastapi import APIRouter, Depends, Header, Query, Request, Response
from fastapi.responses import StreamingResponse

from app.auth.deps import CurrentUser
from app.db import DbId, DbOffset, SessionDep
from app.demos import service
from app.demos.models import DemoJob
from app.demos.schemas import DemoCreate, DemoPage, DemoRead, ExperimentRead
from app.errors import problem_responses

router = APIRouter(tags=["demos"])


def owned_job(job_id: DbId, user: CurrentUser, session: SessionDep) -> DemoJob:
    """The caller's run `job_id` (404 for anyone else's)."""
    return service.owned_job(session, user.id, job_id)


OwnedJob = Annotated[DemoJob, Depends(owned_job)]


_OWNED = problem_responses(401, 404, 422, s404="No such run, or another user's.")


@router.get("/experiments", response_model=list[ExperimentRead])
def list_experiments() -> list[ExperimentRead]:
    """The catalogue: each experiment, the questions it answers, its parameters."""
    return service.list_experiments()


@router.post(
    "/demos",
    status_code=202,
    response_model=DemoRead,
    responses=problem_responses(401, 422, 429),
)
def create_demo(
    body: DemoCreate, user: CurrentUser, session: SessionDep, response: Response
) -> DemoRead:
    """Queue a run (or a comparison); a worker picks it up. 422 names a bad parameter;
    429 with Retry-After when the caller's or the global queue limit is reached."""
    job = service.create_job(session, user.id, body)
    response.headers["Location"] = f"/api/v1/demos/{job.id}"
    return service.job_read(session, job)


@router.get("/demos", response_model=DemoPage, responses=problem_responses(401, 422))
def list_demos(
    user: CurrentUser,
    session: SessionDep,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
    offset: Annotated[DbOffset, Query()] = 0,
) -> DemoPage:
    """The caller's runs, newest first."""
    return service.list_jobs(session, user.id, limit=limit, offset=offset)


@router.get("/demos/{job_id}", response_model=DemoRead, responses=_OWNED)
def get_demo(job: OwnedJob, session: SessionDep) -> DemoRead:
    """Status, the progress so far and, once finished, the result (weights excluded)."""
    return service.job_read(session, job)


@router.post("/demos/{job_id}/cancel", status_code=202, response_model=DemoRead, responses=_OWNED)
def cancel_demo(job: OwnedJob, session: SessionDep) -> DemoRead:
    """Cancel a run: a queued one at once, a running one within about a second."""
    service.cancel_job(session, job)
    return service.job_read(session, job)


@router.get("/demos/{job_id}/events", response_class=StreamingResponse, responses=_OWNED)
def demo_events(
    job: OwnedJob,
    last_event_id: Annotated[DbOffset | None, Header()] = None,
    after: Annotated[DbOffset | None, Query(description="resume after this event id")] = None,
) -> StreamingResponse:
    """Server-sent events: queued, started, progress..., then finished, failed or cancelled.

    Resumes after the `Last-Event-ID` header (or `?after=`); ends when the run ends.
    """
    job_id = job.id
    # The request's transaction ends (and its connection goes back) when this returns, before
    # the stream starts: the stream may last minutes and polls with short sessions of its own.
    start = last_event_id if last_event_id is not None else (after or 0)
    return StreamingResponse(
        service.event_stream(job_id, start),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"},
    )


@router.get("/demos/{job_id}/model", responses=problem_responses(401, 404, 409, 422))
def demo_model(
    job: OwnedJob, request: Request, variant: Annotated[int, Query(ge=0, le=3)] = 0
) -> Response:
    """The trained weights of a finished run as JSON layers for a forward pass in the browser.

    A finished run never changes, so the answer is cacheable (privately: runs are per user).
    """
    body = json.dumps(service.model_of(job, variant), separators=(",", ":")).encode()
    etag = '"' + hashlib.sha256(body).hexdigest()[:32] + '"'
    headers = {"ETag": etag, "Cache-Control": "private, max-age=31536000, immutable"}
    if request.headers.get("if-none-match") == etag:
        return Response(status_code=304, headers=headers)
    return Response(body, media_type="application/json", headers=headers)

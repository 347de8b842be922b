"""JSON routes of the progress feature (under /api/v1): progress, export and import."""

from __future__ import annotations

import re
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse, Response

from app.auth.deps import CurrentUser
from app.db import SessionDep, utcnow
from app.errors import problem_responses
from app.progress import statistics, transfer
from app.progress.schemas import (
    ExportDocument,
    ImportResult,
    ProgressRead,
    QuestionHistoryRead,
)

router = APIRouter(tags=["progress"])

PackFilter = Annotated[str | None, Query(max_length=100, description="only this pack (its slug)")]
TzOffset = Annotated[
    int,
    Query(
        ge=-14 * 60,
        le=14 * 60,
        description="the client's offset from UTC in minutes east (KST: 540); sets the local "
        "day for 'due today', the calendar and the streak",
    ),
]


@router.get("/progress", response_model=ProgressRead, responses=problem_responses(401, 422))
def read_progress(
    user: CurrentUser, session: SessionDep, pack: PackFilter = None, tz: TzOffset = 0
) -> ProgressRead:
    """Totals, due counts, reviews per day, streak, retention and mastery (FSRS retrievability)."""
    return statistics.get_progress(session, user, pack=pack, tz_offset_minutes=tz)


@router.get(
    "/progress/questions/{pack}/{number}",
    response_model=QuestionHistoryRead,
    responses=problem_responses(401, 404),
)
def read_question_history(
    pack: str, number: str, user: CurrentUser, session: SessionDep
) -> QuestionHistoryRead:
    """Every grade the caller gave one question, oldest first, and its card now."""
    return statistics.get_question_history(session, user, pack, number)


def _filename(username: str, suffix: str) -> str:
    safe = re.sub(r"[^A-Za-z0-9_.-]", "_", username)
    return f"mogi-{safe}-{utcnow():%Y%m%d}{suffix}"


@router.get("/export", response_model=ExportDocument, responses=problem_responses(401))
def export_data(user: CurrentUser, session: SessionDep) -> Response:
    """All of the caller's data as one JSON document another Mogi instance can import."""
    document = transfer.build_export(session, user)
    disposition = f'attachment; filename="{_filename(user.username, "-export.json")}"'
    return JSONResponse(
        document.model_dump(mode="json"), headers={"Content-Disposition": disposition}
    )


@router.get(
    "/export/reviews.csv",
    response_class=Response,
    responses={
        200: {"content": {"text/csv": {}}, "description": "one row per review"},
        **problem_responses(401),
    },
)
def export_reviews_csv(user: CurrentUser, session: SessionDep) -> Response:
    """The caller's reviews as CSV (UTF-8 with a byte-order mark, so spreadsheets read Korean)."""
    body = "\ufeff" + transfer.reviews_csv(session, user)
    disposition = f'attachment; filename="{_filename(user.username, "-reviews.csv")}"'
    return Response(
        body.encode("utf-8"),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": disposition},
    )


async def read_limited_body(request: Request, limit: int) -> bytes:
    """The request body, refused with 413 as soon as it grows past limit."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise transfer.too_large(int(declared))
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise transfer.too_large(size)
        chunks.append(chunk)
    return b"".join(chunks)


_IMPORT_BODY = {
    "requestBody": {
        "required": True,
        "content": {
            "application/json": {"schema": {"$ref": "#/components/schemas/ExportDocument"}}
        },
    }
}


@router.post(
    "/import",
    response_model=ImportResult,
    openapi_extra=_IMPORT_BODY,
    # Above the app's default; read_limited_body answers first, with the import's own message.
    max_body_size=transfer.MAX_IMPORT_BYTES + 1024 * 1024,
    responses=problem_responses(
        401,
        413,
        422,
        s413="The export is larger than the limit.",
        s422="Not a Mogi export, an unsupported version, or unknown questions.",
    ),
)
async def import_data(
    request: Request,
    user: CurrentUser,
    session: SessionDep,
    skip_unknown: Annotated[
        bool, Query(description="leave out questions this instance lacks instead of refusing")
    ] = False,
) -> ImportResult:
    """Merge an export into the caller's data, all or nothing; importing twice adds nothing."""
    raw = await read_limited_body(request, transfer.MAX_IMPORT_BYTES)
    document = transfer.parse_export(raw)
    return await run_in_threadpool(
        transfer.import_export, session, user, document, skip_unknown=skip_unknown
    )

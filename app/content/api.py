"""JSON routes of the content feature (under /api/v1)."""

from __future__ import annotations

from functools import partial
from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import Response
from sqlalchemy.orm import Session

from app.content import service
from app.content.schemas import PackRead, QuestionList, QuestionRead
from app.db import DbOffset, SessionDep, run_db_or
from app.errors import problem_responses

router = APIRouter(tags=["content"])
_NOT_FOUND = problem_responses(404, 422, s404="No such pack or question.")


@router.get("/packs", response_model=list[PackRead])
def list_packs(session: SessionDep) -> list[PackRead]:
    """Every imported pack with its number of questions."""
    return service.list_packs(session)


@router.get("/questions", response_model=QuestionList, responses=_NOT_FOUND)
def list_questions(
    session: SessionDep,
    pack: Annotated[str | None, Query(max_length=64, description="a pack's slug")] = None,
    q: Annotated[
        str | None,
        Query(
            description="what to look for: Korean or English words, a question number; "
            "longer than 200 characters is cut"
        ),
    ] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    offset: Annotated[DbOffset, Query()] = 0,
) -> QuestionList:
    """Live questions in library order; with q, the best matches first (BM25 over title,
    answer and references, with Korean morphology and the library's glossary)."""
    return service.list_questions(session, pack, q, limit, offset)


@router.get("/questions/{pack}/{number}", response_model=QuestionRead, responses=_NOT_FOUND)
async def get_question(pack: str, number: str) -> Response:
    """One question by its public id, e.g. deep-learning/12-3."""
    # The hot path reads a fresh in-memory snapshot and does no I/O, so it runs on the event
    # loop; only a stale or missing snapshot goes to the database, in the thread pool.
    found = service.cached_question(pack, number)
    if found is None:
        last_known = partial(service.last_known_question, pack, number)
        found = await run_db_or(last_known, _find_question, pack, number)
    return Response(service.question_json(*found), media_type="application/json")


def _find_question(
    session: Session, pack: str, number: str
) -> tuple[service.PackSnapshot, service.QuestionData]:
    try:
        return service.find_question(session, pack, number)
    except service.Moved as moved:  # renumbered upstream: the API's own address, not the page's
        raise service.Moved("/api/v1" + moved.location, f"{pack}/{number}") from None

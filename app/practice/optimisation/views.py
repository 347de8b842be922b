"""HTML routes of FSRS optimisation: start a fit, follow it, adopt or discard its weights.

Plain forms and a page that refreshes itself while the job waits or runs: no script needed.
"""

from __future__ import annotations

from collections.abc import Callable

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.orm import Session

from app.auth.deps import PageUser, load_user
from app.auth.models import User
from app.db import DbId, SessionDep
from app.errors import AppError
from app.i18n import request_language
from app.practice.optimisation import service
from app.practice.optimisation.models import FsrsOptimisation
from app.web import render, verify_csrf

router = APIRouter(dependencies=[Depends(verify_csrf), Depends(load_user)], include_in_schema=False)

INDEX = "/practice/optimise"
# How often a queued or running optimisation's page reloads itself (seconds).
REFRESH_S = 2


def _see_other(url: str) -> RedirectResponse:
    return RedirectResponse(url, status_code=303)


def _error_text(request: Request, exc: AppError) -> str:
    return exc.localized(request_language(request))


def _index_page(
    request: Request, db: Session, user: User, error: str | None = None, status_code: int = 200
) -> Response:
    snapshot = service.grade_snapshot(db, user.id)
    context = {
        "snapshot": snapshot,
        "required": service.MIN_MEASURED_REVIEWS,
        "weights": service.parameters_read(db, user.id),
        "recent": [service.describe(db, r) for r in service.recent_optimisations(db, user.id)],
        "error": error,
    }
    return render(request, "practice/optimise.html", context, status_code=status_code)


def _run_page(
    request: Request,
    db: Session,
    user: User,
    optimisation_id: int,
    error: str | None = None,
    status_code: int = 200,
) -> Response:
    row = service.owned_optimisation(db, user.id, optimisation_id)
    view = service.describe(db, row)
    context = {
        "o": view,
        "refresh_s": REFRESH_S if view.status in ("queued", "running") else None,
        "error": error,
    }
    return render(request, "practice/optimisation.html", context, status_code=status_code)


@router.get(INDEX)
def optimise_page(request: Request, user: PageUser, db: SessionDep) -> Response:
    """The weights in use, the review history a fit would use, and recent fits."""
    return _index_page(request, db, user)


@router.post(INDEX)
def start_form(request: Request, user: PageUser, db: SessionDep) -> Response:
    """Queue a fit and follow it; one already running is shown instead."""
    try:
        row = service.start_optimisation(db, user.id)
    except AppError as exc:
        running = exc.extra.get("optimisation")
        if isinstance(running, int):
            return _see_other(f"{INDEX}/{running}")
        return _index_page(request, db, user, _error_text(request, exc), exc.status_code)
    return _see_other(f"{INDEX}/{row.id}")


@router.post(f"{INDEX}/defaults")
def defaults_form(user: PageUser, db: SessionDep) -> Response:
    """Schedule with the fsrs library's weights again."""
    service.use_default_parameters(db, user.id)
    return _see_other(INDEX)


@router.get(f"{INDEX}/{{optimisation_id}}")
def optimisation_page(
    optimisation_id: DbId, request: Request, user: PageUser, db: SessionDep
) -> Response:
    """One fit: its place in the queue or its progress, then both log losses and the choice."""
    return _run_page(request, db, user, optimisation_id)


def _decide(
    request: Request,
    db: Session,
    user: User,
    optimisation_id: int,
    decide: Callable[[Session, FsrsOptimisation], FsrsOptimisation],
) -> Response:
    """Adopt or discard one fit and show it again; a refusal is said on its page."""
    row = service.owned_optimisation(db, user.id, optimisation_id)
    try:
        decide(db, row)
    except AppError as exc:
        error = _error_text(request, exc)
        return _run_page(request, db, user, optimisation_id, error, exc.status_code)
    return _see_other(f"{INDEX}/{optimisation_id}")


@router.post(f"{INDEX}/{{optimisation_id}}/adopt")
def adopt_form(optimisation_id: DbId, request: Request, user: PageUser, db: SessionDep) -> Response:
    return _decide(request, db, user, optimisation_id, service.adopt)


@router.post(f"{INDEX}/{{optimisation_id}}/discard")
def discard_form(
    optimisation_id: DbId, request: Request, user: PageUser, db: SessionDep
) -> Response:
    return _decide(request, db, user, optimisation_id, service.discard)

"""JSON routes of FSRS optimisation (under /api/v1): fit your weights, adopt or discard them.

Optimisations are private to their owner: another user's is a 404.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Response, status

from app.auth.deps import CurrentUser
from app.db import DbId, SessionDep
from app.errors import problem_responses
from app.practice.optimisation import service
from app.practice.optimisation.models import FsrsOptimisation
from app.practice.optimisation.schemas import FsrsParametersRead, OptimisationRead

router = APIRouter(tags=["practice"])

_ERRORS = problem_responses(
    401,
    404,
    409,
    422,
    s404="Unknown (or another user's) optimisation.",
    s409="Not possible in the optimisation's current state.",
)


def owned_optimisation(
    optimisation_id: DbId, user: CurrentUser, db: SessionDep
) -> FsrsOptimisation:
    """The caller's optimisation `optimisation_id` (404 for anyone else's)."""
    return service.owned_optimisation(db, user.id, optimisation_id)


OwnedOptimisation = Annotated[FsrsOptimisation, Depends(owned_optimisation)]


@router.post(
    "/fsrs/optimisations",
    status_code=status.HTTP_202_ACCEPTED,
    response_model=OptimisationRead,
    responses=problem_responses(
        401,
        409,
        422,
        429,
        s409="Too few reviews to fit (fewer than 512 given a day or more after the card's "
        "previous grade), or an optimisation is already queued or running.",
        s429="The worker's queue is full (see Retry-After).",
    ),
)
def start_optimisation(user: CurrentUser, db: SessionDep, response: Response) -> OptimisationRead:
    """Fit FSRS weights to your scheduled grades; a worker runs it. Once finished it reports the
    log loss of the weights in use and of the fitted ones; adopt or discard the result."""
    row = service.start_optimisation(db, user.id)
    response.headers["Location"] = f"/api/v1/fsrs/optimisations/{row.id}"
    return service.describe(db, row)


@router.get("/fsrs/optimisations", response_model=list[OptimisationRead], responses=_ERRORS)
def list_optimisations(user: CurrentUser, db: SessionDep) -> list[OptimisationRead]:
    """Your ten most recent optimisations, newest first."""
    return [service.describe(db, row) for row in service.recent_optimisations(db, user.id)]


@router.get(
    "/fsrs/optimisations/{optimisation_id}", response_model=OptimisationRead, responses=_ERRORS
)
def read_optimisation(row: OwnedOptimisation, db: SessionDep) -> OptimisationRead:
    """Status and progress; once finished, the fitted weights and both log losses."""
    return service.describe(db, row)


@router.post(
    "/fsrs/optimisations/{optimisation_id}/adopt",
    response_model=OptimisationRead,
    responses=_ERRORS,
)
def adopt_optimisation(row: OwnedOptimisation, db: SessionDep) -> OptimisationRead:
    """Schedule your reviews with the fitted weights from now on (409 unless finished)."""
    return service.describe(db, service.adopt(db, row))


@router.post(
    "/fsrs/optimisations/{optimisation_id}/discard",
    response_model=OptimisationRead,
    responses=_ERRORS,
)
def discard_optimisation(row: OwnedOptimisation, db: SessionDep) -> OptimisationRead:
    """Throw the result away (a queued or running fit is cancelled); your weights stay."""
    return service.describe(db, service.discard(db, row))


@router.get("/fsrs/parameters", response_model=FsrsParametersRead, responses=_ERRORS)
def read_parameters(user: CurrentUser, db: SessionDep) -> FsrsParametersRead:
    """The FSRS weights that schedule your reviews: the library's, or your adopted ones."""
    return service.parameters_read(db, user.id)


@router.delete("/fsrs/parameters", response_model=FsrsParametersRead, responses=_ERRORS)
def reset_parameters(user: CurrentUser, db: SessionDep) -> FsrsParametersRead:
    """Go back to the fsrs library's default weights."""
    return service.use_default_parameters(db, user.id)

"""FSRS optimisation on the web's side: snapshot the grades, queue the fit, read it back, adopt
or discard the fitted weights. Never imports torch: the fit runs in `mogi worker` (job.py).

A job's params are {"reviews": [[card, rating, reviewed_at_ms, duration_ms], ...],
"parameters": [the weights in use]}; its result is job.run_optimisation's.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from fsrs.scheduler import DEFAULT_PARAMETERS
from sqlalchemy.orm import Session

from app.db import utcnow
from app.demos import internal_jobs
from app.demos import service as demo_service
from app.demos.models import ACTIVE_STATUSES, FSRS_OPTIMISATION, DemoJob
from app.errors import AppError, NotFound
from app.practice.optimisation import repository as repo
from app.practice.optimisation.models import FsrsOptimisation
from app.practice.optimisation.schemas import (
    FsrsParametersRead,
    OptimisationLinks,
    OptimisationProgress,
    OptimisationRead,
)

# fsrs's optimiser measures its loss only on grades given a day or more after the card's
# previous one, and with fewer than one mini-batch of them (512) it returns the default weights
# untouched. Asking for less would queue a job that can only say "no change".
MIN_MEASURED_REVIEWS = 512
# It reads at most the first 64 grades of each card; later ones would only make the job bigger.
MAX_GRADES_PER_CARD = 64
# The fit takes 10-20 s per thousand grades on a shared CPU core (benches/RESULTS.md, "FSRS
# optimisation"): this many end well within the default job time limit of 300 s. A larger
# history keeps its longest-known cards.
MAX_GRADES = 10_000
RECENT_LIMIT = 10

TOO_FEW_PAGE = (
    "복습 기록이 부족해 FSRS 가중치를 맞출 수 없습니다. 카드의 이전 채점에서 하루 이상 지나 "
    "매긴 채점이 512개 이상 있어야 합니다."
)
ALREADY_ACTIVE_PAGE = "이미 대기 중이거나 실행 중인 최적화가 있습니다."
NOT_FINISHED_PAGE = "끝난 최적화의 결과만 적용할 수 있습니다."
DISCARDED_PAGE = "버린 결과는 적용할 수 없습니다. 최적화를 다시 실행하세요."
ADOPTED_PAGE = "이미 적용한 결과입니다. 되돌리려면 기본 가중치로 돌아가세요."


@dataclass(frozen=True)
class GradeSnapshot:
    """The grades a fit uses: [card, rating, reviewed_at_ms, duration_ms] rows, oldest first."""

    reviews: list[list[int | None]]
    cards: int
    measured: int


# ---- the snapshot ---------------------------------------------------------------------------


def grade_snapshot(session: Session, user_id: int) -> GradeSnapshot:
    """The user's scheduled grades as the optimiser will read them (question id as card id)."""
    by_card: dict[int, list[tuple[int, datetime, int | None]]] = defaultdict(list)
    for question_id, rating, reviewed_at, duration_ms in repo.scheduled_grades(session, user_id):
        grades = by_card[question_id]
        if len(grades) < MAX_GRADES_PER_CARD:
            grades.append((rating, reviewed_at, duration_ms))
    kept: list[list[int | None]] = []
    cards = measured = 0
    # Oldest cards first: their long intervals say the most about forgetting.
    for card, grades in sorted(by_card.items(), key=lambda item: item[1][0][1]):
        if len(kept) + len(grades) > MAX_GRADES:
            break
        cards += 1
        measured += _measured(grades)
        kept += [[card, rating, _ms(at), duration] for rating, at, duration in grades]
    kept.sort(key=lambda review: (review[2], review[0]))
    return GradeSnapshot(reviews=kept, cards=cards, measured=measured)


def _measured(grades: Sequence[tuple[int, datetime, int | None]]) -> int:
    """Grades a day (24 hours) or more after the card's previous one: the loss counts only these."""
    times = [at for _, at, _ in grades]
    return sum(1 for before, after in zip(times, times[1:], strict=False) if (after - before).days)


def _ms(moment: datetime) -> int:
    return int(moment.timestamp() * 1000)


def parameters_in_use(session: Session, user_id: int) -> list[float]:
    """The FSRS weights that schedule the user's reviews now."""
    return repo.fsrs_parameters(session, user_id) or [float(w) for w in DEFAULT_PARAMETERS]


# ---- starting -------------------------------------------------------------------------------


def start_optimisation(session: Session, user_id: int) -> FsrsOptimisation:
    """Queue a fit of the user's weights to a snapshot of their grades (the caller commits)."""
    internal_jobs.lock_user_jobs(session, user_id)
    active = repo.active_optimisation(session, user_id)
    if active is not None:
        raise AppError(
            "optimisation_active",
            en="An optimisation of your FSRS weights is already queued or running.",
            ko=ALREADY_ACTIVE_PAGE,
            status=409,
            extra={"optimisation": active.id},
        )
    snapshot = grade_snapshot(session, user_id)
    if snapshot.measured < MIN_MEASURED_REVIEWS:
        raise AppError(
            "too_few_reviews",
            en=f"Too few reviews to fit FSRS weights: the optimiser needs at least "
            f"{MIN_MEASURED_REVIEWS} grades given a day or more after the card's previous grade, "
            f"and you have {snapshot.measured}.",
            ko=TOO_FEW_PAGE,
            status=409,
            extra={"measured_reviews": snapshot.measured, "required": MIN_MEASURED_REVIEWS},
        )
    job = internal_jobs.queue_internal_job(
        session,
        user_id,
        FSRS_OPTIMISATION,
        {"reviews": snapshot.reviews, "parameters": parameters_in_use(session, user_id)},
    )
    row = FsrsOptimisation(
        user_id=user_id,
        job_id=job.id,
        review_count=len(snapshot.reviews),
        card_count=snapshot.cards,
        measured_count=snapshot.measured,
    )
    repo.add_optimisation(session, row)
    return _load(session, row.id)


# ---- reading --------------------------------------------------------------------------------


def _load(session: Session, optimisation_id: int) -> FsrsOptimisation:
    row = repo.get_optimisation(session, optimisation_id)
    if row is None:
        raise NotFound("No such optimisation.", "그런 최적화가 없습니다.")
    session.refresh(row.job)
    return row


def owned_optimisation(session: Session, user_id: int, optimisation_id: int) -> FsrsOptimisation:
    """The user's optimisation; another user's is 404, like one that does not exist."""
    row = repo.get_optimisation(session, optimisation_id)
    if row is None or row.user_id != user_id:
        raise NotFound("No such optimisation.", "그런 최적화가 없습니다.")
    return row


def recent_optimisations(session: Session, user_id: int) -> list[FsrsOptimisation]:
    return list(repo.list_optimisations(session, user_id, RECENT_LIMIT))


def describe(session: Session, row: FsrsOptimisation) -> OptimisationRead:
    """The API's (and the page's) view of an optimisation."""
    job = row.job
    result: dict[str, Any] = job.result or {}
    base = f"/api/v1/fsrs/optimisations/{row.id}"
    return OptimisationRead(
        id=row.id,
        status=job.status,  # type: ignore[arg-type]
        decision=row.decision,  # type: ignore[arg-type]
        in_use=is_in_use(session, row),
        reviews=row.review_count,
        cards=row.card_count,
        measured_reviews=row.measured_count,
        log_loss_before=result.get("log_loss_before"),
        log_loss_after=result.get("log_loss_after"),
        parameters_before=result.get("parameters_before"),
        parameters=result.get("parameters"),
        seconds=result.get("seconds"),
        progress=_progress(session, job),
        queue_position=(
            demo_service.queue_position(session, job.id) if job.status == "queued" else None
        ),
        waiting_for_worker=demo_service.waiting_for_worker(session, job),
        error=job.error,
        created_at=row.created_at,
        finished_at=job.finished_at,
        decided_at=row.decided_at,
        links=OptimisationLinks(self=base, adopt=f"{base}/adopt", discard=f"{base}/discard"),
    )


def _progress(session: Session, job: DemoJob) -> OptimisationProgress | None:
    if job.status not in ACTIVE_STATUSES:
        return None
    data = internal_jobs.latest_progress(session, job)
    if data is None:
        return None
    return OptimisationProgress(
        stage=str(data.get("stage", "")), epoch=data.get("epoch"), epochs=data.get("epochs")
    )


def is_in_use(session: Session, row: FsrsOptimisation) -> bool:
    """Whether this optimisation's weights are the ones scheduling the user's reviews now."""
    fitted = (row.job.result or {}).get("parameters")
    return (
        row.decision == "adopted"
        and fitted is not None
        and repo.fsrs_parameters(session, row.user_id) == fitted
    )


def parameters_read(session: Session, user_id: int) -> FsrsParametersRead:
    """The weights in use, and the optimisation they came from."""
    own = repo.fsrs_parameters(session, user_id)
    if own is None:
        return FsrsParametersRead(
            parameters=[float(w) for w in DEFAULT_PARAMETERS], source="default", optimisation=None
        )
    source = next(
        (r.id for r in recent_optimisations(session, user_id) if is_in_use(session, r)), None
    )
    return FsrsParametersRead(parameters=own, source="optimised", optimisation=source)


# ---- deciding -------------------------------------------------------------------------------


def adopt(session: Session, row: FsrsOptimisation) -> FsrsOptimisation:
    """Schedule the user's reviews with the fitted weights from now on (again: no change)."""
    job = row.job
    fitted = (job.result or {}).get("parameters")
    if row.decision == "discarded":
        raise AppError(
            "optimisation_discarded",
            en="This optimisation's result was discarded; run a new one.",
            ko=DISCARDED_PAGE,
            status=409,
        )
    if job.status != "finished" or fitted is None:
        raise AppError(
            "optimisation_not_finished",
            en="Only a finished optimisation can be adopted.",
            ko=NOT_FINISHED_PAGE,
            status=409,
            extra={"status": job.status},
        )
    repo.set_fsrs_parameters(session, row.user_id, [float(w) for w in fitted])
    if row.decision is None:
        row.decision, row.decided_at = "adopted", utcnow()
    session.flush()
    return row


def discard(session: Session, row: FsrsOptimisation) -> FsrsOptimisation:
    """Throw the result away (a queued or running fit is cancelled); the weights stay."""
    if row.decision == "adopted":
        raise AppError(
            "optimisation_adopted",
            en="This optimisation's weights were adopted; go back to the default weights instead.",
            ko=ADOPTED_PAGE,
            status=409,
        )
    if row.job.status in ACTIVE_STATUSES:
        demo_service.cancel_job(session, row.job)
    if row.decision is None:
        row.decision, row.decided_at = "discarded", utcnow()
    session.flush()
    return row


def use_default_parameters(session: Session, user_id: int) -> FsrsParametersRead:
    """Schedule the user's reviews with the fsrs library's weights again."""
    if repo.fsrs_parameters(session, user_id) is not None:
        repo.set_fsrs_parameters(session, user_id, None)
    return parameters_read(session, user_id)

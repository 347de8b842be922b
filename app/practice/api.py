"""JSON routes of the practice feature (under /api/v1): sessions, reviews, bookmarks, notes."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Body, Depends, Header, Path, Response, status

from app import local_time
from app.auth.deps import CurrentUser
from app.content import lookups
from app.content.lookups import QuestionRef
from app.db import DbId, SessionDep, utcnow
from app.errors import AppError, problem_responses
from app.practice import card_status, saved, service, sessions
from app.practice import settings as review_settings
from app.practice.idempotency import KEY_PATTERN, grade_once
from app.practice.models import Note, UserAnswer
from app.practice.schemas import (
    BookmarkRead,
    CardRead,
    CardStatusIn,
    CardStatusRead,
    DebriefItem,
    NoteIn,
    NoteRead,
    RevealIn,
    RevealRead,
    ReviewCreate,
    ReviewRead,
    SessionCreate,
    SessionRead,
    SettingsRead,
    SettingsUpdate,
    SkipIn,
    UndoIn,
    UndoRead,
    UserAnswerIn,
    UserAnswerRead,
)

router = APIRouter(tags=["practice"])

BOOKMARK = "/questions/{pack}/{number}/bookmark"
NOTE = "/questions/{pack}/{number}/note"
MY_ANSWER = "/questions/{pack}/{number}/my-answer"
CARD_STATUS = "/questions/{pack}/{number}/card-status"

_ERRORS = problem_responses(
    401, 404, 409, 422, s404="Unknown (or another user's) session or question."
)


def question_ref(
    _user: CurrentUser,  # authentication first: a stranger learns nothing, not even a 404
    db: SessionDep,
    pack: Annotated[str, Path(max_length=64, examples=["deep-learning"])],
    number: Annotated[str, Path(max_length=32, examples=["12-3"])],
) -> QuestionRef:
    """The question named in the path, or 404."""
    return lookups.find_question(db, pack, number)


QuestionDep = Annotated[QuestionRef, Depends(question_ref)]


@router.post(
    "/sessions", status_code=status.HTTP_201_CREATED, response_model=SessionRead, responses=_ERRORS
)
def create_session(body: SessionCreate, user: CurrentUser, db: SessionDep) -> SessionRead:
    """Start a practice session over a scope (409 when the scope has nothing to practise)."""
    quiz = sessions.start_session(db, user, body)
    return sessions.describe_session(db, quiz)


@router.get("/sessions/{session_id}", response_model=SessionRead, responses=_ERRORS)
def read_session(session_id: DbId, user: CurrentUser, db: SessionDep) -> SessionRead:
    """A session's progress and status (active, finished, or expired for a mock past its clock)."""
    return sessions.describe_session(db, service.find_session(db, user, session_id))


@router.get(
    "/sessions/{session_id}/next",
    response_model=CardRead,
    responses={204: {"description": "The session is over"}, **_ERRORS},
)
def next_card(session_id: DbId, user: CurrentUser, db: SessionDep) -> CardRead | Response:
    """The current card with the interval each grade leads to; 204 when the session is over."""
    card = sessions.next_card(db, user, service.find_session(db, user, session_id))
    return card if card is not None else Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get("/sessions/{session_id}/debrief", response_model=list[DebriefItem], responses=_ERRORS)
def read_debrief(session_id: DbId, user: CurrentUser, db: SessionDep) -> list[DebriefItem]:
    """A mock interview once it is over (finished, or out of time): every question asked, what
    was typed, the model answer and its key terms covered; ungraded ones can still be graded."""
    quiz = service.find_session(db, user, session_id)
    if quiz.mode != "mock" or sessions.session_status(quiz, utcnow()) == "active":
        raise AppError(
            "no_debrief_yet",
            en="Only a mock interview that is over has a debrief.",
            ko="모의 면접이 끝난 뒤에 볼 수 있습니다.",
            status=409,
        )
    return sessions.debrief_items(db, user, quiz)


@router.post("/sessions/{session_id}/reveal", response_model=RevealRead, responses=_ERRORS)
def reveal_card(
    session_id: DbId,
    user: CurrentUser,
    db: SessionDep,
    body: Annotated[RevealIn | None, Body()] = None,
) -> RevealRead:
    """Reveal the current card's model answer; a typed answer is kept and checked for key terms."""
    quiz = service.find_session(db, user, session_id)
    return sessions.reveal(db, user, quiz, body.answer_text if body else None)


@router.post("/sessions/{session_id}/skip", response_model=SessionRead, responses=_ERRORS)
def skip_card(
    session_id: DbId,
    user: CurrentUser,
    db: SessionDep,
    body: Annotated[SkipIn | None, Body()] = None,
) -> SessionRead:
    """Move past the current card without grading it; its schedule is left as it is."""
    quiz = service.find_session(db, user, session_id)
    card_status.skip(db, user, quiz, body.question if body else None)
    return sessions.describe_session(db, quiz)


@router.post(
    "/reviews", status_code=status.HTTP_201_CREATED, response_model=ReviewRead, responses=_ERRORS
)
def create_review(
    body: ReviewCreate,
    user: CurrentUser,
    db: SessionDep,
    idempotency_key: Annotated[
        str | None,
        Header(
            alias="Idempotency-Key",
            pattern=KEY_PATTERN,
            description="Any unique string (a UUID): a retry with the same key is answered "
            "with the first response and never records a second grade. Kept for 24 hours.",
        ),
    ] = None,
) -> ReviewRead:
    """Grade a question 1-4 (Again, Hard, Good, Easy); in a session only after the reveal."""
    return grade_once(db, user, body, idempotency_key)


@router.post("/reviews/undo", response_model=UndoRead, responses=_ERRORS)
def undo_review(
    user: CurrentUser, db: SessionDep, body: Annotated[UndoIn | None, Body()] = None
) -> UndoRead:
    """Undo the last grade (of a session, if given): the card is restored exactly."""
    return service.undo_last(db, user, body.session if body else None)


def _settings_read(settings: review_settings.ReviewSettings) -> SettingsRead:
    return SettingsRead(
        desired_retention=settings.desired_retention,
        new_per_day=settings.new_per_day,
        reviews_per_day=settings.reviews_per_day,
        learning_steps=list(settings.learning_steps),
        learning_steps_text=review_settings.format_steps(settings.learning_steps),
        relearning_steps=list(settings.relearning_steps),
        relearning_steps_text=review_settings.format_steps(settings.relearning_steps),
        time_zone=settings.time_zone,
        day_starts_at_hour=local_time.DAY_STARTS_AT_HOUR,
        mock_schedules=settings.mock_schedules,
        fsrs_parameters=list(settings.fsrs_parameters) if settings.fsrs_parameters else None,
    )


@router.get("/settings", response_model=SettingsRead, responses=_ERRORS)
def read_settings(user: CurrentUser, db: SessionDep) -> SettingsRead:
    """Your review settings (the defaults until you change one)."""
    return _settings_read(review_settings.settings_for(db, user.id))


@router.put("/settings", response_model=SettingsRead, responses=_ERRORS)
def put_settings(body: SettingsUpdate, user: CurrentUser, db: SessionDep) -> SettingsRead:
    """Change your review settings; fields left out keep their value. Retention and steps
    apply from your next grade, limits at once (per pack, per day from 04:00 your time)."""
    changes = body.model_dump(exclude_unset=True, exclude_none=True)
    return _settings_read(review_settings.update_settings(db, user.id, changes))


@router.get(BOOKMARK, response_model=BookmarkRead, responses=_ERRORS)
def read_bookmark(ref: QuestionDep, user: CurrentUser, db: SessionDep) -> BookmarkRead:
    """Whether the question is bookmarked."""
    return BookmarkRead(question=ref.public_id, bookmarked=saved.is_bookmarked(db, user, ref))


@router.put(BOOKMARK, response_model=BookmarkRead, responses=_ERRORS)
def put_bookmark(ref: QuestionDep, user: CurrentUser, db: SessionDep) -> BookmarkRead:
    """Bookmark a question (idempotent)."""
    saved.set_bookmark(db, user, ref, True)
    return BookmarkRead(question=ref.public_id, bookmarked=True)


@router.delete(
    BOOKMARK,
    status_code=204,
    response_class=Response,
    responses=_ERRORS,
)
def delete_bookmark(ref: QuestionDep, user: CurrentUser, db: SessionDep) -> None:
    """Remove a bookmark (idempotent)."""
    saved.set_bookmark(db, user, ref, False)


def _note(ref: QuestionRef, note: Note) -> NoteRead:
    return NoteRead(question=ref.public_id, body=note.body, updated_at=note.updated_at)


@router.put(NOTE, response_model=NoteRead, responses=_ERRORS)
def put_note(body: NoteIn, ref: QuestionDep, user: CurrentUser, db: SessionDep) -> NoteRead:
    """Write your private note on a question (at most 20,000 characters)."""
    return _note(ref, saved.save_note(db, user, ref, body.body))


@router.get(NOTE, response_model=NoteRead, responses=_ERRORS)
def read_note(ref: QuestionDep, user: CurrentUser, db: SessionDep) -> NoteRead:
    """Your note on a question; 404 when there is none."""
    return _note(ref, saved.get_note(db, user, ref))


@router.delete(NOTE, status_code=204, response_class=Response, responses=_ERRORS)
def delete_note(ref: QuestionDep, user: CurrentUser, db: SessionDep) -> None:
    """Delete your note (idempotent)."""
    saved.delete_note(db, user, ref)


def _answer(ref: QuestionRef, answer: UserAnswer) -> UserAnswerRead:
    return UserAnswerRead(
        question=ref.public_id,
        body_markdown=answer.body_markdown,
        body_html=answer.body_html,
        updated_at=answer.updated_at,
    )


@router.put(MY_ANSWER, response_model=UserAnswerRead, responses=_ERRORS)
def put_my_answer(
    body: UserAnswerIn, ref: QuestionDep, user: CurrentUser, db: SessionDep
) -> UserAnswerRead:
    """Write your own answer (Markdown) to an entry that has none; 409 if it has a model answer."""
    return _answer(ref, saved.save_user_answer(db, user, ref, body.body_markdown))


@router.get(MY_ANSWER, response_model=UserAnswerRead, responses=_ERRORS)
def read_my_answer(ref: QuestionDep, user: CurrentUser, db: SessionDep) -> UserAnswerRead:
    """Your own answer to an entry, as Markdown and sanitised HTML; 404 when there is none."""
    return _answer(ref, saved.get_user_answer(db, user, ref))


@router.delete(
    MY_ANSWER,
    status_code=204,
    response_class=Response,
    responses=_ERRORS,
)
def delete_my_answer(ref: QuestionDep, user: CurrentUser, db: SessionDep) -> None:
    """Delete your own answer (idempotent)."""
    saved.delete_user_answer(db, user, ref)


def _card_status(ref: QuestionRef, view: card_status.StatusView) -> CardStatusRead:
    return CardStatusRead(
        question=ref.public_id,
        suspended=view.suspended,
        buried_until=view.buried_until,
        flagged=view.flagged,
    )


@router.get(CARD_STATUS, response_model=CardStatusRead, responses=_ERRORS)
def read_card_status(ref: QuestionDep, user: CurrentUser, db: SessionDep) -> CardStatusRead:
    """Whether the question is suspended, buried (until when) or flagged."""
    return _card_status(ref, card_status.status_view(db, user.id, ref.id, utcnow()))


@router.patch(CARD_STATUS, response_model=CardStatusRead, responses=_ERRORS)
def patch_card_status(
    body: CardStatusIn, ref: QuestionDep, user: CurrentUser, db: SessionDep
) -> CardStatusRead:
    """Suspend, bury or flag a question (or undo one); suspending or burying it takes it out
    of your unfinished sessions, as skipping it would."""
    view = card_status.change_status(db, user, ref, body.model_dump(exclude_none=True))
    return _card_status(ref, view)

"""HTML routes of the practice feature: the practice page, a session's card, the question panel.

Every action is a plain form post (no JavaScript needed); practice.js drives the same session
through the REST API for the keyboard and swaps in the card fragment this module renders.
"""

from __future__ import annotations

import secrets
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.orm import Session

from app.auth.deps import PageUser, load_user
from app.auth.models import User
from app.content import lookups
from app.db import DbId, SessionDep
from app.errors import AppError, too_long
from app.i18n import request_language
from app.practice import card_status, saved, service, sessions
from app.practice import repository as repo
from app.practice import settings as review_settings
from app.practice.idempotency import KEY_PATTERN, grade_once
from app.practice.models import MAX_TEXT_CHARS
from app.practice.schemas import ReviewCreate, ScopeIn, SessionCreate
from app.web import render, verify_csrf

router = APIRouter(dependencies=[Depends(verify_csrf), Depends(load_user)], include_in_schema=False)

SCOPES = ("all", "due", "new", "bookmarked", "flagged", "unanswered", "chain")
# What a card's buttons (and the question page's) may do to it: the marks each one sets.
MARK_ACTIONS: dict[str, dict[str, bool]] = {
    "suspend": {"suspended": True},
    "unsuspend": {"suspended": False},
    "bury": {"buried": True},
    "unbury": {"buried": False},
    "flag": {"flagged": True},
    "unflag": {"flagged": False},
}
MODES = ("review", "cram", "mock")


def _see_other(url: str) -> RedirectResponse:
    return RedirectResponse(url, status_code=303)


def _practice_page(
    request: Request,
    db: Session,
    user: User,
    error: str | None = None,
    status_code: int = 200,
    form: dict[str, Any] | None = None,
) -> Response:
    context = {
        "packs": sessions.practice_overview(db, user),
        "recent": [sessions.describe_session(db, q) for q in repo.recent_sessions(db, user.id)],
        "scopes": SCOPES,
        "modes": MODES,
        "error": error,
        "form": form or {},
        "time_zone": review_settings.settings_for(db, user.id).time_zone,
    }
    return render(request, "practice/index.html", context, status_code=status_code)


@router.get("/practice")
def practice_home(request: Request, user: PageUser, db: SessionDep) -> Response:
    """Choose a pack, a scope and a mode; see what is due and new."""
    return _practice_page(request, db, user, form=dict(request.query_params))


@router.post("/practice/sessions")
def start_session_form(
    request: Request,
    user: PageUser,
    db: SessionDep,
    pack: Annotated[str, Form()] = "",
    kind: Annotated[str, Form()] = "all",
    mode: Annotated[str, Form()] = "review",
    question: Annotated[str, Form()] = "",
    time_limit_min: Annotated[str, Form()] = "",
) -> Response:
    """Start a session from the form and go to its first card."""
    form = {"pack": pack, "kind": kind, "mode": mode, "question": question}
    try:
        body = SessionCreate(
            scope=ScopeIn(pack=pack, kind=kind, question=question.strip() or None),  # type: ignore[arg-type]
            mode=mode,  # type: ignore[arg-type]
            time_limit_s=int(float(time_limit_min) * 60) if time_limit_min.strip() else None,
        )
        quiz = sessions.start_session(db, user, body)
    except AppError as exc:
        message = exc.localized(request_language(request))
        return _practice_page(request, db, user, message, exc.status_code, form)
    except ValueError:
        invalid = AppError(
            "invalid_session_form",
            en="The chosen pack, scope, mode or time limit is not valid.",
            ko="선택한 묶음, 범위, 모드나 시간 제한이 올바르지 않습니다.",
            status=422,
        )
        message = invalid.localized(request_language(request))
        return _practice_page(request, db, user, message, 422, form)
    return _see_other(f"/practice/sessions/{quiz.id}")


def _session_view(
    request: Request,
    db: Session,
    user: User,
    session_id: int,
    fragment: str = "",
    note_error: str | None = None,
    note_draft: str | None = None,
) -> Response:
    quiz = service.find_session(db, user, session_id)
    template = "practice/_card.html" if fragment == "card" else "practice/session.html"
    return _session_page(
        request, db, user, quiz, template, note_error=note_error, note_draft=note_draft
    )


def _session_page(
    request: Request,
    db: Session,
    user: User,
    quiz: Any,
    template: str = "practice/session.html",
    error: AppError | None = None,
    answer_text: str | None = None,
    note_error: str | None = None,
    note_draft: str | None = None,
) -> Response:
    page = sessions.session_page(db, user, quiz)
    # A fresh Idempotency-Key per rendering of the card: its grade form (and practice.js,
    # which reads it) sends it, so a grade resent after a lost answer is recorded once.
    context = {
        "page": page,
        "quiz": page.summary,
        "grade_key": secrets.token_urlsafe(18),
        "mock_schedules": review_settings.settings_for(db, user.id).mock_schedules,
        "note_error": note_error,
        "note_draft": note_draft,
        "max_note_chars": MAX_TEXT_CHARS,
    }
    status = 422 if note_error else 200
    if error is not None:
        context["answer_error"] = error.localized(request_language(request))
        context["answer_kept"] = answer_text
        status = error.status_code
    return render(request, template, context, status_code=status)


@router.get("/practice/sessions/{session_id}")
def session_page(
    session_id: DbId, request: Request, user: PageUser, db: SessionDep, fragment: str = ""
) -> Response:
    """The session's current card; ?fragment=card renders only the card (for practice.js)."""
    return _session_view(request, db, user, session_id, fragment)


def _too_long(field: str, text: str, en_name: str, ko_subject: str) -> AppError | None:
    """A 422 for text past MAX_TEXT_CHARS, counted, so nothing is cut silently."""
    if len(text) <= MAX_TEXT_CHARS:
        return None
    return too_long(field, MAX_TEXT_CHARS, len(text), en_name=en_name, ko_subject=ko_subject)


@router.post("/practice/sessions/{session_id}/reveal")
def reveal_form(
    request: Request,
    session_id: DbId,
    user: PageUser,
    db: SessionDep,
    answer_text: Annotated[str, Form()] = "",
) -> Response:
    quiz = service.find_session(db, user, session_id)
    error = _too_long("answer_text", answer_text, "An answer", "답변은")
    if error is not None:
        return _session_page(request, db, user, quiz, error=error, answer_text=answer_text)
    sessions.reveal(db, user, quiz, answer_text or None)
    return _see_other(f"/practice/sessions/{session_id}")


@router.post("/practice/sessions/{session_id}/grade")
def grade_form(
    session_id: DbId,
    user: PageUser,
    db: SessionDep,
    question: Annotated[str, Form(max_length=100)],
    rating: Annotated[int, Form(ge=1, le=4)],
    idempotency_key: Annotated[str | None, Form(pattern=KEY_PATTERN)] = None,
) -> Response:
    body = ReviewCreate(question=question, rating=rating, session=session_id)
    # The card's form carries a key: submitting it twice (a double click, a resent form)
    # records one grade.
    grade_once(db, user, body, idempotency_key)
    return _see_other(f"/practice/sessions/{session_id}")


@router.post("/practice/sessions/{session_id}/undo")
def undo_form(session_id: DbId, user: PageUser, db: SessionDep) -> Response:
    service.undo_last(db, user, session_id)
    return _see_other(f"/practice/sessions/{session_id}")


@router.post("/practice/sessions/{session_id}/skip")
def skip_form(
    session_id: DbId,
    user: PageUser,
    db: SessionDep,
    question: Annotated[str | None, Form(max_length=100)] = None,
) -> Response:
    """Pass over the current card without grading it."""
    card_status.skip(db, user, service.find_session(db, user, session_id), question)
    return _see_other(f"/practice/sessions/{session_id}")


def _mark_values(action: str) -> dict[str, bool]:
    if action not in MARK_ACTIONS:
        raise AppError(
            "unknown_card_action",
            en="Unknown card action '{action}'.",
            ko="알 수 없는 카드 동작입니다: '{action}'.",
            status=422,
            action=action,
        )
    return MARK_ACTIONS[action]


@router.post("/practice/sessions/{session_id}/mark")
def mark_form(
    session_id: DbId,
    user: PageUser,
    db: SessionDep,
    question: Annotated[str, Form(max_length=100)],
    action: Annotated[str, Form(max_length=16)],
) -> Response:
    """Suspend, bury or flag the session's card; suspending or burying moves the session on."""
    service.find_session(db, user, session_id)
    ref = lookups.find_question(db, *lookups.parse_question_id(question))
    card_status.change_status(db, user, ref, _mark_values(action))
    return _see_other(f"/practice/sessions/{session_id}")


@router.post("/practice/sessions/{session_id}/note")
def session_note_form(
    session_id: DbId,
    request: Request,
    user: PageUser,
    db: SessionDep,
    question: Annotated[str, Form(max_length=100)],
    body: Annotated[str, Form()] = "",
) -> Response:
    """Save the note shown on a card's back and return to the same card; a note over the
    limit is refused with the text kept in the box, never cut."""
    service.find_session(db, user, session_id)
    ref = lookups.find_question(db, *lookups.parse_question_id(question))
    too_long_note = _too_long("body", body, "A note", "메모는")
    if too_long_note is not None:
        message = too_long_note.localized(request_language(request))
        return _session_view(request, db, user, session_id, note_error=message, note_draft=body)
    if body.strip():
        saved.save_note(db, user, ref, body)
    else:
        saved.delete_note(db, user, ref)
    return _see_other(f"/practice/sessions/{session_id}#card-note")


# --- the panel on a question page ---


def _back_to(ref: lookups.QuestionRef) -> RedirectResponse:
    return _see_other(f"{ref.url}#practice-panel")


def _page_ref(_user: PageUser, db: SessionDep, pack: str, number: str) -> lookups.QuestionRef:
    return lookups.find_question(db, pack, number)


PageRef = Annotated[lookups.QuestionRef, Depends(_page_ref)]


@router.post("/practice/questions/{pack}/{number}/bookmark")
def bookmark_form(
    ref: PageRef, user: PageUser, db: SessionDep, on: Annotated[str, Form()] = "1"
) -> Response:
    saved.set_bookmark(db, user, ref, on == "1")
    return _back_to(ref)


def _saved_text_page(
    request: Request, ref: lookups.QuestionRef, kind: str, text: str, error: AppError
) -> Response:
    """The note or own-answer form again, with what was typed and why it was not saved."""
    context = {
        "ref": ref,
        "kind": kind,
        "text": text,
        "error": error.localized(request_language(request)),
        "max_chars": MAX_TEXT_CHARS,
    }
    return render(request, "practice/saved_text.html", context, status_code=error.status_code)


@router.post("/practice/questions/{pack}/{number}/note")
def note_form(
    request: Request,
    ref: PageRef,
    user: PageUser,
    db: SessionDep,
    body: Annotated[str, Form()] = "",
) -> Response:
    error = _too_long("body", body, "A note", "메모는")
    if error is not None:
        return _saved_text_page(request, ref, "note", body, error)
    if body.strip():
        saved.save_note(db, user, ref, body)
    else:
        saved.delete_note(db, user, ref)
    return _back_to(ref)


@router.post("/practice/questions/{pack}/{number}/my-answer")
def my_answer_form(
    request: Request,
    ref: PageRef,
    user: PageUser,
    db: SessionDep,
    body_markdown: Annotated[str, Form()] = "",
) -> Response:
    error = _too_long("body_markdown", body_markdown, "An answer", "답변은")
    if error is not None:
        return _saved_text_page(request, ref, "answer", body_markdown, error)
    if body_markdown.strip():
        try:
            saved.save_user_answer(db, user, ref, body_markdown)
        except AppError as exc:
            return _saved_text_page(request, ref, "answer", body_markdown, exc)
    else:
        saved.delete_user_answer(db, user, ref)
    return _back_to(ref)


@router.post("/practice/questions/{pack}/{number}/card-status")
def card_status_form(
    ref: PageRef, user: PageUser, db: SessionDep, action: Annotated[str, Form(max_length=16)]
) -> Response:
    """Suspend, bury or flag the question (or undo one) from its page."""
    card_status.change_status(db, user, ref, _mark_values(action))
    return _back_to(ref)

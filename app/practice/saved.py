"""What a user keeps on a question: a bookmark, a private note, their own answer."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from app.auth.models import User
from app.content.lookups import QuestionRef
from app.content.render import RenderContext, render_answer
from app.db import utcnow
from app.errors import AppError, NotFound
from app.practice import repository as repo
from app.practice.models import (
    Bookmark,
    Note,
    UserAnswer,
)

# --- bookmarks, notes, own answers ---


def set_bookmark(db: Session, user: User, ref: QuestionRef, on: bool) -> None:
    if not on:
        repo.delete_bookmark(db, user.id, ref.id)
        return
    if repo.get_bookmark(db, user.id, ref.id) is None:
        repo.insert_if_absent(
            db,
            Bookmark,
            {"user_id": user.id, "question_id": ref.id, "created_at": utcnow()},
        )


def is_bookmarked(db: Session, user: User, ref: QuestionRef) -> bool:
    return repo.get_bookmark(db, user.id, ref.id) is not None


def save_note(db: Session, user: User, ref: QuestionRef, body: str) -> Note:
    """Create or replace the user's note on the question."""
    return _upsert(db, Note, user, ref, {"body": body, "updated_at": utcnow()})  # type: ignore[no-any-return]


def _upsert(
    db: Session,
    model: type[Note] | type[UserAnswer],
    user: User,
    ref: QuestionRef,
    values: dict[str, Any],
) -> Any:
    """Insert the user's row for the question, or update the one there (even one made just now)."""
    key = {"user_id": user.id, "question_id": ref.id}
    if not repo.insert_if_absent(db, model, {**key, **values}):
        repo.update_owned(db, model, key, values)
    row = repo.get_owned(db, model, key)
    assert row is not None
    return row


def get_note(db: Session, user: User, ref: QuestionRef) -> Note:
    note = repo.get_note(db, user.id, ref.id)
    if note is None:
        raise NotFound("No note on '{id}'.", "'{id}'에 쓴 메모가 없습니다.", id=ref.public_id)
    return note


def delete_note(db: Session, user: User, ref: QuestionRef) -> None:
    repo.delete_note(db, user.id, ref.id)


def render_own_answer(pack_slug: str, markdown: str) -> str:
    """A user's Markdown as safe HTML, by the same renderer and allow-list as the packs."""
    return render_answer(markdown, RenderContext(pack_slug=pack_slug))


def save_user_answer(db: Session, user: User, ref: QuestionRef, markdown: str) -> UserAnswer:
    if ref.has_answer:
        raise AppError(
            "has_model_answer",
            en="This entry already has a model answer.",
            ko="이 질문에는 이미 모범 답안이 있습니다.",
            status=409,
        )
    html = render_own_answer(ref.pack, markdown)
    values = {"body_markdown": markdown, "body_html": html, "updated_at": utcnow()}
    return _upsert(db, UserAnswer, user, ref, values)  # type: ignore[no-any-return]


def get_user_answer(db: Session, user: User, ref: QuestionRef) -> UserAnswer:
    answer = repo.get_user_answer(db, user.id, ref.id)
    if answer is None:
        raise NotFound(
            "No answer of yours on '{id}'.", "'{id}'에 쓴 내 답안이 없습니다.", id=ref.public_id
        )
    return answer


def delete_user_answer(db: Session, user: User, ref: QuestionRef) -> None:
    repo.delete_user_answer(db, user.id, ref.id)

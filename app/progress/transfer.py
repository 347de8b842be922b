"""A user's data as a portable export (JSON, CSV), and an export merged back into an account.

Export and import share one module although it runs past 400 lines: they are two halves of one
format, and a field added to one must be added to the other.
"""

from __future__ import annotations

import csv
import io
import json
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Protocol, TypeVar

from pydantic import ValidationError
from sqlalchemy.orm import Session

from app.auth.models import User
from app.content import lookups
from app.db import utcnow
from app.errors import AppError, too_many_bytes
from app.practice import settings as review_settings
from app.practice.models import (
    Bookmark,
    Card,
    Note,
    QuizSession,
    QuizSessionItem,
    ReviewLog,
    UserAnswer,
)
from app.practice.saved import render_own_answer
from app.progress import repository as repo
from app.progress.schemas import (
    EXPORT_FORMAT,
    EXPORT_VERSION,
    ExportAnswer,
    ExportBookmark,
    ExportCard,
    ExportDocument,
    ExportNote,
    ExportReview,
    ExportSession,
    ExportSessionItem,
    ExportSettings,
    ExportUser,
    ImportCounts,
    ImportResult,
)

MAX_IMPORT_BYTES = 16 * 1024 * 1024


def build_export(session: Session, user: User, now: datetime | None = None) -> ExportDocument:
    """All of the user's data, with questions named 'pack/number' so another Mogi can read it."""
    sessions, session_index = _export_sessions(session, user.id)
    return ExportDocument(
        format="mogi-export",
        version=1,
        exported_at=(now or utcnow()),
        user=ExportUser(username=user.username),
        cards=[_export_card(c, f"{p}/{n}") for c, p, n in repo.export_cards(session, user.id)],
        reviews=[
            _export_review(r, f"{p}/{n}", session_index)
            for r, p, n in repo.export_reviews(session, user.id)
        ],
        notes=[
            ExportNote(question=f"{p}/{n}", body=note.body, updated_at=note.updated_at)
            for note, p, n in repo.export_notes(session, user.id)
        ],
        bookmarks=[
            ExportBookmark(question=f"{p}/{n}", created_at=b.created_at)
            for b, p, n in repo.export_bookmarks(session, user.id)
        ],
        answers=[
            ExportAnswer(
                question=f"{p}/{n}", body_markdown=a.body_markdown, updated_at=a.updated_at
            )
            for a, p, n in repo.export_answers(session, user.id)
        ],
        sessions=sessions,
        settings=_export_settings(session, user.id),
    )


def _export_settings(session: Session, user_id: int) -> ExportSettings | None:
    stored = review_settings.stored_settings(session, user_id)
    if stored is None:
        return None
    settings, updated_at = stored
    weights = settings.fsrs_parameters
    return ExportSettings(
        desired_retention=settings.desired_retention,
        new_per_day=settings.new_per_day,
        reviews_per_day=settings.reviews_per_day,
        learning_steps=list(settings.learning_steps),
        relearning_steps=list(settings.relearning_steps),
        time_zone=settings.time_zone,
        mock_schedules=settings.mock_schedules,
        fsrs_parameters=list(weights) if weights is not None else None,
        updated_at=updated_at,
    )


def _import_settings(session: Session, user_id: int, row: ExportSettings | None) -> ImportCounts:
    """The exported settings, unless the user's own changed later."""
    if row is None:
        return ImportCounts()
    weights = row.fsrs_parameters
    settings = review_settings.ReviewSettings(
        desired_retention=row.desired_retention,
        new_per_day=row.new_per_day,
        reviews_per_day=row.reviews_per_day,
        learning_steps=tuple(row.learning_steps),
        relearning_steps=tuple(row.relearning_steps),
        time_zone=row.time_zone,
        mock_schedules=row.mock_schedules,
        fsrs_parameters=tuple(weights) if weights is not None else None,
    )
    outcome = review_settings.restore_settings(session, user_id, settings, row.updated_at)
    return ImportCounts(**{outcome: 1})


def _export_card(card: Card, ref: str) -> ExportCard:
    return ExportCard(
        question=ref,
        state=card.state,
        step=card.step,
        stability=card.stability,
        difficulty=card.difficulty,
        due=card.due,
        last_review=card.last_review,
        reps=card.reps,
        lapses=card.lapses,
        created_at=card.created_at,
    )


def _export_review(review: ReviewLog, ref: str, session_index: dict[int, int]) -> ExportReview:
    return ExportReview(
        question=ref,
        reviewed_at=review.reviewed_at,
        rating=review.rating,
        mode=review.mode,  # type: ignore[arg-type]  # the column only ever holds a Mode
        scheduled=review.scheduled,
        duration_ms=review.duration_ms,
        answer_text=review.answer_text,
        session=session_index.get(review.session_id) if review.session_id else None,
        card_before=review.card_before,
        state=review.state,
        stability=review.stability,
        difficulty=review.difficulty,
        due=review.due,
        elapsed_days=review.elapsed_days,
    )


def _export_sessions(session: Session, user_id: int) -> tuple[list[ExportSession], dict[int, int]]:
    """The sessions with their items, and each session id's position in the list."""
    items: dict[int, list[ExportSessionItem]] = defaultdict(list)
    for item, pack, number in repo.export_session_items(session, user_id):
        items[item.session_id].append(
            ExportSessionItem(
                question=f"{pack}/{number}",
                position=item.position,
                revealed_at=item.revealed_at,
                graded_at=item.graded_at,
                rating=item.rating,
                answer_text=item.answer_text,
                due_at=item.due_at,
            )
        )
    out: list[ExportSession] = []
    index: dict[int, int] = {}
    for quiz, pack, chain_number in repo.export_sessions(session, user_id):
        index[quiz.id] = len(out)
        out.append(
            ExportSession(
                mode=quiz.mode,
                scope_kind=quiz.scope_kind,
                pack=pack,
                question=f"{pack}/{chain_number}" if chain_number is not None else None,
                created_at=quiz.created_at,
                finished_at=quiz.finished_at,
                time_limit_s=quiz.time_limit_s,
                deadline_at=quiz.deadline_at,
                items=items.get(quiz.id, []),
            )
        )
    return out, index


CSV_COLUMNS = ("reviewed_at", "question", "rating", "mode", "duration_ms", "answer_text")


def reviews_csv(session: Session, user: User) -> str:
    """The user's reviews as CSV, oldest first, with a header row."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    for review, pack, number in repo.export_reviews(session, user.id):
        writer.writerow(
            (
                review.reviewed_at.isoformat(),
                f"{pack}/{number}",
                review.rating,
                review.mode,
                "" if review.duration_ms is None else review.duration_ms,
                review.answer_text or "",
            )
        )
    return buffer.getvalue()


# --- import ----------------------------------------------------------------------------------


def parse_export(raw: bytes) -> ExportDocument:
    """The export document in raw, or a 413/422 that says what is wrong with it."""
    if len(raw) > MAX_IMPORT_BYTES:
        raise too_many_bytes(MAX_IMPORT_BYTES, len(raw))
    try:
        data = json.loads(raw)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise AppError(
            "not_json",
            en="The file is not JSON: {reason}",
            ko="JSON 파일이 아닙니다: {reason}",
            status=422,
            reason=str(exc),
        ) from exc
    if not isinstance(data, dict) or data.get("format") != EXPORT_FORMAT:
        raise AppError(
            "not_an_export",
            en="Not a Mogi export: 'format' must be '{format}'.",
            ko="Mogi 내보내기 파일이 아닙니다: 'format'이 '{format}'이어야 합니다.",
            status=422,
            format=EXPORT_FORMAT,
        )
    if data.get("version") != EXPORT_VERSION:
        raise AppError(
            "unsupported_version",
            en="Export version {found} is not supported; this Mogi reads version {version}.",
            ko="내보내기 버전 {found}은(는) 지원하지 않습니다. "
            "이 Mogi는 버전 {version}을 읽습니다.",
            status=422,
            found=repr(data.get("version")),
            version=EXPORT_VERSION,
        )
    try:
        return ExportDocument.model_validate(data)
    except ValidationError as exc:
        errors = [
            {"loc": [str(p) for p in e["loc"]], "msg": e["msg"], "type": e["type"]}
            for e in exc.errors()[:50]
        ]
        first = errors[0]
        raise AppError(
            "invalid_export",
            en="Invalid export: {where}: {msg}",
            ko="내보내기 파일이 올바르지 않습니다: {where}: {msg}",
            status=422,
            extra={"errors": errors},
            where=".".join(first["loc"]),
            msg=first["msg"],
        ) from exc


def too_large(size: int | None = None) -> AppError:
    """The 413 of an export past MAX_IMPORT_BYTES, stating the limit the import form states."""
    return too_many_bytes(MAX_IMPORT_BYTES, size)


def _referenced(doc: ExportDocument) -> tuple[set[str], set[str]]:
    """Every question ref and pack slug the document names."""
    refs: set[str] = set()
    for rows in (doc.cards, doc.reviews, doc.notes, doc.bookmarks, doc.answers):
        refs.update(row.question for row in rows)
    for quiz in doc.sessions:
        refs.update(item.question for item in quiz.items)
        if quiz.question:
            refs.add(quiz.question)
    packs = {ref.partition("/")[0] for ref in refs} | {quiz.pack for quiz in doc.sessions}
    return refs, packs


def _check_session_refs(doc: ExportDocument) -> None:
    for i, review in enumerate(doc.reviews):
        if review.session is not None and review.session >= len(doc.sessions):
            raise AppError(
                "invalid_export",
                en="Invalid export: reviews.{i}.session: no session {session} "
                "(the export has {count}).",
                ko="내보내기 파일이 올바르지 않습니다: reviews.{i}.session: 세션 {session}이(가) "
                "없습니다 (파일에는 {count}개).",
                status=422,
                i=i,
                session=review.session,
                count=len(doc.sessions),
            )


@dataclass
class _Resolved:
    questions: dict[str, int]
    packs: dict[str, int]
    skipped: list[str]


def _resolve(session: Session, doc: ExportDocument, skip_unknown: bool) -> _Resolved:
    """Map refs to this instance's ids; refuse (or, if asked, list) those it lacks."""
    refs, slugs = _referenced(doc)
    questions = lookups.question_ids(session, slugs)
    packs = lookups.pack_ids(session, slugs)
    missing = sorted(refs - questions.keys())
    missing_packs = sorted(slugs - packs.keys())
    if (missing or missing_packs) and not skip_unknown:
        raise AppError(
            "unknown_questions",
            en="{n} question(s) of the export are not on this instance (first: {first}). "
            "Import their packs first, or import with skip_unknown=true to leave them out. "
            "Nothing was imported.",
            ko="내보내기의 질문 {n}개가 이 서버에 없습니다 (첫 번째: {first}). 그 묶음을 먼저 "
            "가져오거나, 없는 질문을 빼고 가져오세요. 아무것도 가져오지 않았습니다.",
            status=422,
            n=len(missing),
            first=(missing or missing_packs)[0],
            title="Unknown questions",
            extra={"unknown_questions": missing, "unknown_packs": missing_packs},
        )
    return _Resolved(questions, packs, missing)


def import_export(
    session: Session, user: User, doc: ExportDocument, *, skip_unknown: bool = False
) -> ImportResult:
    """Merge an export into the user's data; the caller's transaction makes it all or nothing.

    Reviews already present (same question, time and grade) are not added again, so importing
    the same file twice changes nothing; a card takes the imported state when it was reviewed
    more recently; notes and own answers keep the newer text.
    """
    _check_session_refs(doc)
    resolved = _resolve(session, doc, skip_unknown)
    cards = _import_cards(session, user.id, doc.cards, resolved)
    session_ids, sessions = _import_sessions(session, user.id, doc.sessions, resolved)
    reviews = _import_reviews(session, user.id, doc.reviews, resolved, session_ids)
    return ImportResult(
        cards=cards,
        reviews=reviews,
        notes=_import_notes(session, user.id, doc.notes, resolved),
        bookmarks=_import_bookmarks(session, user.id, doc.bookmarks, resolved),
        answers=_import_answers(session, user.id, doc.answers, resolved),
        sessions=sessions,
        settings=_import_settings(session, user.id, doc.settings),
        skipped_questions=resolved.skipped,
    )


def _newer(imported: datetime | None, current: datetime | None) -> bool:
    if imported is None:
        return False
    return current is None or imported > current


_CARD_FIELDS = ("state", "step", "stability", "difficulty", "due", "last_review", "reps", "lapses")


def _import_cards(
    session: Session, user_id: int, rows: list[ExportCard], resolved: _Resolved
) -> ImportCounts:
    def apply(row: ExportCard, card: Card) -> None:
        for field in _CARD_FIELDS:
            value = getattr(row, field)
            setattr(card, field, value if isinstance(value, datetime) else value)

    return _merge_by_question(
        session,
        rows,
        resolved,
        existing=repo.user_cards(session, user_id),
        make=lambda row, q: Card(user_id=user_id, question_id=q, created_at=row.created_at),
        is_newer=lambda row, card: _newer(row.last_review, card.last_review),
        apply=apply,
    )


def _session_key(created_at: datetime, mode: str, scope_kind: str) -> tuple[str, str, str]:
    return (_instant(created_at), mode, scope_kind)


def _instant(value: datetime) -> str:
    """A datetime as a comparable UTC string to the microsecond (both backends keep them)."""
    return value.astimezone(UTC).isoformat(timespec="microseconds")


def _import_sessions(
    session: Session, user_id: int, rows: list[ExportSession], resolved: _Resolved
) -> tuple[dict[int, int], ImportCounts]:
    """Sessions not yet present, with their items; returns export index -> session id."""
    counts = ImportCounts()
    known = {
        _session_key(q.created_at, q.mode, q.scope_kind): q.id
        for q in repo.user_sessions(session, user_id)
    }
    added: list[tuple[int, QuizSession, ExportSession]] = []
    index: dict[int, int] = {}
    for i, row in enumerate(rows):
        pack_id = resolved.packs.get(row.pack)
        if pack_id is None:
            continue
        key = _session_key(row.created_at, row.mode, row.scope_kind)
        if key in known:
            index[i] = known[key]
            counts.unchanged += 1
            continue
        quiz = QuizSession(
            user_id=user_id,
            mode=row.mode,
            scope_kind=row.scope_kind,
            pack_id=pack_id,
            question_id=resolved.questions.get(row.question) if row.question else None,
            created_at=row.created_at,
            finished_at=row.finished_at,
            time_limit_s=row.time_limit_s,
            deadline_at=row.deadline_at,
        )
        added.append((i, quiz, row))
        counts.added += 1
    repo.add_all(session, [quiz for _, quiz, _ in added])
    items = []
    for i, quiz, row in added:
        index[i] = quiz.id
        items.extend(_session_items(quiz.id, row.items, resolved))
    repo.add_all(session, items)
    return index, counts


def _session_items(
    session_id: int, rows: list[ExportSessionItem], resolved: _Resolved
) -> list[QuizSessionItem]:
    out = []
    for row in rows:
        question_id = resolved.questions.get(row.question)
        if question_id is not None:
            out.append(
                QuizSessionItem(
                    session_id=session_id,
                    question_id=question_id,
                    position=row.position,
                    revealed_at=row.revealed_at,
                    graded_at=row.graded_at,
                    rating=row.rating,
                    answer_text=row.answer_text,
                    due_at=row.due_at,
                )
            )
    return out


def _import_reviews(
    session: Session,
    user_id: int,
    rows: list[ExportReview],
    resolved: _Resolved,
    session_ids: dict[int, int],
) -> ImportCounts:
    counts = ImportCounts()
    seen = {
        (question_id, _instant(at), rating)
        for question_id, at, rating in repo.user_review_keys(session, user_id)
    }
    card_ids = {q: card.id for q, card in repo.user_cards(session, user_id).items()}
    new = []
    for row in rows:
        question_id = resolved.questions.get(row.question)
        if question_id is None:
            continue
        key = (question_id, _instant(row.reviewed_at), row.rating)
        if key in seen:
            counts.unchanged += 1
            continue
        seen.add(key)
        new.append(_review_row(user_id, question_id, row, card_ids, session_ids))
        counts.added += 1
    repo.insert_reviews(session, new)
    return counts


def _review_row(
    user_id: int,
    question_id: int,
    row: ExportReview,
    card_ids: dict[int, int],
    session_ids: dict[int, int],
) -> dict[str, Any]:
    return {
        "user_id": user_id,
        "question_id": question_id,
        "card_id": card_ids.get(question_id),
        "rating": row.rating,
        "reviewed_at": row.reviewed_at,
        "duration_ms": row.duration_ms,
        "answer_text": row.answer_text,
        "session_id": session_ids.get(row.session) if row.session is not None else None,
        "mode": row.mode,
        "scheduled": row.scheduled,
        "card_before": row.card_before,
        "state": row.state,
        "stability": row.stability,
        "difficulty": row.difficulty,
        "due": row.due,
        "elapsed_days": row.elapsed_days,
    }


def _import_notes(
    session: Session, user_id: int, rows: list[ExportNote], resolved: _Resolved
) -> ImportCounts:
    def apply(row: ExportNote, note: Note) -> None:
        note.body, note.updated_at = row.body, row.updated_at

    return _merge_by_question(
        session,
        rows,
        resolved,
        existing=repo.user_rows(session, Note, user_id),
        make=lambda row, q: Note(user_id=user_id, question_id=q),
        is_newer=lambda row, note: (
            _newer(row.updated_at, note.updated_at) and note.body != row.body
        ),
        apply=apply,
    )


def _import_bookmarks(
    session: Session, user_id: int, rows: list[ExportBookmark], resolved: _Resolved
) -> ImportCounts:
    return _merge_by_question(
        session,
        rows,
        resolved,
        existing=repo.user_rows(session, Bookmark, user_id),
        make=lambda row, q: Bookmark(user_id=user_id, question_id=q, created_at=row.created_at),
        is_newer=lambda row, bookmark: False,  # a bookmark is there or not
        apply=lambda row, bookmark: None,
    )


def _import_answers(
    session: Session, user_id: int, rows: list[ExportAnswer], resolved: _Resolved
) -> ImportCounts:
    def apply(row: ExportAnswer, answer: UserAnswer) -> None:
        # The HTML is made here from the Markdown: an export never supplies markup we serve.
        answer.body_markdown = row.body_markdown
        pack = row.question.partition("/")[0]
        answer.body_html = render_own_answer(pack, row.body_markdown)
        answer.updated_at = row.updated_at

    return _merge_by_question(
        session,
        rows,
        resolved,
        existing=repo.user_rows(session, UserAnswer, user_id),
        make=lambda row, q: UserAnswer(user_id=user_id, question_id=q),
        is_newer=lambda row, answer: (
            _newer(row.updated_at, answer.updated_at) and answer.body_markdown != row.body_markdown
        ),
        apply=apply,
    )


class _QuestionRow(Protocol):
    question: str


R = TypeVar("R", bound=_QuestionRow)
M = TypeVar("M")


def _merge_by_question(
    session: Session,
    rows: Sequence[R],
    resolved: _Resolved,
    *,
    existing: dict[int, M],
    make: Callable[[R, int], M],
    is_newer: Callable[[R, M], bool],
    apply: Callable[[R, M], None],
) -> ImportCounts:
    """Merge one kind of per-question row (card, note, bookmark, own answer) into the user's:
    a question without one gets a new one, one whose imported version is newer is updated,
    the rest stay as they are. Rows of questions this instance lacks were resolved away."""
    counts = ImportCounts()
    new: list[M] = []
    for row in rows:
        question_id = resolved.questions.get(row.question)
        if question_id is None:
            continue
        current = existing.get(question_id)
        if current is None:
            current = existing[question_id] = make(row, question_id)
            new.append(current)
            counts.added += 1
        elif is_newer(row, current):
            counts.updated += 1
        else:
            counts.unchanged += 1
            continue
        apply(row, current)
    repo.add_all(session, new)
    return counts

"""Progress numbers from review rows, and a user's data as a portable export and back."""

from __future__ import annotations

import csv
import io
import json
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from pydantic import ValidationError
from sqlalchemy.orm import Session

from app.auth.models import User
from app.content.render import RenderContext, render_answer
from app.db import utcnow
from app.errors import AppError, NotFound
from app.practice import fsrs_adapter
from app.practice.fsrs_adapter import as_utc
from app.practice.models import (
    Bookmark,
    Card,
    Note,
    QuizSession,
    QuizSessionItem,
    ReviewLog,
    UserAnswer,
)
from app.progress import repository as repo
from app.progress.schemas import (
    EXPORT_FORMAT,
    EXPORT_VERSION,
    DayCount,
    DueCounts,
    ExportAnswer,
    ExportBookmark,
    ExportCard,
    ExportDocument,
    ExportNote,
    ExportReview,
    ExportSession,
    ExportSessionItem,
    ExportUser,
    ImportCounts,
    ImportResult,
    PackMastery,
    ProgressRead,
    QuestionHistoryRead,
    QuestionMastery,
    Retention,
    ReviewHistoryItem,
    Streak,
    Totals,
    WeekRetention,
)

HEATMAP_DAYS = 365
RETENTION_WEEKS = 26
WEAKEST_COUNT = 10
MAX_IMPORT_BYTES = 16 * 1024 * 1024
"""Largest export accepted by an import (about 50,000 reviews with typed answers)."""


# --- local days ------------------------------------------------------------------------------


def local_today(now: datetime, offset_minutes: int) -> date:
    """The calendar date at now in a zone offset_minutes east of UTC."""
    return (as_utc(now) + timedelta(minutes=offset_minutes)).date()


def end_of_local_day(now: datetime, offset_minutes: int) -> datetime:
    """The UTC instant the local day of now ends."""
    tomorrow = local_today(now, offset_minutes) + timedelta(days=1)
    return datetime(tomorrow.year, tomorrow.month, tomorrow.day, tzinfo=UTC) - timedelta(
        minutes=offset_minutes
    )


def compute_streak(days: Iterable[date], today: date) -> Streak:
    """Current and longest runs of consecutive days in days.

    A streak still counts until today is over: with nothing done yet today, it runs to
    yesterday, as in Anki and Duolingo.
    """
    day_set = set(days)
    reviewed_today = today in day_set
    current = 0
    cursor = today if reviewed_today else today - timedelta(days=1)
    while cursor in day_set:
        current += 1
        cursor -= timedelta(days=1)
    longest = run = 0
    previous: date | None = None
    for day in sorted(day_set):
        run = run + 1 if previous is not None and day - previous == timedelta(days=1) else 1
        longest = max(longest, run)
        previous = day
    return Streak(current=current, longest=longest, reviewed_today=reviewed_today)


def _as_date(value: Any) -> date:
    return value if isinstance(value, date) else date.fromisoformat(str(value))


# --- progress --------------------------------------------------------------------------------


@dataclass
class _Scope:
    user_id: int
    pack: str | None
    offset: int
    now: datetime


def get_progress(
    session: Session,
    user: User,
    *,
    pack: str | None = None,
    tz_offset_minutes: int = 0,
    now: datetime | None = None,
) -> ProgressRead:
    """Everything the progress page shows, for one user (and one pack if asked)."""
    if pack is not None and repo.find_pack(session, pack) is None:
        raise NotFound(f"No pack '{pack}'.")
    scope = _Scope(user.id, pack, tz_offset_minutes, as_utc(now or utcnow()))
    questions = _question_mastery(session, scope)
    pack_rows = repo.count_questions_by_pack(session, pack)
    return ProgressRead(
        generated_at=scope.now,
        tz_offset_minutes=scope.offset,
        pack=pack,
        totals=Totals(
            questions=sum(int(row.questions) for row in pack_rows),
            seen=len(questions),
            reviews=repo.review_total(session, user.id, pack),
        ),
        due=_due_counts(session, scope),
        **_activity(session, scope),
        retention=_retention(session, scope),
        packs=_pack_mastery(pack_rows, questions),
        questions=questions,
        weakest=weakest(questions),
    )


def _due_counts(session: Session, scope: _Scope) -> DueCounts:
    row = repo.due_counts(
        session,
        scope.user_id,
        scope.pack,
        scope.now,
        end_of_local_day(scope.now, scope.offset),
        scope.now + timedelta(days=7),
    )
    return DueCounts(now=int(row.now), today=int(row.today), week=int(row.week))


def _activity(session: Session, scope: _Scope) -> dict[str, Any]:
    """Reviews per day for the heatmap, and the streak of days with a scheduled grade."""
    rows = repo.reviews_per_day(session, scope.user_id, scope.pack, scope.offset)
    per_day = {_as_date(row.day): int(row.reviews) for row in rows}
    today = local_today(scope.now, scope.offset)
    first = today - timedelta(days=HEATMAP_DAYS - 1)
    heatmap = [
        DayCount(date=first + timedelta(days=i), reviews=per_day.get(first + timedelta(days=i), 0))
        for i in range(HEATMAP_DAYS)
    ]
    scheduled_days = [_as_date(row.day) for row in rows if int(row.sched or 0) > 0]
    return {"reviews_per_day": heatmap, "streak": compute_streak(scheduled_days, today)}


def _ratio(passed: int, total: int) -> float | None:
    return passed / total if total else None


def _retention(session: Session, scope: _Scope) -> Retention:
    rows = repo.retention_per_day(session, scope.user_id, scope.pack, scope.offset)
    today = local_today(scope.now, scope.offset)
    month_start = today - timedelta(days=29)
    this_week = today - timedelta(days=today.weekday())
    first_week = this_week - timedelta(weeks=RETENTION_WEEKS - 1)
    weeks: dict[date, list[int]] = {first_week + timedelta(weeks=i): [0, 0] for i in range(26)}
    total = passed = month_total = month_passed = 0
    for row in rows:
        day, n, ok = _as_date(row.day), int(row.reviews), int(row.passed or 0)
        total, passed = total + n, passed + ok
        if day >= month_start:
            month_total, month_passed = month_total + n, month_passed + ok
        week = day - timedelta(days=day.weekday())
        if week in weeks:
            weeks[week][0] += n
            weeks[week][1] += ok
    return Retention(
        last_30_days=_ratio(month_passed, month_total),
        last_30_days_reviews=month_total,
        all_time=_ratio(passed, total),
        all_time_reviews=total,
        weekly=[
            WeekRetention(week_start=week, reviews=n, retention=_ratio(ok, n))
            for week, (n, ok) in sorted(weeks.items())
        ],
    )


def _mastery(row: Any, now: datetime, sched: Any) -> QuestionMastery:
    return QuestionMastery(
        question=f"{row.pack}/{row.number}",
        pack=row.pack,
        number=row.number,
        title=row.title,
        state=row.state,
        retrievability=fsrs_adapter.retrievability(row, now, sched),
        stability=row.stability,
        difficulty=row.difficulty,
        due=as_utc(row.due),
        last_review=as_utc(row.last_review) if row.last_review else None,
        last_rating=row.last_rating,
        reps=row.reps,
        lapses=row.lapses,
    )


def _question_mastery(session: Session, scope: _Scope) -> list[QuestionMastery]:
    sched = fsrs_adapter.scheduler(enable_fuzzing=False)
    rows = repo.card_rows(session, scope.user_id, scope.pack)
    return [_mastery(row, scope.now, sched) for row in rows]


def _pack_mastery(
    pack_rows: Sequence[Any], questions: Sequence[QuestionMastery]
) -> list[PackMastery]:
    recall: dict[str, float] = defaultdict(float)
    states: dict[str, dict[int, int]] = defaultdict(lambda: defaultdict(int))
    for q in questions:
        recall[q.pack] += q.retrievability
        states[q.pack][q.state] += 1
    out = []
    for row in pack_rows:
        count, by_state = int(row.questions), states[row.pack]
        out.append(
            PackMastery(
                pack=row.pack,
                title=row.title,
                questions=count,
                mastery=recall[row.pack] / count if count else 0.0,
                new=max(count - sum(by_state.values()), 0),
                learning=by_state[1],
                review=by_state[2],
                relearning=by_state[3],
            )
        )
    return out


def weakest(
    questions: Sequence[QuestionMastery], limit: int = WEAKEST_COUNT
) -> list[QuestionMastery]:
    """The seen questions least likely to be recalled now; more lapses first among equals."""
    ranked = sorted(questions, key=lambda q: (round(q.retrievability, 2), -q.lapses, q.due))
    return ranked[:limit]


def get_question_history(
    session: Session, user: User, pack: str, number: str, now: datetime | None = None
) -> QuestionHistoryRead:
    """Every grade the user gave one question, with the card it stands at now."""
    question = repo.find_question(session, pack, number)
    if question is None:
        raise NotFound(f"No question '{pack}/{number}'.")
    card = repo.get_card(session, user.id, question.id)
    reviews = repo.question_reviews(session, user.id, question.id)
    mastery = None
    if card is not None:
        last = reviews[-1].rating if reviews else None
        row = _CardView(card, question.pack, question.number, question.title, last)
        mastery = _mastery(row, as_utc(now or utcnow()), fsrs_adapter.scheduler(False))
    return QuestionHistoryRead(
        question=f"{question.pack}/{question.number}",
        pack=question.pack,
        number=question.number,
        title=question.title,
        card=mastery,
        reviews=[_history_item(review) for review in reviews],
    )


class _CardView:
    """A card row with its question's ref, shaped like a repo.card_rows row."""

    def __init__(self, card: Card, pack: str, number: str, title: str, last: int | None) -> None:
        self.id, self.state, self.step = card.id, card.state, card.step
        self.stability, self.difficulty = card.stability, card.difficulty
        self.due, self.last_review = card.due, card.last_review
        self.reps, self.lapses = card.reps, card.lapses
        self.pack, self.number, self.title, self.last_rating = pack, number, title, last


def _history_item(review: ReviewLog) -> ReviewHistoryItem:
    reviewed_at = as_utc(review.reviewed_at)
    interval = None
    if review.scheduled and review.due is not None:
        interval = (as_utc(review.due) - reviewed_at).total_seconds() / 86400
    return ReviewHistoryItem(
        reviewed_at=reviewed_at,
        rating=review.rating,
        mode=review.mode,
        scheduled=review.scheduled,
        interval_days=interval,
        state=review.state,
        stability=review.stability,
        difficulty=review.difficulty,
        duration_ms=review.duration_ms,
        answer_text=review.answer_text,
    )


# --- export ----------------------------------------------------------------------------------


def _utc(value: datetime | None) -> datetime | None:
    return as_utc(value) if value is not None else None


def build_export(session: Session, user: User, now: datetime | None = None) -> ExportDocument:
    """All of the user's data, with questions named 'pack/number' so another Mogi can read it."""
    sessions, session_index = _export_sessions(session, user.id)
    return ExportDocument(
        format="mogi-export",
        version=1,
        exported_at=as_utc(now or utcnow()),
        user=ExportUser(username=user.username),
        cards=[_export_card(c, f"{p}/{n}") for c, p, n in repo.export_cards(session, user.id)],
        reviews=[
            _export_review(r, f"{p}/{n}", session_index)
            for r, p, n in repo.export_reviews(session, user.id)
        ],
        notes=[
            ExportNote(question=f"{p}/{n}", body=note.body, updated_at=as_utc(note.updated_at))
            for note, p, n in repo.export_notes(session, user.id)
        ],
        bookmarks=[
            ExportBookmark(question=f"{p}/{n}", created_at=as_utc(b.created_at))
            for b, p, n in repo.export_bookmarks(session, user.id)
        ],
        answers=[
            ExportAnswer(
                question=f"{p}/{n}", body_markdown=a.body_markdown, updated_at=as_utc(a.updated_at)
            )
            for a, p, n in repo.export_answers(session, user.id)
        ],
        sessions=sessions,
    )


def _export_card(card: Card, ref: str) -> ExportCard:
    return ExportCard(
        question=ref,
        state=card.state,
        step=card.step,
        stability=card.stability,
        difficulty=card.difficulty,
        due=as_utc(card.due),
        last_review=_utc(card.last_review),
        reps=card.reps,
        lapses=card.lapses,
        created_at=as_utc(card.created_at),
    )


def _export_review(review: ReviewLog, ref: str, session_index: dict[int, int]) -> ExportReview:
    return ExportReview(
        question=ref,
        reviewed_at=as_utc(review.reviewed_at),
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
        due=_utc(review.due),
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
                revealed_at=_utc(item.revealed_at),
                graded_at=_utc(item.graded_at),
                rating=item.rating,
                answer_text=item.answer_text,
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
                created_at=as_utc(quiz.created_at),
                finished_at=_utc(quiz.finished_at),
                time_limit_s=quiz.time_limit_s,
                deadline_at=_utc(quiz.deadline_at),
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
                as_utc(review.reviewed_at).isoformat(),
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
        raise too_large()
    try:
        data = json.loads(raw)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise AppError(f"The file is not JSON: {exc}", 422) from exc
    if not isinstance(data, dict) or data.get("format") != EXPORT_FORMAT:
        raise AppError(f"Not a Mogi export: 'format' must be '{EXPORT_FORMAT}'.", 422)
    if data.get("version") != EXPORT_VERSION:
        raise AppError(
            f"Export version {data.get('version')!r} is not supported; "
            f"this Mogi reads version {EXPORT_VERSION}.",
            422,
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
            f"Invalid export: {'.'.join(first['loc'])}: {first['msg']}",
            422,
            extra={"errors": errors},
        ) from exc


def too_large() -> AppError:
    limit_mib = MAX_IMPORT_BYTES // (1024 * 1024)
    return AppError(f"The export is larger than the {limit_mib} MiB an import accepts.", 413)


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
                f"Invalid export: reviews.{i}.session: no session {review.session} "
                f"(the export has {len(doc.sessions)}).",
                422,
            )


@dataclass
class _Resolved:
    questions: dict[str, int]
    packs: dict[str, int]
    skipped: list[str]


def _resolve(session: Session, doc: ExportDocument, skip_unknown: bool) -> _Resolved:
    """Map refs to this instance's ids; refuse (or, if asked, list) those it lacks."""
    refs, slugs = _referenced(doc)
    rows = repo.questions_of_packs(session, slugs)
    questions = {f"{row.pack}/{row.number}": row.id for row in rows}
    packs = repo.packs_by_slug(session, slugs)
    missing = sorted(refs - questions.keys())
    missing_packs = sorted(slugs - packs.keys())
    if (missing or missing_packs) and not skip_unknown:
        raise AppError(
            f"{len(missing)} question(s) of the export are not on this instance "
            f"(first: {(missing or missing_packs)[0]}). Import their packs first, or import "
            "with skip_unknown=true to leave them out. Nothing was imported.",
            422,
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
        skipped_questions=resolved.skipped,
    )


def _newer(imported: datetime | None, current: datetime | None) -> bool:
    if imported is None:
        return False
    return current is None or as_utc(imported) > as_utc(current)


_CARD_FIELDS = ("state", "step", "stability", "difficulty", "due", "last_review", "reps", "lapses")


def _import_cards(
    session: Session, user_id: int, rows: list[ExportCard], resolved: _Resolved
) -> ImportCounts:
    counts = ImportCounts()
    existing = repo.user_cards(session, user_id)
    new: list[Card] = []
    for row in rows:
        question_id = resolved.questions.get(row.question)
        if question_id is None:
            continue
        card = existing.get(question_id)
        if card is None:
            card = Card(user_id=user_id, question_id=question_id, created_at=as_utc(row.created_at))
            existing[question_id] = card
            new.append(card)
            counts.added += 1
        elif _newer(row.last_review, card.last_review):
            counts.updated += 1
        else:
            counts.unchanged += 1
            continue
        for field in _CARD_FIELDS:
            value = getattr(row, field)
            setattr(card, field, as_utc(value) if isinstance(value, datetime) else value)
    repo.add_all(session, new)
    return counts


def _session_key(created_at: datetime, mode: str, scope_kind: str) -> tuple[str, str, str]:
    return (_instant(created_at), mode, scope_kind)


def _instant(value: datetime) -> str:
    """A datetime as a comparable UTC string to the microsecond (both backends keep them)."""
    return as_utc(value).isoformat(timespec="microseconds")


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
            created_at=as_utc(row.created_at),
            finished_at=_utc(row.finished_at),
            time_limit_s=row.time_limit_s,
            deadline_at=_utc(row.deadline_at),
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
                    revealed_at=_utc(row.revealed_at),
                    graded_at=_utc(row.graded_at),
                    rating=row.rating,
                    answer_text=row.answer_text,
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
        "reviewed_at": as_utc(row.reviewed_at),
        "duration_ms": row.duration_ms,
        "answer_text": row.answer_text,
        "session_id": session_ids.get(row.session) if row.session is not None else None,
        "mode": row.mode,
        "scheduled": row.scheduled,
        "card_before": row.card_before,
        "state": row.state,
        "stability": row.stability,
        "difficulty": row.difficulty,
        "due": _utc(row.due),
        "elapsed_days": row.elapsed_days,
    }


def _import_notes(
    session: Session, user_id: int, rows: list[ExportNote], resolved: _Resolved
) -> ImportCounts:
    counts = ImportCounts()
    existing = repo.user_rows(session, Note, user_id)
    new = []
    for row in rows:
        question_id = resolved.questions.get(row.question)
        if question_id is None:
            continue
        note = existing.get(question_id)
        if note is None:
            note = Note(user_id=user_id, question_id=question_id, body=row.body)
            note.updated_at = as_utc(row.updated_at)
            existing[question_id] = note
            new.append(note)
            counts.added += 1
        elif _newer(row.updated_at, note.updated_at) and note.body != row.body:
            note.body, note.updated_at = row.body, as_utc(row.updated_at)
            counts.updated += 1
        else:
            counts.unchanged += 1
    repo.add_all(session, new)
    return counts


def _import_bookmarks(
    session: Session, user_id: int, rows: list[ExportBookmark], resolved: _Resolved
) -> ImportCounts:
    counts = ImportCounts()
    existing = repo.user_rows(session, Bookmark, user_id)
    new = []
    for row in rows:
        question_id = resolved.questions.get(row.question)
        if question_id is None:
            continue
        if question_id in existing:
            counts.unchanged += 1
            continue
        bookmark = Bookmark(
            user_id=user_id, question_id=question_id, created_at=as_utc(row.created_at)
        )
        existing[question_id] = bookmark
        new.append(bookmark)
        counts.added += 1
    repo.add_all(session, new)
    return counts


def _import_answers(
    session: Session, user_id: int, rows: list[ExportAnswer], resolved: _Resolved
) -> ImportCounts:
    counts = ImportCounts()
    existing = repo.user_rows(session, UserAnswer, user_id)
    new = []
    for row in rows:
        question_id = resolved.questions.get(row.question)
        if question_id is None:
            continue
        answer = existing.get(question_id)
        if answer is None:
            answer = UserAnswer(user_id=user_id, question_id=question_id)
            existing[question_id] = answer
            new.append(answer)
            counts.added += 1
        elif (
            _newer(row.updated_at, answer.updated_at) and answer.body_markdown != row.body_markdown
        ):
            counts.updated += 1
        else:
            counts.unchanged += 1
            continue
        # The HTML is made here from the Markdown: an export never supplies markup we would serve.
        answer.body_markdown = row.body_markdown
        answer.body_html = render_own_answer(row.body_markdown, row.question.partition("/")[0])
        answer.updated_at = as_utc(row.updated_at)
    repo.add_all(session, new)
    return counts


def render_own_answer(markdown: str, pack: str) -> str:
    """A user's own answer as sanitised HTML, rendered like the pack's answers."""
    return render_answer(markdown, RenderContext(pack_slug=pack))

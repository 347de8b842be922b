"""What other features ask of content: a question named by 'pack/number' or by id, as one
QuestionRef, and the packs and chains practice draws from.

Practice, progress and demos come here (never to content's tables or its cache) so that a
question is resolved, and refused with a 404 that names it, in one way everywhere.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from sqlalchemy.orm import Session

from app.content import repository
from app.content.models import Pack, Question
from app.content.service import PackSnapshot, QuestionData, cache, question_url
from app.errors import AppError, NotFound


@dataclass(frozen=True)
class QuestionRef:
    """A question as other features name and show it."""

    id: int
    pack: str
    number: str
    title: str
    has_answer: bool
    retired: bool = False

    @property
    def public_id(self) -> str:
        return f"{self.pack}/{self.number}"

    @property
    def url(self) -> str:
        return question_url(self.pack, self.number)


def ref_of(question: Question) -> QuestionRef:
    """The ref of a Question row whose pack is loaded."""
    return QuestionRef(
        id=question.id,
        pack=question.pack.slug,
        number=question.number,
        title=question.title,
        has_answer=question.has_answer,
        retired=question.retired,
    )


def snapshot_ref(snap: PackSnapshot, q: QuestionData) -> QuestionRef:
    """The ref of a question in a pack snapshot (no I/O)."""
    return QuestionRef(q.id, snap.pack.slug, q.number, q.title, q.has_answer, q.retired)


def parse_question_id(public_id: str) -> tuple[str, str]:
    """'pack/number' -> (pack, number); a 422 for anything else."""
    pack, _, number = public_id.rpartition("/")
    if not pack or not number:
        raise AppError(
            "bad_question_id",
            en="Question ids look like 'pack/number', not '{id}'.",
            ko="질문 id는 '묶음/번호' 형식입니다: '{id}'은(는) 아닙니다.",
            status=422,
            id=public_id,
        )
    return pack, number


def find_pack(session: Session, slug: str) -> Pack:
    pack = repository.get_pack(session, slug)
    if pack is None:
        raise NotFound("No pack '{slug}'.", "'{slug}' 묶음이 없습니다.", slug=slug)
    return pack


def find_question(session: Session, slug: str, number: str) -> QuestionRef:
    """The question slug/number, or a 404 naming it."""
    return ref_of(find_question_row(session, slug, number))


def find_question_row(session: Session, slug: str, number: str) -> Question:
    """The Question row (its pack loaded) of slug/number, or a 404 naming it."""
    question = repository.question_with_pack(session, slug, number)
    if question is None:
        if repository.get_pack(session, slug) is None:
            raise NotFound("No pack '{slug}'.", "'{slug}' 묶음이 없습니다.", slug=slug)
        raise NotFound("No question '{id}'.", "질문 '{id}'이(가) 없습니다.", id=f"{slug}/{number}")
    return question


def refs_by_id(session: Session, ids: Iterable[int]) -> dict[int, QuestionRef]:
    return {q.id: ref_of(q) for q in repository.questions_with_pack(session, ids)}


def all_packs(session: Session) -> Sequence[Pack]:
    return repository.all_packs(session)


def live_questions(session: Session, pack: Pack) -> Sequence[Question]:
    """A pack's live questions in reading order."""
    return repository.live_questions(session, pack.id)


def chain(session: Session, main_id: int) -> Sequence[Question]:
    """A main question, then its live follow-ups in order."""
    return repository.chain_questions(session, main_id)


def chain_of(session: Session, question_id: int) -> Sequence[Question]:
    """The chain a question belongs to (its main question, then the live follow-ups)."""
    question = session.get(Question, question_id)
    if question is None:
        return []
    return repository.chain_questions(session, question.parent_id or question.id)


def question_ids(session: Session, slugs: Iterable[str]) -> dict[str, int]:
    """'pack/number' -> id of every question (retired ones too) of the packs named."""
    return repository.question_ids_of_packs(session, slugs)


def pack_ids(session: Session, slugs: Iterable[str]) -> dict[str, int]:
    return repository.pack_ids(session, slugs)


def question_title(session: Session, public_id: str) -> str:
    """The title of 'pack/number' from the in-memory snapshot; "" for an unknown question."""
    slug, _, number = public_id.partition("/")
    snap = cache.snapshot(session, slug)
    question = snap.by_number.get(number) if snap is not None else None
    return question.title if question is not None else ""

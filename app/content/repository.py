"""All SQL of the content feature."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import Select, and_, case, func, select
from sqlalchemy.orm import Session, selectinload

from app.content.models import Pack, Question


def get_pack(session: Session, slug: str) -> Pack | None:
    return session.scalar(select(Pack).where(Pack.slug == slug))


def pack_hashes(session: Session) -> dict[str, str]:
    """slug -> content hash of every pack: one small query that tells a cache it is stale."""
    return {slug: h for slug, h in session.execute(select(Pack.slug, Pack.content_hash))}


def packs_with_counts(session: Session) -> list[tuple[Pack, int, int]]:
    """Every pack with its number of live questions and of answered ones."""
    live = and_(Question.pack_id == Pack.id, Question.retired.is_(False))
    stmt = (
        select(
            Pack,
            func.count(Question.id),
            func.count(case((Question.has_answer.is_(True), Question.id))),
        )
        .outerjoin(Question, live)
        .group_by(Pack.id)
        .order_by(Pack.slug)
    )
    return [(pack, int(total), int(answered)) for pack, total, answered in session.execute(stmt)]


def questions_of_pack(
    session: Session, pack_id: int, *, with_references: bool = False
) -> Sequence[Question]:
    """Every question of a pack (retired ones too), in pack order."""
    stmt = select(Question).where(Question.pack_id == pack_id).order_by(Question.position)
    if with_references:
        stmt = stmt.options(selectinload(Question.references))
    return session.scalars(stmt).all()


def get_question(session: Session, pack_id: int, number: str) -> Question | None:
    stmt = (
        select(Question)
        .where(Question.pack_id == pack_id, Question.number == number)
        .options(selectinload(Question.references))
    )
    return session.scalar(stmt)


def _escape_like(term: str) -> str:
    return term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _filtered(stmt: Select, pack_id: int | None, terms: Sequence[str]) -> Select:  # type: ignore[type-arg]
    stmt = stmt.where(Question.retired.is_(False))
    if pack_id is not None:
        stmt = stmt.where(Question.pack_id == pack_id)
    for term in terms:
        stmt = stmt.where(Question.search_text.like(f"%{_escape_like(term)}%", escape="\\"))
    return stmt


def search_questions(
    session: Session, pack_id: int | None, terms: Sequence[str], limit: int, offset: int
) -> tuple[list[tuple[Question, str]], int]:
    """Live questions matching every term (lower-cased substrings), title hits first."""
    total = session.scalar(_filtered(select(func.count(Question.id)), pack_id, terms)) or 0
    order = [Pack.slug, Question.position]
    if terms:
        title_hit = func.lower(Question.title).like(f"%{_escape_like(terms[0])}%", escape="\\")
        order.insert(0, case((title_hit, 0), else_=1))  # type: ignore[arg-type]
    stmt = _filtered(
        select(Question, Pack.slug).join(Pack, Pack.id == Question.pack_id), pack_id, terms
    )
    rows = session.execute(stmt.order_by(*order).limit(limit).offset(offset)).all()
    return [(q, slug) for q, slug in rows], int(total)

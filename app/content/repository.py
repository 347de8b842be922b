"""All SQL of the content feature."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session, contains_eager, selectinload

from app.content.models import Pack, PackAsset, Question, QuestionAlias


def get_pack(session: Session, slug: str) -> Pack | None:
    return session.scalar(select(Pack).where(Pack.slug == slug))


def pack_hashes(session: Session) -> dict[str, str]:
    """slug -> content hash of every pack: one small query that tells a cache it is stale."""
    return {slug: h for slug, h in session.execute(select(Pack.slug, Pack.content_hash))}


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


def pack_paths(session: Session) -> dict[str, str]:
    """Repository path -> slug of every imported pack (its path and the ones it had before)."""
    found: dict[str, str] = {}
    for slug, path, aliases in session.execute(
        select(Pack.slug, Pack.source_path, Pack.source_aliases)
    ):
        for repo_path in (path, *(aliases or [])):
            if repo_path:
                found.setdefault(repo_path, slug)
    return found


def assets_of_pack(session: Session, pack_id: int) -> Sequence[PackAsset]:
    return session.scalars(select(PackAsset).where(PackAsset.pack_id == pack_id)).all()


def get_asset(session: Session, slug: str, path: str) -> PackAsset | None:
    stmt = (
        select(PackAsset)
        .join(Pack, Pack.id == PackAsset.pack_id)
        .where(Pack.slug == slug, PackAsset.path == path)
    )
    return session.scalar(stmt)


def aliases_of_pack(session: Session, pack_id: int) -> Sequence[QuestionAlias]:
    return session.scalars(select(QuestionAlias).where(QuestionAlias.pack_id == pack_id)).all()


def alias_target(session: Session, slug: str, number: str) -> str | None:
    """The current number of the question that slug/number named before a renumbering."""
    stmt = (
        select(Question.number)
        .join(QuestionAlias, QuestionAlias.question_id == Question.id)
        .join(Pack, Pack.id == QuestionAlias.pack_id)
        .where(Pack.slug == slug, QuestionAlias.number == number)
    )
    return session.scalar(stmt)


def search_documents(session: Session) -> list[tuple[str, str, str, str, str]]:
    """(pack slug, number, title, title terms, body terms) of every live question."""
    stmt = (
        select(
            Pack.slug, Question.number, Question.title, Question.title_terms, Question.body_terms
        )
        .join(Pack, Pack.id == Question.pack_id)
        .where(Question.retired.is_(False))
        .order_by(Pack.position, Pack.slug, Question.position)
    )
    return [tuple(row) for row in session.execute(stmt)]  # type: ignore[misc]


def glossaries(session: Session) -> list[list[list[str]]]:
    return [g or [] for g in session.scalars(select(Pack.glossary))]


# --- lookups other features make (through app.content.lookups) ---------------------------------


def all_packs(session: Session) -> Sequence[Pack]:
    return session.scalars(select(Pack).order_by(Pack.slug)).all()


def question_with_pack(session: Session, slug: str, number: str) -> Question | None:
    """The question slug/number with its pack loaded."""
    stmt = (
        select(Question)
        .join(Pack, Pack.id == Question.pack_id)
        .where(Pack.slug == slug, Question.number == number)
        .options(contains_eager(Question.pack))
    )
    return session.scalar(stmt)


def questions_with_pack(session: Session, ids: Iterable[int]) -> Sequence[Question]:
    """The questions of ids with their packs loaded."""
    wanted = list(ids)
    if not wanted:
        return []
    stmt = (
        select(Question)
        .join(Pack, Pack.id == Question.pack_id)
        .where(Question.id.in_(wanted))
        .options(contains_eager(Question.pack))
    )
    return session.scalars(stmt).all()


def live_questions(session: Session, pack_id: int) -> Sequence[Question]:
    """Live questions of a pack in reading order."""
    return session.scalars(
        select(Question)
        .where(Question.pack_id == pack_id, Question.retired.is_(False))
        .order_by(Question.position)
    ).all()


def chain_questions(session: Session, main_id: int) -> Sequence[Question]:
    """A main question, then its live follow-ups in order."""
    return session.scalars(
        select(Question)
        .where(
            (Question.id == main_id)
            | ((Question.parent_id == main_id) & Question.retired.is_(False))
        )
        .order_by(Question.parent_id.is_not(None), Question.position)
    ).all()


def question_ids_of_packs(session: Session, slugs: Iterable[str]) -> dict[str, int]:
    """'pack/number' -> id of every question, retired or not, in the packs named."""
    stmt = (
        select(Question.id, Pack.slug, Question.number)
        .join(Pack, Pack.id == Question.pack_id)
        .where(Pack.slug.in_(list(slugs)))
    )
    return {f"{slug}/{number}": qid for qid, slug, number in session.execute(stmt)}


def pack_ids(session: Session, slugs: Iterable[str]) -> dict[str, int]:
    rows = session.execute(select(Pack.slug, Pack.id).where(Pack.slug.in_(list(slugs)))).all()
    return {slug: pack_id for slug, pack_id in rows}

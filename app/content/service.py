"""Content logic: packs and questions as the API and the pages see them.

Packs change only when `mogi import` runs, so each process keeps a snapshot of every pack (and
the pages and JSON it renders from it) and checks the packs' content hashes at most once every
CACHE_TTL_S seconds: a re-import shows up within that time, and a request in between needs no
query at all.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TypeVar, cast

from sqlalchemy.orm import Session

from app.config import get_settings
from app.content import repository
from app.content.glossary import GLOSSARY_FILE, normalize, read_curated_glossary
from app.content.models import Pack, PackAsset, Question
from app.content.render import GITHUB, plain_text
from app.content.schemas import (
    PackRead,
    QuestionLink,
    QuestionList,
    QuestionRead,
    QuestionSummary,
    ReferenceRead,
    SourceRead,
)
from app.content.search import (
    MAX_QUERY_CHARS,
    Document,
    SearchIndex,
)
from app.content.search import snippet as search_snippet
from app.errors import AppError, NotFound

T = TypeVar("T")
CACHE_TTL_S = 1.0
SNIPPET_CHARS = 60


class Moved(AppError):
    """A question renumbered upstream: its old address answers with a permanent redirect."""

    def __init__(self, location: str, public_id: str) -> None:
        super().__init__(
            "moved",
            en="'{id}' is now at {location}.",
            ko="'{id}'은(는) 이제 {location}에 있습니다.",
            status=308,
            title="Moved",
            headers={"Location": location},
            id=public_id,
            location=location,
        )
        self.location = location


def question_url(pack: str, number: str) -> str:
    return f"/questions/{pack}/{number}"


@dataclass(frozen=True)
class QuestionData:
    """One question as loaded into a pack snapshot."""

    id: int
    number: str
    parent_number: str | None
    title: str
    has_answer: bool
    retired: bool
    answer_markdown: str
    answer_html: str
    references: tuple[ReferenceRead, ...]


@dataclass
class PackSnapshot:
    """A pack and all its questions, as of one content hash."""

    pack: PackRead
    content_hash: str
    questions: list[QuestionData]
    by_number: dict[str, QuestionData] = field(default_factory=dict)
    live: list[QuestionData] = field(default_factory=list)
    follow_ups: dict[str, list[QuestionData]] = field(default_factory=dict)
    # Rendered pages and JSON of this snapshot, keyed by the caller; they go with it.
    rendered: dict[tuple[str, ...], object] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.by_number = {q.number: q for q in self.questions}
        self.live = [q for q in self.questions if not q.retired]
        for q in self.live:
            if q.parent_number is not None:
                self.follow_ups.setdefault(q.parent_number, []).append(q)

    def link(self, q: QuestionData) -> QuestionLink:
        slug = self.pack.slug
        return QuestionLink(
            id=f"{slug}/{q.number}",
            pack=slug,
            number=q.number,
            title=q.title,
            has_answer=q.has_answer,
            url=question_url(slug, q.number),
        )

    def main_questions(self) -> list[QuestionData]:
        return [q for q in self.live if q.parent_number is None]

    def cached(self, key: tuple[str, ...], build: Callable[[], T]) -> T:
        """build()'s value, made once per snapshot (a re-import starts a new snapshot)."""
        if key not in self.rendered:
            self.rendered[key] = build()
        return cast(T, self.rendered[key])


class ContentCache:
    """Per-process pack snapshots, checked against the database's hashes every CACHE_TTL_S."""

    def __init__(self) -> None:
        self._snapshots: dict[str, PackSnapshot] = {}
        self._hashes: dict[str, str] = {}
        self._checked_at = float("-inf")
        self._lock = threading.Lock()
        self._index: tuple[tuple[tuple[str, str], ...], SearchIndex] | None = None

    def clear(self) -> None:
        with self._lock:
            self._snapshots.clear()
            self._checked_at = float("-inf")
            self._index = None

    def hashes(self, session: Session, *, force: bool = False) -> dict[str, str]:
        if force or time.monotonic() - self._checked_at > CACHE_TTL_S:
            hashes = repository.pack_hashes(session)
            with self._lock:
                self._hashes, self._checked_at = hashes, time.monotonic()
        return self._hashes

    def snapshot(self, session: Session, slug: str) -> PackSnapshot | None:
        digest = self.hashes(session).get(slug)
        if digest is None:  # maybe imported since the last check: look again before a 404
            digest = self.hashes(session, force=True).get(slug)
        if digest is None:
            return None
        snap = self._snapshots.get(slug)
        if snap is None or snap.content_hash != digest:
            snap = _load_snapshot(session, slug)
            if snap is not None:
                self._snapshots[slug] = snap
        return snap

    def last_known(self, slug: str) -> PackSnapshot | None:
        """The snapshot of slug as last read, however old (None if never read)."""
        return self._snapshots.get(slug)

    def peek(self, slug: str) -> PackSnapshot | None:
        """The snapshot of slug when it is known fresh without asking the database, else None."""
        if time.monotonic() - self._checked_at > CACHE_TTL_S:
            return None
        snap = self._snapshots.get(slug)
        return snap if snap is not None and snap.content_hash == self._hashes.get(slug) else None

    def all(self, session: Session) -> list[PackSnapshot]:
        snaps = (self.snapshot(session, slug) for slug in sorted(self.hashes(session)))
        return sorted(
            (s for s in snaps if s is not None), key=lambda s: (s.pack.position, s.pack.slug)
        )

    def search_index(self, session: Session) -> SearchIndex:
        """The library's search index, rebuilt when any pack's content hash changes."""
        key = tuple(sorted(self.hashes(session).items()))
        with self._lock:
            current = self._index
        if current is not None and current[0] == key:
            return current[1]
        documents = [
            Document(f"{slug}/{number}", slug, number, title, tuple(tt.split()), tuple(bt.split()))
            for slug, number, title, tt, bt in repository.search_documents(session)
        ]
        glossary = [pair for pack in repository.glossaries(session) for pair in pack]
        glossary += read_curated_glossary(get_settings().content_dir / GLOSSARY_FILE)
        index = SearchIndex(documents, glossary)
        with self._lock:
            self._index = (key, index)
        return index


cache = ContentCache()


def _pack_read(pack: Pack, total: int, answered: int) -> PackRead:
    url = None
    if pack.source_repository and pack.source_path:
        url = f"{GITHUB}/{pack.source_repository}/blob/{pack.source_commit or 'HEAD'}/"
        url += pack.source_path
    source = SourceRead(
        repository=pack.source_repository,
        commit=pack.source_commit,
        path=pack.source_path,
        license=pack.license,
        copyright=pack.copyright,
        url=url,
    )
    return PackRead(
        slug=pack.slug,
        position=pack.position,
        title=pack.title,
        title_en=pack.title_en,
        question_count=total,
        answered_count=answered,
        source=source,
    )


def _question_data(q: Question, numbers: dict[int, str]) -> QuestionData:
    return QuestionData(
        id=q.id,
        number=q.number,
        parent_number=numbers.get(q.parent_id) if q.parent_id is not None else None,
        title=q.title,
        has_answer=q.has_answer,
        retired=q.retired,
        answer_markdown=q.answer_markdown,
        answer_html=q.answer_html,
        references=tuple(ReferenceRead(title=r.title, url=r.url) for r in q.references),
    )


def _load_snapshot(session: Session, slug: str) -> PackSnapshot | None:
    pack = repository.get_pack(session, slug)
    if pack is None:
        return None
    rows = repository.questions_of_pack(session, pack.id, with_references=True)
    numbers = {q.id: q.number for q in rows}
    questions = [_question_data(q, numbers) for q in rows]
    live = [q for q in questions if not q.retired]
    read = _pack_read(pack, len(live), sum(q.has_answer for q in live))
    return PackSnapshot(pack=read, content_hash=pack.content_hash, questions=questions)


# --- queries the API and pages share ----------------------------------------------------------


def list_packs(session: Session) -> list[PackRead]:
    return [snap.pack for snap in cache.all(session)]


def pack_snapshot(session: Session, slug: str) -> PackSnapshot:
    snap = cache.snapshot(session, slug)
    if snap is None:
        raise NotFound("No pack '{slug}'.", "'{slug}' 묶음이 없습니다.", slug=slug)
    return snap


def find_question(session: Session, slug: str, number: str) -> tuple[PackSnapshot, QuestionData]:
    """The snapshot and question for a public id; NotFound names the id."""
    snap = cache.snapshot(session, slug)
    question = snap.by_number.get(number) if snap else None
    if snap is None or question is None:
        moved_to = repository.alias_target(session, slug, number) if snap else None
        if moved_to is not None:
            raise Moved(question_url(slug, moved_to), f"{slug}/{number}")
        raise NotFound("No question '{id}'.", "질문 '{id}'이(가) 없습니다.", id=f"{slug}/{number}")
    return snap, question


def question_detail(snap: PackSnapshot, q: QuestionData) -> QuestionRead:
    """Everything about one question: parent, follow-ups, neighbours, answer, references."""
    parent = snap.by_number.get(q.parent_number) if q.parent_number else None
    index = next((i for i, item in enumerate(snap.live) if item.number == q.number), None)
    prev = snap.live[index - 1] if index is not None and index > 0 else None
    nxt = snap.live[index + 1] if index is not None and index + 1 < len(snap.live) else None
    slug = snap.pack.slug
    return QuestionRead(
        id=f"{slug}/{q.number}",
        pack=slug,
        number=q.number,
        title=q.title,
        parent=snap.link(parent) if parent else None,
        follow_ups=[snap.link(f) for f in snap.follow_ups.get(q.number, [])],
        previous=snap.link(prev) if prev else None,
        next=snap.link(nxt) if nxt else None,
        has_answer=q.has_answer,
        retired=q.retired,
        answer_markdown=q.answer_markdown,
        answer_html=q.answer_html,
        references=list(q.references),
        url=question_url(slug, q.number),
    )


def cached_question(slug: str, number: str) -> tuple[PackSnapshot, QuestionData] | None:
    """The question from a fresh in-memory snapshot (no I/O), or None: ask find_question."""
    snap = cache.peek(slug)
    question = snap.by_number.get(number) if snap is not None else None
    return (snap, question) if snap is not None and question is not None else None


def last_known_question(slug: str, number: str) -> tuple[PackSnapshot, QuestionData] | None:
    """The question as this process last read it, however old: what a page may show while the
    database is busy or away, rather than an error."""
    snap = cache.last_known(slug)
    question = snap.by_number.get(number) if snap is not None else None
    return (snap, question) if snap is not None and question is not None else None


def question_json(snap: PackSnapshot, q: QuestionData) -> bytes:
    """The API body of one question, serialised once per snapshot."""
    return snap.cached(
        ("json", q.number), lambda: question_detail(snap, q).model_dump_json().encode()
    )


def search_terms(q: str | None) -> list[str]:
    """Lower-cased, NFC-normalised words of a query, cut to MAX_QUERY_CHARS (never an error)."""
    if not q:
        return []
    return normalize(q)[:MAX_QUERY_CHARS].split()


def list_questions(
    session: Session, pack: str | None, q: str | None, limit: int, offset: int
) -> QuestionList:
    """Live questions in library order; with q, the best matches first (see search.py)."""
    if pack and cache.snapshot(session, pack) is None:
        raise NotFound("No pack '{slug}'.", "'{slug}' 묶음이 없습니다.", slug=pack)
    snaps = {snap.pack.slug: snap for snap in cache.all(session)}
    if not search_terms(q):
        every = [
            (snap, question)
            for snap in snaps.values()
            if not pack or snap.pack.slug == pack
            for question in snap.live
        ]
        page = every[offset : offset + limit]
        items = [_summary(snap, question, None) for snap, question in page]
        return QuestionList(items=items, total=len(every), limit=limit, offset=offset)
    _, hits = cache.search_index(session).search(q or "", pack)
    items = []
    for hit in hits[offset : offset + limit]:
        snap = snaps.get(hit.document.pack)
        question = snap.by_number.get(hit.document.number) if snap else None
        if snap is not None and question is not None:
            items.append(_summary(snap, question, hit.terms))
    return QuestionList(items=items, total=len(hits), limit=limit, offset=offset)


def number_target(session: Session, q: str, pack: str | None) -> str | None:
    """The page a question-number query ("#12", "12-3") jumps to, when it names one question."""
    index = cache.search_index(session)
    plan = index.plan(q)
    if plan.number is None:
        return None
    found = [d for d in index.by_number.get(plan.number, []) if not pack or d.pack == pack]
    return question_url(found[0].pack, found[0].number) if len(found) == 1 else None


def _summary(snap: PackSnapshot, q: QuestionData, terms: tuple[str, ...] | None) -> QuestionSummary:
    found = search_snippet(plain_text(q.answer_html), terms) if terms else None
    return QuestionSummary(
        **snap.link(q).model_dump(),
        parent=q.parent_number,
        snippet=found[0] if found else None,
        highlights=list(terms or ()),
    )


def pack_asset(session: Session, slug: str, path: str) -> PackAsset:
    # No pack or file name holds a NUL; PostgreSQL would refuse to even compare one.
    asset = None if "\x00" in slug + path else repository.get_asset(session, slug, path)
    if asset is None:
        raise NotFound(
            "No file '{path}' in pack '{slug}'.",
            "'{slug}' 묶음에 '{path}' 파일이 없습니다.",
            path=path,
            slug=slug,
        )
    return asset

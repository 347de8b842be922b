"""`mogi import`: packs from Markdown files into the database, idempotently, in one transaction.

Identity is (pack slug, entry number): a changed file updates its entries in place, an entry
that disappeared is retired (never deleted), and the same file imported again changes nothing.
"""

from __future__ import annotations

import hashlib
import json
import re
import sys
import tomllib
import unicodedata
from dataclasses import asdict, dataclass, field
from pathlib import Path

from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from app.config import get_settings
from app.content import repository
from app.content.models import Pack, Question, Reference
from app.content.parser import PackFormatError, ParsedEntry, parse_pack
from app.content.render import RENDER_VERSION, RenderContext, plain_text, render_answer
from app.content.service import cache
from app.db import session_factory, utcnow

SLUG = re.compile(r"^[a-z0-9][a-z0-9-]{0,63}$")


class PackImportError(Exception):
    """A pack that cannot be imported; the message names the file (and line)."""


@dataclass(frozen=True)
class PackMeta:
    """Who a pack is and where it came from (a sidecar NAME.toml, or given by the caller)."""

    slug: str
    title: str
    title_en: str = ""
    source_repository: str = ""
    source_commit: str = ""
    source_path: str = ""
    license: str = ""
    copyright: str = ""


@dataclass
class ImportResult:
    slug: str
    unchanged_pack: bool = False
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    retired: int = 0
    question_ids: dict[str, int] = field(default_factory=dict)

    def summary(self) -> str:
        if self.unchanged_pack:
            return f"{self.slug}: unchanged"
        return (
            f"{self.slug}: {self.created} new, {self.updated} updated, "
            f"{self.unchanged} unchanged, {self.retired} retired"
        )


@dataclass
class _Rendered:
    entry: ParsedEntry
    html: str
    search_text: str


def read_meta(path: Path, slug: str | None = None) -> PackMeta:
    """The pack's metadata from PATH's sidecar .toml; slug (e.g. --pack) wins over it."""
    sidecar = path.with_suffix(".toml")
    data: dict[str, object] = {}
    if sidecar.exists():
        try:
            data = tomllib.loads(sidecar.read_text(encoding="utf-8"))
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
            raise PackImportError(f"{sidecar}: not valid TOML: {exc}") from exc
    source = data.get("source") if isinstance(data.get("source"), dict) else {}
    assert isinstance(source, dict)
    final_slug = slug or str(data.get("slug") or path.stem)
    return PackMeta(
        slug=final_slug,
        title=str(data.get("title") or final_slug.replace("-", " ").title()),
        title_en=str(data.get("title_en") or ""),
        source_repository=str(source.get("repository", "")),
        source_commit=str(source.get("commit", "")),
        source_path=str(source.get("path", "")),
        license=str(source.get("license", "")),
        copyright=str(source.get("copyright", "")),
    )


def import_pack_file(
    session: Session, path: Path, meta: PackMeta | None = None, *, slug: str | None = None
) -> ImportResult:
    """Import one file (flushes, never commits: the caller owns the transaction)."""
    try:
        text = path.read_bytes().decode("utf-8")
    except UnicodeDecodeError as exc:
        raise PackImportError(f"{path}: not UTF-8 text ({exc})") from exc
    except OSError as exc:
        raise PackImportError(f"{path}: cannot read: {exc.strerror}") from exc
    return import_pack_text(session, text, meta or read_meta(path, slug), origin=str(path))


def import_pack_text(
    session: Session, text: str, meta: PackMeta, *, origin: str = "<pack>"
) -> ImportResult:
    """Parse, render and write one pack; nothing is written when the pack is malformed."""
    if not SLUG.match(meta.slug):
        raise PackImportError(
            f"{origin}: pack slug {meta.slug!r} must be lower-case letters, digits and '-'"
        )
    try:
        parsed = parse_pack(text)
    except PackFormatError as exc:
        raise PackImportError(f"{origin}: line {exc.line}: {exc.message}") from exc
    remote = get_settings().remote_image_base
    digest = _content_hash(text, meta, remote)
    pack = repository.get_pack(session, meta.slug)
    if pack is not None and pack.content_hash == digest:
        existing = repository.questions_of_pack(session, pack.id)
        ids = {q.number: q.id for q in existing}
        return ImportResult(meta.slug, unchanged_pack=True, question_ids=ids)
    ctx = RenderContext(
        meta.slug, meta.source_repository, meta.source_commit, meta.source_path, remote
    )
    rendered = [_render(entry, ctx) for entry in parsed.entries]
    pack = _upsert_pack(session, pack, meta, digest)
    result = _write_questions(session, pack, rendered)
    cache.clear()  # this process serves the new content at once; others within CACHE_TTL_S
    return result


def _content_hash(text: str, meta: PackMeta, remote_image_base: str) -> str:
    # The rendered HTML depends on the renderer and the image setting, not only on the file.
    head = json.dumps([RENDER_VERSION, remote_image_base, asdict(meta)], sort_keys=True)
    return hashlib.sha256(head.encode() + b"\0" + text.encode()).hexdigest()


def _render(entry: ParsedEntry, ctx: RenderContext) -> _Rendered:
    answer_html = render_answer(entry.answer_markdown, ctx)
    refs = " ".join(r.title for r in entry.references)
    text = f"{entry.title}\n{plain_text(answer_html)}\n{refs}"
    search = unicodedata.normalize("NFC", text).lower()
    return _Rendered(entry, answer_html, search)


def _upsert_pack(session: Session, pack: Pack | None, meta: PackMeta, digest: str) -> Pack:
    values = {k: v for k, v in asdict(meta).items() if k != "slug"}
    if pack is None:
        pack = Pack(slug=meta.slug, content_hash=digest, **values)
        session.add(pack)
    else:
        for key, value in values.items():
            setattr(pack, key, value)
        pack.content_hash = digest
        pack.updated_at = utcnow()
    session.flush()
    return pack


def _write_questions(session: Session, pack: Pack, rendered: list[_Rendered]) -> ImportResult:
    result = ImportResult(pack.slug)
    rows = repository.questions_of_pack(session, pack.id, with_references=True)
    existing = {q.number: q for q in rows}
    by_number: dict[str, Question] = {}
    for position, item in enumerate(rendered):
        question = existing.get(item.entry.number)
        if question is None:
            question = Question(pack_id=pack.id, number=item.entry.number)
            _apply(question, position, item)
            session.add(question)
            result.created += 1
        elif _apply(question, position, item):
            result.updated += 1
        else:
            result.unchanged += 1
        by_number[item.entry.number] = question
    session.flush()
    for item in rendered:
        question = by_number[item.entry.number]
        parent = by_number[item.entry.parent_number] if item.entry.parent_number else None
        question.parent_id = parent.id if parent else None
    for number, question in existing.items():
        if number not in by_number and not question.retired:
            question.retired = True
            question.updated_at = utcnow()
            result.retired += 1
    session.flush()
    result.question_ids = {n: q.id for n, q in by_number.items()}
    return result


def _apply(question: Question, position: int, item: _Rendered) -> bool:
    """Copy an entry onto its row; True when anything changed."""
    entry = item.entry
    values = {
        "position": position,
        "title": entry.title,
        "answer_markdown": entry.answer_markdown,
        "answer_html": item.html,
        "has_answer": entry.has_answer,
        "retired": False,
        "search_text": item.search_text,
    }
    changed = any(getattr(question, k) != v for k, v in values.items())
    refs = [(r.title, r.url) for r in entry.references]
    old_refs = [] if question.id is None else [(r.title, r.url) for r in question.references]
    if changed or refs != old_refs:
        for key, value in values.items():
            setattr(question, key, value)
        if refs != old_refs or question.id is None:
            question.references[:] = [
                Reference(position=i, title=t, url=u) for i, (t, u) in enumerate(refs)
            ]
        question.updated_at = utcnow()
        return True
    return False


def pack_files(path: Path) -> list[Path]:
    """The pack files of a folder (every .md but README.md), or the one file given."""
    if path.is_dir():
        files = sorted(p for p in path.glob("*.md") if p.name.lower() != "readme.md")
        if not files:
            raise PackImportError(f"{path}: no .md packs in this folder")
        return files
    if not path.exists():
        raise PackImportError(f"{path}: no such file or folder")
    return [path]


def import_command(path: str | None, slug: str | None) -> int:
    """`mogi import [PATH] [--pack SLUG]`: every pack in one transaction; 0 on success."""
    target = Path(path) if path else get_settings().content_dir
    try:
        files = pack_files(target)
        if slug and len(files) > 1:
            raise PackImportError(
                f"{target}: --pack names one pack, but this folder holds {len(files)}"
            )
        with session_factory()() as session:
            try:
                results = [import_pack_file(session, f, slug=slug) for f in files]
                session.commit()
            except BaseException:
                session.rollback()
                raise
    except PackImportError as exc:
        print(f"error: {exc}\nnothing was imported.", file=sys.stderr)
        return 1
    except SQLAlchemyError as exc:
        print(
            f"error: database: {type(exc).__name__}: {str(exc).splitlines()[0]}\n"
            "is the schema up to date? run `mogi migrate` first. nothing was imported.",
            file=sys.stderr,
        )
        return 1
    for result in results:
        print(result.summary())
    return 0

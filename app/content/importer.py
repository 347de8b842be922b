"""Packs from Markdown files into the database, idempotently (flushes; the caller commits).

An entry keeps its database row (and with it every bookmark, note, card, review, own answer and
session item that points at it) across upstream updates: entries are matched to the previous
version by number and content (title and answer similarity), so a question renumbered upstream
(`20-2 -> 20-1`) keeps its row and its old number redirects, and a question that is gone is
retired (never deleted), even when its number now belongs to another question. The same file
imported again changes nothing. Figures the pack references are read from the folder named after
the pack beside its file (content/deep-learning/images/...) and stored with it.
"""

from __future__ import annotations

import hashlib
import json
import re
import unicodedata
from dataclasses import asdict, dataclass, field
from pathlib import Path

from sqlalchemy.orm import Session

from app.config import get_settings
from app.content import repository, search
from app.content.figures import asset_url, find_figures, write_figures
from app.content.glossary import GLOSSARY_FILE, extract_glossary
from app.content.matching import match_entries
from app.content.models import Pack, Question, QuestionAlias, Reference
from app.content.packmeta import (
    PackImportError,
    PackMeta,
    kept_meta,
    read_meta,
    sibling_pack_paths,
)
from app.content.parser import PackFormatError, ParsedEntry, parse_pack
from app.content.render import (
    RENDER_VERSION,
    RenderContext,
    link_url,
    plain_text,
    render_answer,
)
from app.content.service import cache
from app.content.term_choice import key_terms_of_pack
from app.db import utcnow

SLUG = re.compile(r"^[a-z0-9][a-z0-9-]{0,63}$")


@dataclass
class ImportPlan:
    """What an import does to a pack's entries, by number."""

    new: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)
    renumbered: list[tuple[str, str]] = field(default_factory=list)
    retired: list[str] = field(default_factory=list)

    def lines(self) -> list[str]:
        out = []
        if self.new:
            out.append("  new: " + ", ".join(f"#{n}" for n in self.new))
        if self.changed:
            out.append("  changed: " + ", ".join(f"#{n}" for n in self.changed))
        for old, new in self.renumbered:
            out.append(f"  renumbered: {old} -> {new}")
        if self.retired:
            out.append("  retired: " + ", ".join(f"#{n}" for n in self.retired))
        return out


@dataclass
class ImportResult:
    slug: str
    unchanged_pack: bool = False
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    retired: int = 0
    renumbered: int = 0
    figures: int = 0
    question_ids: dict[str, int] = field(default_factory=dict)
    plan: ImportPlan = field(default_factory=ImportPlan)

    def summary(self) -> str:
        if self.unchanged_pack:
            return f"{self.slug}: unchanged"
        head = (
            f"{self.slug}: {self.created} new, {self.updated} updated, "
            f"{self.unchanged} unchanged, {self.renumbered} renumbered, {self.retired} retired, "
            f"{self.figures} figures"
        )
        return "\n".join([head, *self.plan.lines()])


@dataclass
class _Rendered:
    entry: ParsedEntry
    html: str
    search_text: str
    title_terms: str
    body_terms: str
    references: list[tuple[str, str]]
    key_terms: list[dict[str, object]] = field(default_factory=list)


def import_pack_file(
    session: Session,
    path: Path,
    meta: PackMeta | None = None,
    *,
    slug: str | None = None,
    dry_run: bool = False,
) -> ImportResult:
    """Import one file (flushes, never commits: the caller owns the transaction)."""
    try:
        text = path.read_bytes().decode("utf-8")
    except UnicodeDecodeError as exc:
        raise PackImportError(f"{path}: not UTF-8 text ({exc})") from exc
    except OSError as exc:
        raise PackImportError(f"{path}: cannot read: {exc.strerror}") from exc
    meta = meta or read_meta(path, slug)
    return import_pack_text(
        session,
        text,
        meta,
        origin=str(path),
        asset_dir=path.parent / meta.slug,
        pack_paths=sibling_pack_paths(path.parent),
        dry_run=dry_run,
    )


def import_pack_text(
    session: Session,
    text: str,
    meta: PackMeta,
    *,
    origin: str = "<pack>",
    asset_dir: Path | None = None,
    pack_paths: dict[str, str] | None = None,
    dry_run: bool = False,
) -> ImportResult:
    """Parse, render and write one pack; nothing is written when the pack is malformed.

    With dry_run, nothing is written at all: the result only tells what an import would do.
    """
    if not SLUG.match(meta.slug):
        raise PackImportError(
            f"{origin}: pack slug {meta.slug!r} must be lower-case letters, digits and '-'"
        )
    try:
        parsed = parse_pack(text)
    except PackFormatError as exc:
        raise PackImportError(f"{origin}: line {exc.line}: {exc.message}") from exc
    pack = repository.get_pack(session, meta.slug)
    if pack is not None and not meta.from_sidecar:
        meta = kept_meta(pack, meta)  # no sidecar this time: keep title, source and licence
    remote = get_settings().remote_image_base
    own = {meta.source_path, *meta.source_aliases}
    links = {
        path: slug
        for path, slug in {**repository.pack_paths(session), **(pack_paths or {})}.items()
        if slug != meta.slug and path not in own  # links within the pack stay links within it
    }
    ctx = RenderContext(
        meta.slug, meta.source_repository, meta.source_commit, meta.source_path, remote, {}, links
    )
    figures = find_figures(parsed.entries, ctx, asset_dir)
    ctx = RenderContext(
        meta.slug,
        meta.source_repository,
        meta.source_commit,
        meta.source_path,
        remote,
        {path: asset_url(meta.slug, path, digest) for path, (digest, _) in figures.items()},
        links,
    )
    digest = _content_hash(text, meta, remote, ctx)
    if pack is not None and pack.content_hash == digest:
        existing = repository.questions_of_pack(session, pack.id)
        ids = {q.number: q.id for q in existing}
        return ImportResult(meta.slug, unchanged_pack=True, question_ids=ids)
    rendered = [_render(entry, ctx) for entry in parsed.entries]
    answers = [
        (i.entry.answer_markdown if i.entry.has_answer else "", i.body_terms) for i in rendered
    ]
    glossary = get_settings().content_dir / GLOSSARY_FILE
    for item, terms in zip(rendered, key_terms_of_pack(answers, text, glossary), strict=True):
        item.key_terms = terms
    if dry_run:
        rows = (
            list(repository.questions_of_pack(session, pack.id, with_references=True))
            if pack
            else []
        )
        return _dry_result(meta.slug, rows, rendered)
    pack = _upsert_pack(session, pack, meta, digest, text)
    result = _write_questions(session, pack, rendered)
    result.figures = write_figures(session, pack, figures)
    cache.clear()  # this process serves the new content at once; others within CACHE_TTL_S
    return result


def _content_hash(text: str, meta: PackMeta, remote_image_base: str, ctx: RenderContext) -> str:
    # The rendered HTML depends on the renderer, the image setting, the figures and the other
    # packs' paths, not only on the file.
    head = json.dumps(
        [
            RENDER_VERSION,
            SEARCH_VERSION,
            remote_image_base,
            asdict(meta),
            sorted(ctx.assets.items()),
            sorted(ctx.pack_paths.items()),
        ],
        sort_keys=True,
    )
    return hashlib.sha256(head.encode() + b"\0" + text.encode()).hexdigest()


SEARCH_VERSION = "3"  # 3: key terms chosen at import


def _render(entry: ParsedEntry, ctx: RenderContext) -> _Rendered:
    answer_html = render_answer(entry.answer_markdown, ctx)
    refs = " ".join(r.title for r in entry.references)
    answer_text = plain_text(answer_html)
    text = f"{entry.title}\n{answer_text}\n{refs}"
    search_text = unicodedata.normalize("NFC", text).lower()
    return _Rendered(
        entry,
        answer_html,
        search_text,
        " ".join(search.index_terms(entry.title)),
        " ".join(search.index_terms(f"{answer_text}\n{refs}")),
        [(r.title, link_url(r.url, ctx) if r.url else "") for r in entry.references],
    )


def _upsert_pack(
    session: Session, pack: Pack | None, meta: PackMeta, digest: str, text: str
) -> Pack:
    values = {
        k: v for k, v in asdict(meta).items() if k not in ("slug", "from_sidecar", "source_aliases")
    }
    values["source_aliases"] = list(meta.source_aliases)
    values["glossary"] = extract_glossary(text)
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


def _dry_result(
    slug: str,
    rows: list[Question],
    rendered: list[_Rendered],
    matched: dict[str, Question] | None = None,
) -> ImportResult:
    result = ImportResult(slug)
    matched = match_entries(rows, [item.entry for item in rendered]) if matched is None else matched
    kept = {row.id for row in matched.values()}
    for item in rendered:
        number = item.entry.number
        row = matched.get(number)
        if row is None:
            if rows:  # a first import is all new: no need to list it
                result.plan.new.append(number)
            result.created += 1
            continue
        if row.number != number:
            result.plan.renumbered.append((row.number, number))
            result.renumbered += 1
        if _differs(row, item):
            result.plan.changed.append(number)
            result.updated += 1
        else:
            result.unchanged += 1
    for row in rows:
        if row.id not in kept and not row.retired:
            result.plan.retired.append(row.number)
            result.retired += 1
    return result


def _differs(row: Question, item: _Rendered) -> bool:
    return (
        row.title != item.entry.title
        or row.answer_markdown != item.entry.answer_markdown
        or row.answer_html != item.html
        or row.has_answer != item.entry.has_answer
        or row.retired
        or [(r.title, r.url) for r in row.references] != item.references
    )


def _write_questions(session: Session, pack: Pack, rendered: list[_Rendered]) -> ImportResult:
    rows = list(repository.questions_of_pack(session, pack.id, with_references=True))
    matched = match_entries(rows, [item.entry for item in rendered])
    result = _dry_result(pack.slug, rows, rendered, matched)
    kept = {row.id for row in matched.values()}
    live_numbers = {item.entry.number for item in rendered}
    # Numbers move in two steps (to a temporary one, then the final one) so that a swap or a
    # shift (20-2 -> 20-1 while 20-1 retires) never meets the (pack, number) unique key.
    moving = [row for number, row in matched.items() if row.number != number]
    displaced = [r for r in rows if r.id not in kept and r.number in live_numbers]
    old_numbers = {row.id: row.number for row in displaced}
    for row in [*moving, *displaced]:
        row.number = f"~{row.id}"
    session.flush()
    for row in displaced:
        # A retired question whose number went to another keeps a number of its own.
        row.number = f"{old_numbers[row.id]}~{row.id}"[:32]
    by_number: dict[str, Question] = {}
    for position, item in enumerate(rendered):
        number = item.entry.number
        question = matched.get(number)
        if question is None:
            question = Question(pack_id=pack.id, number=number)
            _apply(question, position, item)
            session.add(question)
        else:
            _apply(question, position, item)
            question.number = number
        by_number[number] = question
    session.flush()
    _record_aliases(session, pack, result.plan.renumbered, by_number)
    for item in rendered:
        question = by_number[item.entry.number]
        parent = by_number[item.entry.parent_number] if item.entry.parent_number else None
        if question.parent_id != (parent.id if parent else None):
            question.parent_id = parent.id if parent else None
    for row in rows:
        if row.id not in kept and not row.retired:
            row.retired = True
            row.updated_at = utcnow()
    session.flush()
    result.question_ids = {n: q.id for n, q in by_number.items()}
    return result


def _record_aliases(
    session: Session,
    pack: Pack,
    renumbered: list[tuple[str, str]],
    by_number: dict[str, Question],
) -> None:
    """Old numbers of renumbered questions point at them; a number in use again is no alias."""
    aliases = {a.number: a for a in repository.aliases_of_pack(session, pack.id)}
    for number in list(aliases):
        if number in by_number:
            session.delete(aliases.pop(number))
    for old, new in renumbered:
        if old in by_number:
            continue  # the old number now names another question: that one is what it shows
        alias = aliases.get(old)
        if alias is None:
            session.add(QuestionAlias(pack_id=pack.id, number=old, question_id=by_number[new].id))
        else:
            alias.question_id = by_number[new].id
    session.flush()


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
        "title_terms": item.title_terms,
        "body_terms": item.body_terms,
        "key_terms": item.key_terms,
    }
    changed = any(getattr(question, k) != v for k, v in values.items())
    refs = item.references
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

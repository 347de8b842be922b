"""`mogi import`: packs from Markdown files into the database, idempotently, in one transaction.

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
import mimetypes
import re
import sys
import tomllib
import unicodedata
from dataclasses import asdict, dataclass, field
from pathlib import Path

from rapidfuzz import fuzz
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from app.config import get_settings
from app.content import repository, search
from app.content.models import Pack, PackAsset, Question, QuestionAlias, Reference
from app.content.parser import PackFormatError, ParsedEntry, parse_pack
from app.content.render import (
    ASSET_PREFIX,
    RENDER_VERSION,
    RenderContext,
    image_paths,
    link_url,
    plain_text,
    render_answer,
)
from app.content.service import cache
from app.db import session_factory, utcnow

SLUG = re.compile(r"^[a-z0-9][a-z0-9-]{0,63}$")
# Two versions are the same entry when their questions read alike (a typo fixed, a word added),
# or, under the same number, when the question was reworded but is still recognisably it.
SAME_TITLE = 0.85
SAME_TITLE_AND_NUMBER = 0.6
SAME_ANSWER = 0.8  # ... or when the answers read alike and the questions somewhat do
SAME_NUMBER_BONUS = 0.1
IMAGE_TYPES = {".png", ".jpg", ".jpeg", ".gif", ".svg", ".webp"}


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
    position: int = 0
    source_aliases: tuple[str, ...] = ()
    # False when no sidecar was found: a re-import then keeps what the pack already says.
    from_sidecar: bool = True


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


def read_meta(path: Path, slug: str | None = None) -> PackMeta:
    """The pack's metadata from PATH's sidecar .toml; slug (e.g. --pack) wins over it."""
    sidecar = path.with_suffix(".toml")
    data: dict[str, object] = {}
    found = sidecar.exists()
    if found:
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
        position=int(str(data.get("position") or 0))
        if str(data.get("position") or 0).isdigit()
        else 0,
        source_aliases=tuple(str(a) for a in source.get("aliases", []) or []),
        from_sidecar=found,
    )


def _int(value: object) -> int:
    return int(value) if isinstance(value, int) and not isinstance(value, bool) else 0


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


def sibling_pack_paths(folder: Path) -> dict[str, str]:
    """Repository path -> slug of every pack whose sidecar lies in folder (links between packs)."""
    found: dict[str, str] = {}
    for sidecar in sorted(folder.glob("*.toml")):
        if not sidecar.with_suffix(".md").exists():
            continue
        try:
            meta = read_meta(sidecar.with_suffix(".md"))
        except PackImportError:
            continue
        for repo_path in (meta.source_path, *meta.source_aliases):
            if repo_path:
                found.setdefault(repo_path, meta.slug)
    return found


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
        meta = _kept_meta(pack, meta)  # no sidecar this time: keep title, source and licence
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
    figures = _figures(parsed.entries, ctx, asset_dir)
    ctx = RenderContext(
        meta.slug,
        meta.source_repository,
        meta.source_commit,
        meta.source_path,
        remote,
        {path: _asset_url(meta.slug, path, digest) for path, (digest, _) in figures.items()},
        links,
    )
    digest = _content_hash(text, meta, remote, ctx)
    if pack is not None and pack.content_hash == digest:
        existing = repository.questions_of_pack(session, pack.id)
        ids = {q.number: q.id for q in existing}
        return ImportResult(meta.slug, unchanged_pack=True, question_ids=ids)
    rendered = [_render(entry, ctx) for entry in parsed.entries]
    if dry_run:
        rows = (
            list(repository.questions_of_pack(session, pack.id, with_references=True))
            if pack
            else []
        )
        return _dry_result(meta.slug, rows, rendered)
    pack = _upsert_pack(session, pack, meta, digest, text)
    result = _write_questions(session, pack, rendered)
    result.figures = _write_figures(session, pack, figures)
    cache.clear()  # this process serves the new content at once; others within CACHE_TTL_S
    return result


def _kept_meta(pack: Pack, meta: PackMeta) -> PackMeta:
    return PackMeta(
        slug=meta.slug,
        title=pack.title,
        title_en=pack.title_en,
        source_repository=pack.source_repository,
        source_commit=pack.source_commit,
        source_path=pack.source_path,
        license=pack.license,
        copyright=pack.copyright,
        position=pack.position,
        source_aliases=tuple(pack.source_aliases or ()),
        from_sidecar=False,
    )


def _figures(
    entries: list[ParsedEntry], ctx: RenderContext, asset_dir: Path | None
) -> dict[str, tuple[str, Path]]:
    """Repository path -> (sha256, file) of each referenced figure shipped beside the pack."""
    if asset_dir is None or not asset_dir.is_dir():
        return {}
    root = asset_dir.resolve()
    found: dict[str, tuple[str, Path]] = {}
    for entry in entries:
        for repo_path in image_paths(entry.answer_markdown, ctx):
            file = (asset_dir / repo_path).resolve()
            inside = file.is_relative_to(root)
            if repo_path in found or not inside or file.suffix.lower() not in IMAGE_TYPES:
                continue
            if file.is_file():
                found[repo_path] = (hashlib.sha256(file.read_bytes()).hexdigest(), file)
    return found


def _asset_url(slug: str, path: str, digest: str) -> str:
    # The digest in the query makes the URL change with the file: it may be cached for good.
    return f"{ASSET_PREFIX}{slug}/files/{path}?v={digest[:12]}"


def _write_figures(session: Session, pack: Pack, figures: dict[str, tuple[str, Path]]) -> int:
    existing = {a.path: a for a in repository.assets_of_pack(session, pack.id)}
    for path, (digest, file) in figures.items():
        asset = existing.pop(path, None)
        if asset is not None and asset.sha256 == digest:
            continue
        media_type = mimetypes.guess_type(file.name)[0] or "application/octet-stream"
        if asset is None:
            asset = PackAsset(pack_id=pack.id, path=path)
            session.add(asset)
        asset.media_type, asset.sha256, asset.data = media_type, digest, file.read_bytes()
    for stale in existing.values():  # no longer referenced: not served any more
        session.delete(stale)
    session.flush()
    return len(figures)


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


SEARCH_VERSION = "2"


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
    values["glossary"] = search.extract_glossary(text)
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


# --- identity across versions -------------------------------------------------------------


def similarity(title_a: str, answer_a: str, title_b: str, answer_b: str) -> tuple[float, float]:
    """How alike two versions of an entry read (0-1): their questions, their answers."""
    title = fuzz.ratio(title_a, title_b) / 100
    if not answer_a.strip() or not answer_b.strip():
        return title, 0.0  # an answer written (or dropped) since says nothing either way
    return title, fuzz.ratio(answer_a[:3000], answer_b[:3000]) / 100


def match_entries(rows: list[Question], rendered: list[_Rendered]) -> dict[str, Question]:
    """Entry number -> the existing row it continues (best matches first); others are new."""
    pairs: list[tuple[float, str, int]] = []
    for item in rendered:
        for k, row in enumerate(rows):
            same_number = row.number == item.entry.number
            title, answer = similarity(
                item.entry.title, item.entry.answer_markdown, row.title, row.answer_markdown
            )
            alike = (
                title >= SAME_TITLE
                or (same_number and title >= SAME_TITLE_AND_NUMBER)
                or (answer >= SAME_ANSWER and title >= 0.5)
            )
            if alike:
                score = 0.7 * title + 0.3 * answer + (SAME_NUMBER_BONUS if same_number else 0)
                pairs.append((score, item.entry.number, k))
    pairs.sort(key=lambda p: (-p[0], p[1], p[2]))
    matched: dict[str, Question] = {}
    used: set[int] = set()
    for _, number, k in pairs:
        if number in matched or k in used:
            continue
        matched[number] = rows[k]
        used.add(k)
    return matched


def _dry_result(
    slug: str,
    rows: list[Question],
    rendered: list[_Rendered],
    matched: dict[str, Question] | None = None,
) -> ImportResult:
    result = ImportResult(slug)
    matched = match_entries(rows, rendered) if matched is None else matched
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
    matched = match_entries(rows, rendered)
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


def import_command(path: str | None, slug: str | None, dry_run: bool = False) -> int:
    """`mogi import [PATH] [--pack SLUG] [--dry-run]`: every pack in one transaction.

    The plan (new, changed, renumbered, retired entries) is printed either way; --dry-run
    writes nothing and asks nothing. 0 on success."""
    target = Path(path) if path else get_settings().content_dir
    try:
        files = pack_files(target)
        if slug and len(files) > 1:
            raise PackImportError(
                f"{target}: --pack names one pack, but this folder holds {len(files)}"
            )
        with session_factory()() as session:
            try:
                results = [import_pack_file(session, f, slug=slug, dry_run=dry_run) for f in files]
                if dry_run:
                    session.rollback()
                else:
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
    if dry_run:
        print("dry run: nothing was written.")
    for result in results:
        print(result.summary())
    return 0

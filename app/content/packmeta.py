"""Who a pack is and where it came from: its sidecar NAME.toml beside NAME.md."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path

from app.content.models import Pack


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


def kept_meta(pack: Pack, meta: PackMeta) -> PackMeta:
    """meta, with what the stored pack says in place of what a missing sidecar left out."""
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

"""A pack's figures: the image files its answers reference, shipped beside it, stored with it."""

from __future__ import annotations

import hashlib
import mimetypes
from pathlib import Path

from sqlalchemy.orm import Session

from app.content import repository
from app.content.models import Pack, PackAsset
from app.content.parser import ParsedEntry
from app.content.render import ASSET_PREFIX, RenderContext, image_paths

IMAGE_TYPES = {".png", ".jpg", ".jpeg", ".gif", ".svg", ".webp"}


def find_figures(
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


def asset_url(slug: str, path: str, digest: str) -> str:
    # The digest in the query makes the URL change with the file: it may be cached for good.
    return f"{ASSET_PREFIX}{slug}/files/{path}?v={digest[:12]}"


def write_figures(session: Session, pack: Pack, figures: dict[str, tuple[str, Path]]) -> int:
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

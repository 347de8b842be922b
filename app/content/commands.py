"""`mogi import`: the packs of a folder (or one file), imported in one transaction.

The command owns its transaction as a request does: every pack is written, or none.
"""

from __future__ import annotations

import sys
from pathlib import Path

from sqlalchemy.exc import SQLAlchemyError

from app.config import get_settings
from app.content.importer import import_pack_file
from app.content.packmeta import PackImportError
from app.db import session_factory


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

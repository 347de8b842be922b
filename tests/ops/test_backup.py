"""`mogi backup` / `mogi restore`: a restore gives back exactly the data that was backed up."""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.auth.models import ApiToken
from app.db import make_engine
from app.migrate import upgrade_to_head
from app.models_registry import metadata
from tests.factories import make_token, make_user
from tests.ops.conftest import ROOT, mogi, mogi_env


def _snapshot(url: str) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table, in a stable order."""
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            return {
                table.name: sorted((tuple(row) for row in conn.execute(select(table))), key=repr)
                for table in metadata.sorted_tables
            }
    finally:
        engine.dispose()


def _change(url: str, username: str) -> None:
    engine = make_engine(url)
    try:
        with Session(engine) as session:
            user = make_user(session, username)
            make_token(session, user)
            session.commit()
    finally:
        engine.dispose()


def _run(url: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        mogi(*args), cwd=ROOT, env=mogi_env(url), capture_output=True, text=True, timeout=300
    )


def test_restore_gives_back_identical_data(fresh_url: str, tmp_path: Path) -> None:
    upgrade_to_head(fresh_url)
    assert _run(fresh_url, "import").returncode == 0
    _change(fresh_url, "backed-up-user")
    before = _snapshot(fresh_url)
    assert before["question"] and before["user_account"]

    backup = tmp_path / "backups" / "mogi.backup"
    done = _run(fresh_url, "backup", str(backup))
    assert done.returncode == 0, done.stderr
    assert backup.stat().st_size > 0

    _change(fresh_url, "later-user")
    engine = make_engine(fresh_url)
    with Session(engine) as session:  # and lose something that was backed up
        session.delete(session.scalars(select(ApiToken)).first())
        session.commit()
    engine.dispose()
    assert _snapshot(fresh_url) != before

    done = _run(fresh_url, "restore", str(backup))
    assert done.returncode == 0, done.stderr
    assert _snapshot(fresh_url) == before


def test_restore_of_something_else_fails_saying_so(fresh_url: str, tmp_path: Path) -> None:
    upgrade_to_head(fresh_url)
    bogus = tmp_path / "not-a-backup"
    bogus.write_text("hello")
    done = _run(fresh_url, "restore", str(bogus))
    assert done.returncode == 1
    assert str(bogus) in done.stderr or "pg_restore" in done.stderr
    missing = _run(fresh_url, "restore", str(tmp_path / "nothing-here"))
    assert missing.returncode == 1 and "does not exist" in missing.stderr

"""`mogi migrate` run by several processes at once: they take turns, and all succeed."""

from __future__ import annotations

import subprocess
import time

from alembic.script import ScriptDirectory
from sqlalchemy import inspect, text

from app.db import make_engine
from app.migrate import alembic_config, migration_lock
from tests.ops.conftest import ROOT, mogi, mogi_env

MIGRATORS = 4


def _head() -> str:
    head = ScriptDirectory.from_config(alembic_config("sqlite://")).get_current_head()
    assert head is not None
    return head


def _versions(url: str) -> list[str]:
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            if not inspect(conn).has_table("alembic_version"):
                return []
            return list(conn.execute(text("SELECT version_num FROM alembic_version")).scalars())
    finally:
        engine.dispose()


def test_concurrent_migrate_on_an_empty_database_all_succeed(fresh_url: str) -> None:
    procs = [
        subprocess.Popen(
            mogi("migrate"), cwd=ROOT, env=mogi_env(fresh_url), stderr=subprocess.PIPE, text=True
        )
        for _ in range(MIGRATORS)
    ]
    results = [(p.wait(timeout=120), p.stderr.read() if p.stderr else "") for p in procs]
    assert [code for code, _ in results] == [0] * MIGRATORS, results
    assert _versions(fresh_url) == [_head()]


def test_migrate_waits_while_another_holds_the_lock(fresh_url: str) -> None:
    with migration_lock(fresh_url):
        proc = subprocess.Popen(mogi("migrate"), cwd=ROOT, env=mogi_env(fresh_url))
        time.sleep(3)
        assert proc.poll() is None, "migrate ran while another migrator held the lock"
        assert _versions(fresh_url) == []
    assert proc.wait(timeout=120) == 0
    assert _versions(fresh_url) == [_head()]

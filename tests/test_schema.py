"""The migrations build exactly the tables the models describe: every table, both backends."""

from __future__ import annotations

import uuid

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy.orm import Session

import app.models_registry  # noqa: F401  every feature's tables in Base.metadata
from app.db import Base


# SQLite cannot reflect expression indexes (lower(username)); tests/auth checks that one by
# behaviour.
@pytest.mark.filterwarnings("ignore:Skipped unsupported reflection of expression-based index")
@pytest.mark.filterwarnings("ignore:autogenerate skipping metadata-specified expression-based")
def test_migrations_match_the_models_for_every_table(db: Session) -> None:
    context = MigrationContext.configure(db.connection(), opts={"compare_type": True})
    diffs = compare_metadata(context, Base.metadata)
    assert diffs == [], "\n".join(map(str, diffs))
    tables = set(Base.metadata.tables)
    assert {"question", "user_account", "card", "review_log", "demo_job"} <= tables


def test_times_come_back_aware_utc_and_naive_ones_are_refused(db: Session) -> None:
    from datetime import UTC, datetime, timedelta, timezone

    from sqlalchemy.exc import StatementError

    from app.auth.models import WebSession
    from tests.factories import make_user

    user = make_user(db)
    seoul = timezone(timedelta(hours=9))
    expires = datetime(2030, 1, 2, 9, 30, tzinfo=seoul)
    row = WebSession(user_id=user.id, token_hash=uuid.uuid4().hex * 2, expires_at=expires)
    db.add(row)
    db.commit()
    db.expire_all()
    stored = db.get(WebSession, row.id)
    assert stored is not None and stored.expires_at.tzinfo is UTC
    assert stored.expires_at == datetime(2030, 1, 2, 0, 30, tzinfo=UTC)
    stored.expires_at = datetime(2030, 1, 2)  # naive: which zone?
    try:
        db.flush()
        raise AssertionError("a naive datetime was stored")
    except StatementError as exc:
        assert "naive datetime" in str(exc)
    db.rollback()

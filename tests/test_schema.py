"""The migrations build exactly the tables the models describe: every table, both backends."""

from __future__ import annotations

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

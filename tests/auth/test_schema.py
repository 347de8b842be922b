"""The auth migration builds exactly the tables app/auth/models.py describes."""

from __future__ import annotations

from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

import app.models_registry  # noqa: F401  every feature's tables in Base.metadata
from app.auth import models
from app.db import Base
from tests.factories import make_user, unique_name

AUTH_TABLES = {
    m.__tablename__ for m in (models.User, models.WebSession, models.ApiToken, models.LoginFailure)
}


def _table_of(diff: Any) -> str | None:
    """The table a diff entry from compare_metadata is about."""
    entry = diff[0] if isinstance(diff, list) else diff
    for item in entry[1:]:
        table = getattr(item, "table", None)
        if table is not None:
            return str(table.name)
        name = getattr(item, "name", None)
        if isinstance(item, str) and item in AUTH_TABLES:
            return item
        if name in AUTH_TABLES:
            return str(name)
    return None


# SQLite cannot reflect the lower(username) index; the next test checks it by behaviour.
@pytest.mark.filterwarnings("ignore:Skipped unsupported reflection of expression-based index")
@pytest.mark.filterwarnings("ignore:autogenerate skipping metadata-specified expression-based")
def test_auth_migration_matches_the_models(db: Session) -> None:
    context = MigrationContext.configure(db.connection(), opts={"compare_type": True})
    diffs = [d for d in compare_metadata(context, Base.metadata) if _table_of(d) in AUTH_TABLES]
    assert diffs == []


def test_database_refuses_names_that_differ_only_in_case(db: Session) -> None:
    name = unique_name("Dup")
    make_user(db, username=name)
    with pytest.raises(IntegrityError):
        make_user(db, username=name.lower())
    db.rollback()

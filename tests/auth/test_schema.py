"""The auth tables enforce what the models promise (drift: tests/test_schema.py)."""

from __future__ import annotations

import pytest
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

import app.models_registry  # noqa: F401  every feature's tables in Base.metadata
from tests.factories import make_user, unique_name


def test_database_refuses_names_that_differ_only_in_case(db: Session) -> None:
    name = unique_name("Dup")
    make_user(db, username=name)
    with pytest.raises(IntegrityError):
        make_user(db, username=name.lower())
    db.rollback()

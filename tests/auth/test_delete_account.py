"""Deleting an account deletes every row it owns, in every feature's tables.

The tables are found at test time from Base.metadata, so a table another feature adds later
is covered without touching this file: it only needs a `user_id` column.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from datetime import date, datetime
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import (
    Column,
    ForeignKey,
    Integer,
    Table,
    delete,
    func,
    insert,
    select,
)
from sqlalchemy.orm import Session
from sqlalchemy.sql.schema import CheckConstraint

import app.models_registry  # noqa: F401  every feature's tables in Base.metadata
from app.db import Base, utcnow
from tests.factories import DEFAULT_PASSWORD, bearer, make_token, make_user

USER_TABLE = "user_account"


def user_tables() -> list[Table]:
    """Every table with a user_id column, in dependency order."""
    return [t for t in Base.metadata.sorted_tables if "user_id" in t.c and t.name != USER_TABLE]


def _references_users(fk: ForeignKey) -> bool:
    return fk.column.table.name == USER_TABLE


def _allowed_literal(table: Table, column: Column[Any]) -> str | None:
    """The first value a CHECK (... col IN ('a', 'b')) constraint allows, if there is one."""
    for constraint in table.constraints:
        if not isinstance(constraint, CheckConstraint):
            continue
        text = str(constraint.sqltext)
        match = re.search(rf"\b{column.name}\s+IN\s*\(\s*'([^']*)'", text, re.IGNORECASE)
        if match:
            return match.group(1)
    return None


def _fake_value(table: Table, column: Column[Any]) -> Any:
    """A plausible value of column's type (unique where it has to be)."""
    literal = _allowed_literal(table, column)
    if literal is not None:
        return literal
    enums = getattr(column.type, "enums", None)
    if enums:
        return enums[0]
    try:
        python_type = column.type.python_type
    except NotImplementedError:
        python_type = str
    if python_type is bool:
        return False
    if python_type is int:
        return uuid.uuid4().int % 1_000_000_000 if column.unique else 1
    if python_type is float:
        return 0.5
    if python_type is datetime:
        return utcnow()
    if python_type is date:
        return utcnow().date()
    if python_type is dict:
        return {}
    if python_type is list:
        return []
    if python_type is bytes:
        return b"x"
    length = getattr(column.type, "length", None) or 32
    return uuid.uuid4().hex[: max(1, min(length, 32))]


class RowMaker:
    """Inserts one row per (table, owner), following foreign keys to the rows they need."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self.made: dict[tuple[str, int | None], dict[str, Any]] = {}
        self.in_progress: set[str] = set()
        # Rows no user owns (a pack, a question), in the order they were made: the database
        # is shared by the whole run, so they are removed after the test (see `remove_rows`).
        self.shared: list[tuple[Table, dict[str, Any]]] = []

    def row(self, table: Table, user_id: int) -> dict[str, Any]:
        owner = user_id if "user_id" in table.c else None
        key = (table.name, owner)
        if key not in self.made:
            self.in_progress.add(table.name)
            values = {
                c.name: v
                for c in table.columns
                if (v := self._value(table, c, user_id)) is not None
            }
            result = self.session.connection().execute(insert(table).values(values))
            pk_names = table.primary_key.columns.keys()
            pk = dict(zip(pk_names, result.inserted_primary_key or (), strict=False))
            self.made[key] = {**values, **pk}
            if owner is None:
                self.shared.append((table, self.made[key]))
            self.in_progress.discard(table.name)
        return self.made[key]

    def remove_rows(self, session: Session, user_ids: list[int]) -> None:
        """Delete the users (their rows cascade) and the unowned rows this maker added."""
        users = Base.metadata.tables[USER_TABLE]
        session.execute(delete(users).where(users.c.id.in_(user_ids)))
        for table, row in reversed(self.shared):
            key = [column == row[column.name] for column in table.primary_key.columns]
            session.execute(delete(table).where(*key))
        session.commit()

    def _existing_or_new(self, table: Table, user_id: int) -> dict[str, Any]:
        if "user_id" not in table.c:
            found = self.session.connection().execute(select(table).limit(1)).mappings().first()
            if found is not None:
                return dict(found)
        return self.row(table, user_id)

    def _value(self, table: Table, column: Column[Any], user_id: int) -> Any:
        fk = next(iter(column.foreign_keys), None)
        if column.name == "user_id" or (fk is not None and _references_users(fk)):
            return user_id
        if fk is not None:
            target = fk.column.table
            owned = "user_id" in target.c
            if target.name in self.in_progress or (column.nullable and not owned):
                return None
            return self._existing_or_new(target, user_id)[fk.column.name]
        autoincrement = (
            column.primary_key
            and isinstance(column.type, Integer)
            and len(table.primary_key.columns) == 1
        )
        if autoincrement or column.nullable or column.default is not None:
            return None
        if column.server_default is not None:
            return None
        return _fake_value(table, column)


def test_every_user_id_column_cascades_from_the_account() -> None:
    for table in user_tables():
        fks = [fk for fk in table.c.user_id.foreign_keys if _references_users(fk)]
        assert fks, f"{table.name}.user_id does not reference {USER_TABLE}"
    for table in Base.metadata.sorted_tables:
        for fk in table.foreign_keys:
            if _references_users(fk):
                assert fk.ondelete == "CASCADE", f"{fk.parent} must be ON DELETE CASCADE"


def _counts(db: Session, user_id: int) -> dict[str, int]:
    return {
        t.name: db.scalar(select(func.count()).select_from(t).where(t.c.user_id == user_id)) or 0
        for t in user_tables()
    }


@pytest.fixture
def maker(db: Session) -> Iterator[RowMaker]:
    """A RowMaker on db; what it made (fake packs, fake queued demo jobs...) is removed after.

    Left behind, those rows would show up for every later test of the run: an extra pack on
    the practice page, a queued job a demo worker would pick up.
    """
    row_maker = RowMaker(db)
    yield row_maker
    db.rollback()
    row_maker.remove_rows(db, sorted({owner for _, owner in row_maker.made if owner}))


def test_deleting_an_account_removes_its_rows_in_every_table(
    web: TestClient, db: Session, maker: RowMaker
) -> None:
    alice, bob = make_user(db), make_user(db)
    alice_id, bob_id = alice.id, bob.id
    for table in user_tables():
        maker.row(table, alice_id)
        maker.row(table, bob_id)
    db.commit()
    token = make_token(db, alice)
    before = _counts(db, alice_id)
    assert {"api_token", "web_session"} <= set(before)
    assert all(n >= 1 for n in before.values()), before

    r = web.request(
        "DELETE", "/api/v1/users/me", json={"password": DEFAULT_PASSWORD}, headers=bearer(token)
    )
    assert r.status_code == 204, r.text
    db.expire_all()
    assert _counts(db, alice_id) == dict.fromkeys(before, 0)
    assert all(n >= 1 for n in _counts(db, bob_id).values())  # the other user keeps everything

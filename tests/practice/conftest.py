"""Fixtures of the practice tests: users with API tokens, and the seed pack imported."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
from sqlalchemy.orm import Session

from app.auth.models import User
from tests.factories import bearer, make_token, make_user

PACK = "deep-learning"


@dataclass
class ApiUser:
    """A user and the headers its API calls carry."""

    user: User
    token: str

    @property
    def headers(self) -> dict[str, str]:
        return bearer(self.token)


def new_api_user(db: Session) -> ApiUser:
    user = make_user(db)
    return ApiUser(user=user, token=make_token(db, user))


@pytest.fixture
def alice(db: Session, seeded: str) -> ApiUser:
    return new_api_user(db)


@pytest.fixture
def bob(db: Session, seeded: str) -> ApiUser:
    return new_api_user(db)


def start(
    client: Any,
    who: ApiUser,
    kind: str = "all",
    mode: str = "review",
    time_limit_s: int | None = None,
    **scope: Any,
) -> dict:
    """POST /sessions and return the created session (asserting 201)."""
    body: dict[str, Any] = {"scope": {"pack": PACK, "kind": kind, **scope}, "mode": mode}
    if time_limit_s is not None:
        body["time_limit_s"] = time_limit_s
    response = client.post("/api/v1/sessions", json=body, headers=who.headers)
    assert response.status_code == 201, response.text
    return response.json()

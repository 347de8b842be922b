"""Fixtures of the practice tests: users with API tokens, and the seed pack imported."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy.orm import Session

from tests.factories import ApiUser, new_api_user

PACK = "deep-learning"


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

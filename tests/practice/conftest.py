"""Helpers of the practice tests: a review session started through the API."""

from __future__ import annotations

from typing import Any

from tests.factories import ApiUser

PACK = "deep-learning"


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

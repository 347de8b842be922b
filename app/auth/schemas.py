"""Request and response bodies of the accounts API."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

# Generous caps only: the account policy (service.py) checks the rest and says what to fix,
# which a schema pattern error could not.
_NAME_CAP = 64
_PASSWORD_CAP = 1024

USERNAME_DOC = (
    "3-32 characters: letters A-Z a-z, digits, `_`, `.` and `-`; unique regardless of case."
)
PASSWORD_DOC = (
    "At least 10 characters; not the username, not one character repeated, not a common or "
    "sequential password."
)


class UserCreate(BaseModel):
    username: str = Field(max_length=_NAME_CAP, description=USERNAME_DOC, examples=["jiwoo"])
    password: str = Field(
        max_length=_PASSWORD_CAP, description=PASSWORD_DOC, examples=["gradient-descends-slowly"]
    )


class UserRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    username: str
    created_at: datetime


class TokenCreate(BaseModel):
    username: str = Field(max_length=_NAME_CAP, examples=["jiwoo"])
    password: str = Field(max_length=_PASSWORD_CAP, examples=["gradient-descends-slowly"])
    name: str = Field(
        default="API token",
        max_length=100,
        description="What the token is for, e.g. the client or machine using it.",
        examples=["laptop CLI"],
    )


class TokenRead(BaseModel):
    """A token as listed: never its secret."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    name: str
    prefix: str = Field(description="The secret's first characters, to tell tokens apart.")
    created_at: datetime
    last_used_at: datetime | None


class TokenCreated(BaseModel):
    """A new token. `token` is shown this once: only its hash is stored."""

    id: int
    name: str
    token: str = Field(description="Send as `Authorization: Bearer <token>`. Shown only once.")
    prefix: str
    created_at: datetime


class PasswordChange(BaseModel):
    current_password: str = Field(max_length=_PASSWORD_CAP)
    new_password: str = Field(max_length=_PASSWORD_CAP, description=PASSWORD_DOC)


class AccountDelete(BaseModel):
    password: str = Field(
        max_length=_PASSWORD_CAP, description="The account's password, to confirm."
    )


class Problem(BaseModel):
    """RFC 9457 problem details, the body of every API error."""

    type: str = "about:blank"
    title: str
    status: int
    detail: str
    code: str | None = Field(
        default=None, description="A stable machine-readable reason, e.g. `username_taken`."
    )
    errors: list[dict[str, Any]] | None = Field(
        default=None, description="Per-field problems: loc, msg, type (validation errors)."
    )


_RESPONSE_TEXT = {
    401: "Not authenticated, or wrong username or password.",
    403: "Forbidden: wrong password confirmation, or a missing CSRF header on a cookie call.",
    404: "Not found (also for another user's resource).",
    409: "Conflict: the username is taken, or too many tokens.",
    422: "Invalid input; `errors` says which field and what to fix.",
    429: "Too many failed password checks; wait `Retry-After` seconds.",
}


def problem_responses(*codes: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI `responses=` entries for the error statuses a route can answer."""
    problem = {"schema": {"$ref": "#/components/schemas/Problem"}}
    entries: dict[int | str, dict[str, Any]] = {}
    for code in codes:
        # `model` registers the schema; the body is sent as application/problem+json.
        entry: dict[str, Any] = {
            "model": Problem,
            "description": _RESPONSE_TEXT[code],
            "content": {"application/problem+json": problem},
        }
        if code == 429:
            entry["headers"] = {
                "Retry-After": {
                    "description": "Seconds until another attempt is allowed.",
                    "schema": {"type": "integer"},
                }
            }
        entries[code] = entry
    return entries

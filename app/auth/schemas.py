"""Request and response bodies of the accounts API."""

from __future__ import annotations

from datetime import datetime

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

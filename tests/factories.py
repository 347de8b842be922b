"""Typed factories for test data, written straight to the database."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy.orm import Session

from app.auth.models import ApiToken, User, WebSession
from app.auth.security import TOKEN_PREFIX, digest, hash_password, new_secret
from app.db import utcnow

DEFAULT_PASSWORD = "correct-horse-battery-staple"


def unique_name(prefix: str = "user") -> str:
    return f"{prefix}_{uuid.uuid4().hex[:10]}"


def make_user(db: Session, username: str | None = None, password: str = DEFAULT_PASSWORD) -> User:
    """A committed user."""
    user = User(username=username or unique_name(), password_hash=hash_password(password))
    db.add(user)
    db.commit()
    return user


def make_token(db: Session, user: User, name: str = "test") -> str:
    """A committed personal API token for user; returns the secret."""
    secret = new_secret(TOKEN_PREFIX)
    db.add(ApiToken(user_id=user.id, name=name, token_hash=digest(secret), prefix=secret[:12]))
    db.commit()
    return secret


def make_web_session(db: Session, user: User) -> str:
    """A committed browser session; returns the cookie value."""
    secret = new_secret()
    db.add(
        WebSession(
            user_id=user.id, token_hash=digest(secret), expires_at=utcnow() + timedelta(days=1)
        )
    )
    db.commit()
    return secret


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


@dataclass
class ApiUser:
    """A user and the headers its API calls carry."""

    user: User
    token: str

    @property
    def headers(self) -> dict[str, str]:
        return bearer(self.token)


def new_api_user(db: Session) -> ApiUser:
    """A committed user with a personal API token."""
    user = make_user(db)
    return ApiUser(user=user, token=make_token(db, user))


def csrf_for(client: Any) -> str:
    """The CSRF token a page would give this client: its nonce cookie signed with its session.

    With several cookies of one name in the jar, the server reads the last one sent.
    """
    from app.web import CSRF_COOKIE, SESSION_COOKIE, sign_csrf

    values = {cookie.name: cookie.value or "" for cookie in client.cookies.jar}
    return sign_csrf(values.get(CSRF_COOKIE, ""), values.get(SESSION_COOKIE, ""))


def browser_log_in(page: Any, db: Session, base: str) -> User:
    """Give a browser page a session cookie, as the login form would."""
    user = make_user(db)
    cookie = make_web_session(db, user)
    page.context.add_cookies([{"name": "mogi_session", "value": cookie, "url": base}])
    return user


def make_finished_run(db: Session, user_id: int, extra: dict[str, Any] | None = None) -> int:
    """A committed `activations` demo run, finished with a stored result: four points of
    history, a confusion matrix, no model weights. Returns its id."""
    from app.demos import service
    from app.demos.schemas import DemoCreate

    job = service.create_job(db, user_id, DemoCreate(experiment="activations"))
    history = [
        {"epoch": e / 4, "step": e, "loss": 2.3 - e / 4, "train_accuracy": 0.2 * e,
         "test_accuracy": 0.9 if e == 4 else None}
        for e in range(1, 5)
    ]  # fmt: skip
    matrix = [[100 if i == j else 1 for j in range(10)] for i in range(10)]
    job.status, job.result = "finished", {
        "device": "cpu", "torch_version": "2.13.0+cpu", "test_accuracy": 0.9, "test_loss": 0.3,
        "train_time_s": 1.5, "params_count": 1234, "history": history,
        "confusion_matrix": matrix, "samples": [], "layer_stats": [], "extra": extra or {},
    }  # fmt: skip
    db.commit()
    return job.id

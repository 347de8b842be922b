"""All SQL of the accounts feature."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from app.auth.models import ApiToken, LoginFailure, User, WebSession


def find_user_by_name(session: Session, username: str) -> User | None:
    """The user whose name matches regardless of case."""
    return session.scalar(select(User).where(func.lower(User.username) == username.lower()))


def add_user(session: Session, username: str, password_hash: str) -> User:
    user = User(username=username, password_hash=password_hash)
    session.add(user)
    session.flush()
    return user


def delete_user(session: Session, user_id: int) -> None:
    """Delete the account; every user-owned row goes with it through ON DELETE CASCADE."""
    session.execute(delete(User).where(User.id == user_id))


def add_web_session(session: Session, user_id: int, token_hash: str, expires_at: datetime) -> None:
    session.add(WebSession(user_id=user_id, token_hash=token_hash, expires_at=expires_at))
    session.flush()


def delete_web_session(session: Session, token_hash: str) -> None:
    session.execute(delete(WebSession).where(WebSession.token_hash == token_hash))


def delete_other_web_sessions(session: Session, user_id: int, keep_hash: str | None) -> int:
    """End every browser session of a user but the one whose hash is keep_hash."""
    stmt = delete(WebSession).where(WebSession.user_id == user_id)
    if keep_hash is not None:
        stmt = stmt.where(WebSession.token_hash != keep_hash)
    return session.execute(stmt).rowcount  # type: ignore[attr-defined]


def delete_expired_web_sessions(session: Session, user_id: int, now: datetime) -> None:
    session.execute(
        delete(WebSession).where(WebSession.user_id == user_id, WebSession.expires_at <= now)
    )


def add_api_token(
    session: Session, user_id: int, name: str, token_hash: str, prefix: str
) -> ApiToken:
    token = ApiToken(user_id=user_id, name=name, token_hash=token_hash, prefix=prefix)
    session.add(token)
    session.flush()
    return token


def list_api_tokens(session: Session, user_id: int) -> Sequence[ApiToken]:
    """A user's tokens, newest first."""
    return session.scalars(
        select(ApiToken)
        .where(ApiToken.user_id == user_id)
        .order_by(ApiToken.created_at.desc(), ApiToken.id.desc())
    ).all()


def count_api_tokens(session: Session, user_id: int) -> int:
    return session.scalar(select(func.count(ApiToken.id)).where(ApiToken.user_id == user_id)) or 0


def delete_api_token(session: Session, user_id: int, token_id: int) -> bool:
    """Delete a token only if user_id owns it; False when there was none to delete."""
    result = session.execute(
        delete(ApiToken).where(ApiToken.id == token_id, ApiToken.user_id == user_id)
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


def recent_failure_times(
    session: Session,
    *,
    since: datetime,
    limit: int,
    username: str | None = None,
    client_ip: str | None = None,
) -> list[datetime]:
    """Times of the latest `limit` failures since `since` for one username or one client IP."""
    stmt = select(LoginFailure.attempted_at).where(LoginFailure.attempted_at >= since)
    if username is not None:
        stmt = stmt.where(LoginFailure.username == username)
    if client_ip is not None:
        stmt = stmt.where(LoginFailure.client_ip == client_ip)
    stmt = stmt.order_by(LoginFailure.attempted_at.desc()).limit(limit)
    return list(session.scalars(stmt))


def add_login_failure(session: Session, username: str, client_ip: str, at: datetime) -> None:
    session.add(LoginFailure(username=username, client_ip=client_ip, attempted_at=at))
    session.flush()


def delete_login_failures_before(session: Session, cutoff: datetime) -> None:
    """Forget attempts that no window can count any more, so the table stays small."""
    session.execute(delete(LoginFailure).where(LoginFailure.attempted_at < cutoff))


def delete_login_failures_for(session: Session, username: str) -> None:
    session.execute(delete(LoginFailure).where(LoginFailure.username == username))

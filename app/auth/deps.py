"""Who is asking: the dependencies every feature uses to find the current user.

API clients send `Authorization: Bearer <token>`; browsers send the session cookie. A
cookie-authenticated API call that changes something must also carry the CSRF header.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated
from urllib.parse import quote

from fastapi import Depends, Request, Response
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy import select
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from app.auth.models import ApiToken, User, WebSession
from app.auth.security import SESSION_LIFETIME, digest
from app.config import get_settings
from app.db import SessionDep, utcnow
from app.errors import AppError
from app.web import SESSION_COOKIE, verify_csrf

TOKEN_USE_PRECISION = timedelta(minutes=1)
_BEARER_HINT = {"WWW-Authenticate": 'Bearer realm="mogi"'}
# Declares the scheme in the OpenAPI document (Swagger's "Authorize"); the header itself is
# read and checked below, so that a malformed one gets our 401, not a silent None.
bearer_scheme = HTTPBearer(
    auto_error=False,
    scheme_name="token",
    description="A personal API token: POST /api/v1/tokens, or the account page.",
)
BearerDep = Annotated[HTTPAuthorizationCredentials | None, Depends(bearer_scheme)]


def user_for_cookie(session: Session, cookie: str | None) -> User | None:
    """The user of a live browser session, or None."""
    if not cookie:
        return None
    row = session.execute(
        select(User, WebSession.expires_at)
        .join(WebSession, WebSession.user_id == User.id)
        .where(WebSession.token_hash == digest(cookie))
    ).first()
    if row is None or row.expires_at <= utcnow():
        return None
    return row.User


def user_for_token(session: Session, token: str) -> User | None:
    """The owner of a personal API token, or None; marks the token used."""
    api_token = session.scalar(select(ApiToken).where(ApiToken.token_hash == digest(token)))
    if api_token is None:
        return None
    now = utcnow()
    # A minute's precision is enough, and it keeps most API reads from becoming writes
    # (on SQLite every write takes the one database lock).
    last = api_token.last_used_at
    if last is None or now - last >= TOKEN_USE_PRECISION:
        api_token.last_used_at = now
    return session.get(User, api_token.user_id)


async def _bearer_or_cookie_user(request: Request, session: Session) -> User | None:
    header = request.headers.get("authorization")
    if header is not None:
        scheme, _, token = header.partition(" ")
        token = token.strip()
        if scheme.lower() != "bearer" or not token or " " in token:
            raise AppError(
                "bad_authorization",
                en="Authorization header must be 'Bearer <token>'.",
                ko="Authorization 헤더는 'Bearer <토큰>' 형식이어야 합니다.",
                status=401,
                headers=_BEARER_HINT,
            )
        # Off the event loop: on SQLite this write can wait for another request's commit,
        # and that commit needs the event loop to run.
        user = await run_in_threadpool(user_for_token, session, token)
        if user is None:
            raise AppError(
                "invalid_token",
                en="Invalid or revoked API token.",
                ko="API 토큰이 올바르지 않거나 폐기되었습니다.",
                status=401,
                headers=_BEARER_HINT,
            )
        return user
    cookie = request.cookies.get(SESSION_COOKIE)
    user = await run_in_threadpool(user_for_cookie, session, cookie) if cookie else None
    if user is not None:
        await verify_csrf(request)  # a cookie rides along on cross-site requests; a header does not
    return user


async def optional_api_user(
    request: Request, session: SessionDep, _bearer: BearerDep = None
) -> User | None:
    """The caller of an API route, if authenticated; a bad token is still a 401."""
    user = await _bearer_or_cookie_user(request, session)
    request.state.user = user
    return user


async def current_api_user(
    request: Request, session: SessionDep, _bearer: BearerDep = None
) -> User:
    """The caller of an API route; 401 problem details when nobody is authenticated."""
    user = await optional_api_user(request, session)
    if user is None:
        raise AppError(
            "not_authenticated",
            en="Authentication required: send 'Authorization: Bearer <token>'.",
            ko="인증이 필요합니다: 'Authorization: Bearer <토큰>'을 보내세요.",
            status=401,
            headers=_BEARER_HINT,
        )
    return user


async def load_user(request: Request, session: SessionDep) -> User | None:
    """Pages: the logged-in user from the session cookie (None when logged out)."""
    cookie = request.cookies.get(SESSION_COOKIE)
    # Most page views are anonymous: no cookie, no thread hop, no query.
    user = await run_in_threadpool(user_for_cookie, session, cookie) if cookie else None
    request.state.user = user
    return user


async def page_user(request: Request, session: SessionDep) -> User:
    """Pages that need an account: a logged-out visitor is sent to the login page."""
    user = await load_user(request, session)
    if user is None:
        location = "/login"
        if request.method in ("GET", "HEAD"):  # a form's POST target cannot be revisited
            target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
            location += f"?next={quote(target, safe='')}"
        raise AppError(
            "login_required",
            en="Log in first.",
            ko="로그인이 필요합니다.",
            status=303,
            headers={"Location": location},
        )
    return user


CurrentUser = Annotated[User, Depends(current_api_user)]
OptionalUser = Annotated[User | None, Depends(optional_api_user)]
PageUser = Annotated[User, Depends(page_user)]
PageOptionalUser = Annotated[User | None, Depends(load_user)]


def client_ip(request: Request) -> str:
    """The caller's address (behind a trusted proxy, uvicorn puts the forwarded one here)."""
    return request.client.host if request.client else "unknown"


def set_session_cookie(response: Response, secret: str) -> None:
    """Hand the browser its session: HttpOnly, SameSite=Lax, Secure behind HTTPS, 30 days."""
    response.set_cookie(
        SESSION_COOKIE,
        secret,
        max_age=int(SESSION_LIFETIME.total_seconds()),
        path="/",
        httponly=True,
        samesite="lax",
        secure=get_settings().secure_cookies,
    )


def clear_session_cookie(response: Response) -> None:
    response.delete_cookie(
        SESSION_COOKIE,
        path="/",
        httponly=True,
        samesite="lax",
        secure=get_settings().secure_cookies,
    )

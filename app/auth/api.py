"""JSON routes of the auth feature (under /api/v1): accounts and personal API tokens."""

from __future__ import annotations

from collections.abc import Sequence

from fastapi import APIRouter, Request, Response, status

from app.auth import service
from app.auth.deps import SESSION_COOKIE, CurrentUser, clear_session_cookie, client_ip
from app.auth.models import ApiToken, User
from app.auth.schemas import (
    AccountDelete,
    PasswordChange,
    TokenCreate,
    TokenCreated,
    TokenRead,
    UserCreate,
    UserRead,
)
from app.db import DbId, SessionDep
from app.errors import problem_responses

router = APIRouter(tags=["accounts"])


@router.post(
    "/users",
    status_code=status.HTTP_201_CREATED,
    response_model=UserRead,
    responses=problem_responses(409, 422),
)
def create_user(body: UserCreate, session: SessionDep) -> User:
    """Create an account. Then `POST /tokens` for a token to call the API with."""
    return service.register(session, body.username, body.password)


@router.get("/users/me", response_model=UserRead, responses=problem_responses(401))
def read_me(user: CurrentUser) -> User:
    """The authenticated user."""
    return user


@router.post(
    "/users/me/password",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=problem_responses(401, 403, 422, 429),
)
def change_password(
    body: PasswordChange, request: Request, user: CurrentUser, session: SessionDep
) -> None:
    """Change the password; every browser session but the caller's own ends. Tokens stay valid."""
    service.change_password(
        session,
        user,
        body.current_password,
        body.new_password,
        client_ip(request),
        keep_cookie=request.cookies.get(SESSION_COOKIE),
    )


@router.delete(
    "/users/me",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=problem_responses(401, 403, 422, 429),
)
def delete_me(
    body: AccountDelete,
    request: Request,
    response: Response,
    user: CurrentUser,
    session: SessionDep,
) -> None:
    """Delete the account and all its data (reviews, notes, tokens...), confirmed by password."""
    service.delete_account(session, user, body.password, client_ip(request))
    clear_session_cookie(response)


@router.post(
    "/tokens",
    status_code=status.HTTP_201_CREATED,
    response_model=TokenCreated,
    responses=problem_responses(401, 409, 422, 429),
)
def create_token(
    body: TokenCreate, request: Request, response: Response, session: SessionDep
) -> TokenCreated:
    """Log in with username and password for a personal API token, shown only in this answer.

    Failed logins are rate-limited per username and per client address (429 + Retry-After).
    """
    user = service.authenticate(session, body.username, body.password, client_ip(request))
    new = service.create_token(session, user, body.name)
    response.headers["Cache-Control"] = "no-store"  # the secret must not linger in a cache
    return TokenCreated(
        id=new.token.id,
        name=new.token.name,
        token=new.secret,
        prefix=new.token.prefix,
        created_at=new.token.created_at,
    )


@router.get("/tokens", response_model=list[TokenRead], responses=problem_responses(401))
def list_tokens(user: CurrentUser, session: SessionDep) -> Sequence[ApiToken]:
    """The caller's tokens, newest first; secrets are never shown again."""
    return service.list_tokens(session, user)


@router.delete(
    "/tokens/{token_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=problem_responses(401, 404),
)
def revoke_token(token_id: DbId, user: CurrentUser, session: SessionDep) -> None:
    """Revoke one of the caller's tokens (404 for an id that is not theirs)."""
    service.revoke_token(session, user, token_id)

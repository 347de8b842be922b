"""HTML routes of the auth feature: sign up, log in and out, the account page."""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import urlsplit

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response

from app.auth import service
from app.auth.deps import (
    SESSION_COOKIE,
    PageUser,
    clear_session_cookie,
    client_ip,
    load_user,
    set_session_cookie,
)
from app.auth.models import User
from app.db import DbId, SessionDep
from app.errors import AppError
from app.i18n import request_language
from app.practice.settings import user_time_zone
from app.web import render, verify_csrf

router = APIRouter(dependencies=[Depends(verify_csrf), Depends(load_user)], include_in_schema=False)

# No length limits here: the service refuses what is too long with a message the form shows
# next to its field (a validation error would lose the form).
FormText = Annotated[str, Form()]
OptionalText = Annotated[str, Form(max_length=2048)]
HOME = "/"
# Messages for ?done=..., so a redirect can say what happened without echoing any text.
_DONE = {
    "password": "비밀번호를 바꿨습니다. 다른 브라우저의 로그인은 끝났습니다.",
    "revoked": "토큰을 폐기했습니다.",
}


def safe_next(target: str | None) -> str | None:
    """target when it is a path on this site; None for anything that could leave it."""
    if not target or not target.startswith("/") or target.startswith("//"):
        return None
    if "\\" in target or any(ord(c) < 0x20 or ord(c) == 0x7F for c in target):
        return None  # browsers read "/\evil.com" as "//evil.com"
    parts = urlsplit(target)
    return target if not parts.scheme and not parts.netloc else None


def _redirect(url: str) -> RedirectResponse:
    return RedirectResponse(url, status_code=303)


def _logged_in(response: Response, secret: str) -> Response:
    set_session_cookie(response, secret)
    return response


def _form_page(
    request: Request, template: str, error: AppError | None, username: str, next: str | None
) -> Response:
    """A sign-up or login form, with the error (if any) in the visitor's language."""
    ctx: dict[str, Any] = {"username": username, "next": safe_next(next)}
    status = 200
    headers = None
    if error is not None:
        ctx["error"] = error.localized(request_language(request))
        ctx["error_field"] = error.field
        status, headers = error.status_code, error.headers or None
    return render(request, template, ctx, status_code=status, headers=headers)


# --- sign up, log in, log out -------------------------------------------------------------


def _signed_in(request: Request, session: SessionDep, user: User, next: str | None) -> Response:
    """A new browser session for the user, who goes on to `next` (or home). A new token at every
    sign-up and login: a session id planted before it is worth nothing after."""
    secret = service.start_web_session(session, user, request.cookies.get(SESSION_COOKIE))
    return _logged_in(_redirect(safe_next(next) or HOME), secret)


def _blank_form(request: Request, template: str, next: str | None) -> Response:
    """An empty sign-up or login form; someone already logged in goes on to `next`."""
    if request.state.user is not None:
        return _redirect(safe_next(next) or "/account")
    return _form_page(request, template, None, "", next)


@router.get("/register")
def register_page(request: Request, next: str | None = None) -> Response:
    return _blank_form(request, "auth/register.html", next)


@router.post("/register")
def register_submit(
    request: Request,
    session: SessionDep,
    username: FormText = "",
    password: FormText = "",
    next: OptionalText = "",
) -> Response:
    try:
        user = service.register(session, username, password)
    except AppError as exc:
        session.rollback()  # a lost race for the name leaves a failed flush behind
        return _form_page(request, "auth/register.html", exc, username, next)
    return _signed_in(request, session, user, next)


@router.get("/login")
def login_page(request: Request, next: str | None = None) -> Response:
    return _blank_form(request, "auth/login.html", next)


@router.post("/login")
def login_submit(
    request: Request,
    session: SessionDep,
    username: FormText = "",
    password: FormText = "",
    next: OptionalText = "",
) -> Response:
    try:
        user = service.authenticate(session, username, password, client_ip(request))
    except AppError as exc:
        return _form_page(request, "auth/login.html", exc, username, next)
    return _signed_in(request, session, user, next)


@router.post("/logout")
def logout(request: Request, session: SessionDep) -> Response:
    service.end_web_session(session, request.cookies.get(SESSION_COOKIE))
    response = _redirect(f"{HOME}?done=logout")
    clear_session_cookie(response)
    return response


# --- account page -------------------------------------------------------------------------


def _account_page(
    request: Request,
    session: SessionDep,
    user: User,
    *,
    status_code: int = 200,
    error: AppError | None = None,
    headers: dict[str, str] | None = None,
    **context: Any,
) -> Response:
    ctx: dict[str, Any] = {
        "user": user,
        "tokens": service.list_tokens(session, user),
        "time_zone": user_time_zone(session, user.id),
    }
    done = _DONE.get(request.query_params.get("done", ""))
    if done:
        ctx["notice"] = done
    if error is not None:
        ctx["error"] = error.localized(request_language(request))
        ctx["error_field"] = error.field
        ctx["error_form"] = context.pop("form", None)
        status_code, headers = error.status_code, error.headers or None
    ctx.update(context)
    return render(request, "auth/account.html", ctx, status_code=status_code, headers=headers)


@router.get("/account")
def account_page(request: Request, session: SessionDep, user: PageUser) -> Response:
    return _account_page(request, session, user)


@router.post("/account/password")
def account_password(
    request: Request,
    session: SessionDep,
    user: PageUser,
    current_password: FormText = "",
    new_password: FormText = "",
) -> Response:
    try:
        service.change_password(
            session,
            user,
            current_password,
            new_password,
            client_ip(request),
            keep_cookie=request.cookies.get(SESSION_COOKIE),
        )
    except AppError as exc:
        return _account_page(request, session, user, error=exc, form="password")
    return _redirect("/account?done=password")


@router.post("/account/tokens")
def account_create_token(
    request: Request, session: SessionDep, user: PageUser, name: FormText = ""
) -> Response:
    try:
        new = service.create_token(session, user, name)
    except AppError as exc:
        return _account_page(request, session, user, error=exc, form="token", token_name=name)
    # Rendered, not redirected: the secret must not travel through a URL or a cookie.
    return _account_page(
        request,
        session,
        user,
        new_token=new,
        status_code=201,
        headers={"Cache-Control": "no-store"},
    )


@router.post("/account/tokens/{token_id}/revoke")
def account_revoke_token(
    request: Request, session: SessionDep, user: PageUser, token_id: DbId
) -> Response:
    service.revoke_token(session, user, token_id)
    return _redirect("/account?done=revoked")


@router.post("/account/delete")
def account_delete(
    request: Request, session: SessionDep, user: PageUser, password: FormText = ""
) -> Response:
    try:
        service.delete_account(session, user, password, client_ip(request))
    except AppError as exc:
        return _account_page(request, session, user, error=exc, form="delete")
    request.state.user = None
    response = render(request, "auth/deleted.html")
    clear_session_cookie(response)
    return response

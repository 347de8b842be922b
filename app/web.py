"""Jinja2 templates, the page renderer and the CSRF token every form carries."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse, Response
from fastapi.templating import Jinja2Templates

from app.config import PROJECT_ROOT, get_settings
from app.errors import AppError
from app.i18n import LANG_COOKIE, LANGUAGES, request_language, translate
from app.local_time import local_time
from app.static_files import static_url

templates = Jinja2Templates(directory=str(PROJECT_ROOT / "templates"))
# Outside development, templates are read once: no stat() of template files on every render,
# which async routes would otherwise do on the event loop.
templates.env.auto_reload = get_settings().env == "development"
templates.env.globals["LANGUAGES"] = LANGUAGES
templates.env.globals["static_url"] = static_url
templates.env.globals["local_time"] = local_time

CSRF_COOKIE = "mogi_csrf"
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "x-csrf-token"
SESSION_COOKIE = "mogi_session"
UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


def sign_csrf(nonce: str, session_cookie: str) -> str:
    """The CSRF token for a browser's nonce cookie and session: an HMAC under MOGI_SECRET_KEY.

    Bound to the session, so a token seen by one login is worthless to another, and signed,
    so a cookie planted from a sibling subdomain cannot come with a matching token.
    """
    session_digest = hashlib.sha256(session_cookie.encode()).hexdigest()
    message = f"csrf|{nonce}|{session_digest}".encode()
    key = get_settings().secret_key.encode()
    return hmac.new(key, message, hashlib.sha256).hexdigest()


def csrf_token(request: Request) -> str:
    """The request's CSRF token, from its nonce cookie (or a new one that render() will set)."""
    nonce = request.cookies.get(CSRF_COOKIE) or getattr(request.state, "new_csrf", None)
    if not nonce:
        nonce = secrets.token_urlsafe(32)
        request.state.new_csrf = nonce
    return sign_csrf(nonce, request.cookies.get(SESSION_COOKIE, ""))


async def verify_csrf(request: Request) -> None:
    """Reject an unsafe request whose form field or header is not the token of its cookies.

    A page on another origin can make the browser send our cookies but can neither read them
    nor compute their signature, so it cannot put the right token in a form. Used as a
    dependency on every router that serves pages and on cookie-authenticated API calls.
    """
    if request.method not in UNSAFE_METHODS:
        return
    nonce = request.cookies.get(CSRF_COOKIE, "")
    sent = request.headers.get(CSRF_HEADER, "")
    if not sent:
        content_type = request.headers.get("content-type", "")
        if content_type.startswith(("application/x-www-form-urlencoded", "multipart/form-data")):
            form = await request.form()
            value = form.get(CSRF_FIELD, "")
            sent = value if isinstance(value, str) else ""
    expected = sign_csrf(nonce, request.cookies.get(SESSION_COOKIE, "")) if nonce else ""
    if not expected or not sent or not hmac.compare_digest(expected, sent):
        raise AppError(
            "csrf_invalid",
            en="The security token is missing or wrong (CSRF). Reload the page and try again.",
            ko="보안 토큰이 없거나 맞지 않습니다. 페이지를 새로 고친 뒤 다시 시도하세요.",
            status=403,
        )


def finish_response(request: Request, response: Response) -> Response:
    """Set the cookies a page owes its visitor: a new CSRF token, a chosen language."""
    new = getattr(request.state, "new_csrf", None)
    if new:
        response.set_cookie(
            CSRF_COOKIE,
            new,
            httponly=False,
            samesite="lax",
            secure=get_settings().secure_cookies,
            path="/",
        )
    lang = request.query_params.get("lang")
    if lang in LANGUAGES and request.cookies.get(LANG_COOKIE) != lang:
        response.set_cookie(LANG_COOKIE, lang, max_age=365 * 86400, samesite="lax", path="/")
    return response


def render(
    request: Request,
    template: str,
    context: dict[str, Any] | None = None,
    status_code: int = 200,
    headers: dict[str, str] | None = None,
) -> Response:
    """Render a page with the layout's globals: language, _(), user, CSRF token."""
    lang = request_language(request)
    ctx: dict[str, Any] = {
        "request": request,
        "lang": lang,
        "_": lambda text, **kw: translate(text, lang, **kw),
        "current_user": getattr(request.state, "user", None),
        "csrf_token": csrf_token(request),
        "path": request.url.path,
    }
    ctx.update(context or {})
    response = templates.TemplateResponse(
        request, template, ctx, status_code=status_code, headers=headers
    )
    return finish_response(request, response)


def render_error_page(
    request: Request, status: int, title: str, detail: str, headers: dict[str, str] | None = None
) -> Response:
    """The HTML face of an error: the same message the API would give, in the layout."""
    try:
        return render(
            request,
            "error.html",
            {"status": status, "title": title, "detail": detail},
            status_code=status,
            headers=headers,
        )
    except Exception:  # the layout itself failed: still answer with the message
        return HTMLResponse(f"<h1>{status}</h1>", status_code=status, headers=headers)

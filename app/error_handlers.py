"""The handlers that turn errors into problem details for the API or a page for a browser.

The API's `detail` is always English; a page shows the message in the request's language.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import Response
from sqlalchemy.exc import DataError, SQLAlchemyError
from starlette.exceptions import HTTPException as StarletteHTTPException

from app.errors import (
    AppError,
    DatabaseUnavailable,
    database_fault,
    problem_json,
    status_title,
    too_many_bytes,
    wants_json,
)
from app.i18n import request_language, translate
from app.web import SESSION_COOKIE, render_error_page

log = logging.getLogger("mogi.errors")

# The page title of each status, in Korean (English in app/messages.py).
_PAGE_TITLES = {
    400: "잘못된 요청",
    401: "로그인 필요",
    403: "허용되지 않음",
    404: "찾을 수 없음",
    405: "허용되지 않는 방법",
    409: "지금은 할 수 없음",
    413: "너무 큼",
    422: "잘못된 입력",
    429: "요청이 너무 많음",
    500: "서버 오류",
    503: "잠시 이용할 수 없음",
}

# What a page says for an error that came without a message of ours: (Korean, English).
_STATUS_TEXT = {
    404: ("페이지를 찾을 수 없습니다.", "Page not found."),
    405: ("이 주소는 그런 요청을 받지 않습니다.", "This address does not take that request."),
    500: ("서버에서 문제가 생겼습니다.", "Something went wrong on our side."),
}


def error_response(request: Request, error: AppError) -> Response:
    """Problem details (English detail) for the API, the error page in its language for pages."""
    if wants_json(request):
        # Both languages ride along for the pages whose scripts call the API.
        messages = {"en": error.message, "ko": error.localized("ko")}
        return problem_json(
            error.status_code,
            error.message,
            title=error.title,
            headers=error.headers or None,
            extra={**error.extra, "messages": messages},
        )
    lang = request_language(request)
    title = translate(_PAGE_TITLES.get(error.status_code, "오류"), lang)
    detail = error.localized(lang)
    return render_error_page(
        request, error.status_code, title, detail, headers=error.headers or None
    )


def _status_error(
    request: Request, status: int, headers: Mapping[str, str] | None = None
) -> AppError:
    """Our message for an HTTP error raised without one (an unknown address, a body too big)."""
    if status == 413:
        return too_many_bytes(getattr(request.state, "body_limit", 1024 * 1024))
    fallback = ("요청을 처리할 수 없습니다.", "The request could not be handled.")
    ko, en = _STATUS_TEXT.get(status, fallback)
    return AppError(
        status_title(status).lower().replace(" ", "_"),
        en=en,
        ko=ko,
        status=status,
        headers=dict(headers) if headers else None,
    )


def invalid_input(exc: RequestValidationError, request: Request) -> AppError:
    """A validation failure as one readable sentence; an address that fails is not found."""
    errors: list[dict[str, Any]] = [
        {
            "loc": [str(p) for p in e.get("loc", ())],
            "msg": e.get("msg", ""),
            "type": e.get("type", ""),
        }
        for e in exc.errors()
    ]
    if any(e["loc"][:1] == ["path"] for e in errors) and not wants_json(request):
        # /practice/sessions/abc names nothing that could exist: for a person, not found.
        return AppError(
            "invalid_address",
            en="This address is not valid: there is no such page.",
            ko="잘못된 주소입니다. 그런 페이지는 없습니다.",
            status=404,
        )
    first = errors[0] if errors else {"loc": [], "msg": "invalid input"}
    where = ", ".join(f"'{e['loc'][-1]}'" for e in errors if len(e["loc"]) > 1)
    return AppError(
        "invalid_input",
        en="The request is not valid: check {where} ({msg}).",
        ko="입력이 올바르지 않습니다: {where}을(를) 확인하세요.",
        status=422,
        extra={"errors": errors},
        where=where or "the input",
        msg=_readable(str(first["msg"])),
    )


def _readable(msg: str) -> str:
    """pydantic's message without its "Value error, " label (our validators' own sentence)."""
    return msg.removeprefix("Value error, ").rstrip(".") or "invalid input"


async def _identify(request: Request, status: int) -> None:
    """Find who a page's error is shown to when no route got that far (an unknown address, a
    malformed one), so the layout shows them logged in. Never for a database fault: the lookup
    would only meet the same fault."""
    if hasattr(request.state, "user") or status == 503 or wants_json(request):
        return
    from app.auth.deps import user_for_cookie  # late: auth's dependencies use the page renderer
    from app.db import run_db

    cookie = request.cookies.get(SESSION_COOKIE)
    request.state.user = None
    if cookie:
        try:
            request.state.user = await run_db(user_for_cookie, cookie)
        except Exception as exc:  # an error page must not fail for want of a name
            log.warning("no user for an error page: %s", type(exc).__name__)


def install_error_handlers(app: FastAPI) -> None:
    """Register the handlers: AppError, HTTP errors, validation errors and the last resort."""

    @app.exception_handler(AppError)
    async def _app_error(request: Request, exc: AppError) -> Response:
        await _identify(request, exc.status_code)
        return error_response(request, exc)

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(request: Request, exc: StarletteHTTPException) -> Response:
        await _identify(request, exc.status_code)
        return error_response(request, _status_error(request, exc.status_code, exc.headers))

    @app.exception_handler(RequestValidationError)
    async def _validation_error(request: Request, exc: RequestValidationError) -> Response:
        error = invalid_input(exc, request)
        await _identify(request, error.status_code)
        return error_response(request, error)

    @app.exception_handler(DataError)
    async def _data_error(request: Request, exc: DataError) -> Response:
        # Input that passed validation but that the database cannot store, like a NUL
        # character in PostgreSQL text: the client's mistake, not ours.
        log.warning(
            "database refused a value on %s %s: %s", request.method, request.url.path, exc.orig
        )
        error = AppError(
            "unstorable_value",
            en="A value cannot be stored: it holds a character text may not contain (such as "
            "NUL) or is out of range.",
            ko="저장할 수 없는 값입니다: 글에 넣을 수 없는 문자(NUL 등)가 있거나 "
            "범위를 벗어났습니다.",
            status=422,
        )
        return error_response(request, error)

    @app.exception_handler(SQLAlchemyError)
    async def _database_error(request: Request, exc: SQLAlchemyError) -> Response:
        reason = database_fault(exc)
        if reason is None:
            return await _unexpected(request, exc)
        # The database is away, locked past its budget, read-only or full: the client gets a
        # 503 it can retry, and the log says why.
        log.warning(
            "database fault on %s %s: %s",
            request.method,
            request.url.path,
            str(exc).splitlines()[0][:300],
            extra={"reason": reason},
        )
        return await _app_error(request, DatabaseUnavailable(reason))

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> Response:
        log.exception("unhandled error on %s %s", request.method, request.url.path)
        return error_response(request, _status_error(request, 500))

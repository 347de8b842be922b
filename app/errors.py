"""The one error type, and the handlers that turn it into problem details or a page."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from sqlalchemy.exc import DataError, SQLAlchemyError
from starlette.exceptions import HTTPException as StarletteHTTPException

log = logging.getLogger("mogi.errors")


class AppError(Exception):
    """An expected failure with the status code and message a client should see."""

    def __init__(
        self,
        message: str,
        status_code: int = 400,
        *,
        title: str | None = None,
        headers: dict[str, str] | None = None,
        extra: dict[str, Any] | None = None,
        page_message: str | None = None,
    ) -> None:
        super().__init__(message)
        self.page_message = page_message
        self.message = message
        self.status_code = status_code
        self.title = title
        self.headers = headers or {}
        self.extra = extra or {}


# Why the database could not serve a request: (API detail, page text in Korean, Retry-After s).
_DB_FAULTS = {
    "busy": (
        "The server is busy: too many requests are waiting for the database. Try again shortly.",
        "지금 요청이 많아 처리하지 못했습니다. 잠시 후 다시 시도해 주세요.",
        2,
    ),
    "unreachable": (
        "The database is not reachable right now. Try again shortly.",
        "데이터베이스에 연결할 수 없습니다. 잠시 후 다시 시도해 주세요.",
        5,
    ),
    "read_only": (
        "The database is read-only right now, so nothing can be saved. Try again later.",
        "데이터베이스가 읽기 전용이라 저장할 수 없습니다. 잠시 후 다시 시도해 주세요.",
        30,
    ),
    "disk_full": (
        "The database's disk is full, so nothing can be saved. Try again later.",
        "데이터베이스 디스크가 가득 차 저장할 수 없습니다. 잠시 후 다시 시도해 주세요.",
        30,
    ),
    "timeout": (
        "The database did not answer in time. Try again shortly.",
        "데이터베이스가 제때 응답하지 않았습니다. 잠시 후 다시 시도해 주세요.",
        5,
    ),
}


class DatabaseUnavailable(AppError):
    """The database cannot serve this request now: a 503 that tells the client when to retry."""

    def __init__(self, reason: str) -> None:
        detail, page_text, retry_s = _DB_FAULTS[reason]
        super().__init__(
            detail,
            503,
            headers={"Retry-After": str(retry_s)},
            extra={"reason": reason},
            page_message=page_text,
        )
        self.reason = reason


def database_fault(exc: BaseException) -> str | None:
    """The kind of database fault exc is (a key of _DB_FAULTS), or None for other errors."""
    from sqlalchemy import exc as sa

    if isinstance(exc, sa.TimeoutError):  # no pooled connection came free in time
        return "busy"
    if not isinstance(exc, sa.DBAPIError) or isinstance(exc, sa.IntegrityError | sa.DataError):
        return None
    text = str(exc.orig).lower()
    sqlstate = getattr(exc.orig, "sqlstate", None) or ""
    if "readonly" in text or "read-only" in text or sqlstate == "25006":
        return "read_only"
    if "disk is full" in text or "database or disk is full" in text or sqlstate == "53100":
        return "disk_full"
    if "database is locked" in text or sqlstate in ("57014", "55P03"):  # busy, timeouts
        return "timeout"
    if isinstance(exc, sa.OperationalError | sa.InterfaceError) or exc.connection_invalidated:
        return "unreachable"
    return None


class NotFound(AppError):
    def __init__(self, message: str = "Not found") -> None:
        super().__init__(message, 404)


_TITLES = {
    400: "Bad Request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not Found",
    405: "Method Not Allowed",
    409: "Conflict",
    413: "Payload Too Large",
    422: "Unprocessable Content",
    429: "Too Many Requests",
    500: "Internal Server Error",
    503: "Service Unavailable",
}


def wants_json(request: Request) -> bool:
    """API paths, and clients that ask for JSON, get problem details; browsers get a page."""
    if request.url.path.startswith("/api/") or request.url.path == "/healthz":
        return True
    accept = request.headers.get("accept", "")
    return "application/json" in accept and "text/html" not in accept


def problem_response(
    request: Request,
    status: int,
    detail: str,
    *,
    title: str | None = None,
    headers: dict[str, str] | None = None,
    extra: dict[str, Any] | None = None,
    page_message: str | None = None,
) -> Response:
    """Problem details for the API, the error page (page_message, translated) for browsers."""
    title = title or _TITLES.get(status, "Error")
    if wants_json(request):
        body = {"type": "about:blank", "title": title, "status": status, "detail": detail}
        body.update(extra or {})
        return JSONResponse(
            body, status_code=status, headers=headers, media_type="application/problem+json"
        )
    from app.i18n import request_language, translate
    from app.web import render_error_page  # late: web imports templates which import errors

    if page_message:
        detail = translate(page_message, request_language(request))
    return render_error_page(request, status, title, detail, headers=headers)


async def _identify(request: Request, status: int) -> None:
    """Find who a page's error is shown to when no route got that far (an unknown address, a
    malformed one), so the layout shows them logged in. Never for a database fault: the lookup
    would only meet the same fault."""
    if hasattr(request.state, "user") or status == 503 or wants_json(request):
        return
    from app.auth.deps import user_for_cookie  # late: auth's dependencies raise our errors
    from app.db import run_db
    from app.web import SESSION_COOKIE

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
        return problem_response(
            request,
            exc.status_code,
            exc.message,
            title=exc.title,
            headers=exc.headers,
            extra=exc.extra,
            page_message=exc.page_message,
        )

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(request: Request, exc: StarletteHTTPException) -> Response:
        await _identify(request, exc.status_code)
        detail = exc.detail if isinstance(exc.detail, str) else str(exc.detail)
        return problem_response(
            request, exc.status_code, detail, headers=getattr(exc, "headers", None)
        )

    @app.exception_handler(RequestValidationError)
    async def _validation_error(request: Request, exc: RequestValidationError) -> Response:
        await _identify(request, 422)
        errors = [
            {
                "loc": [str(p) for p in e.get("loc", ())],
                "msg": e.get("msg", ""),
                "type": e.get("type", ""),
            }
            for e in exc.errors()
        ]
        loc: list[str] = errors[0]["loc"] if errors else []
        msg = str(errors[0]["msg"]) if errors else "invalid input"
        detail = f"{'.'.join(loc)}: {msg}" if loc else msg
        return problem_response(request, 422, detail, extra={"errors": errors})

    @app.exception_handler(DataError)
    async def _data_error(request: Request, exc: DataError) -> Response:
        # Input that passed validation but that the database cannot store, like a NUL
        # character in PostgreSQL text: the client's mistake, not ours.
        log.warning(
            "database refused a value on %s %s: %s", request.method, request.url.path, exc.orig
        )
        return problem_response(
            request,
            422,
            "A value cannot be stored: it holds a character text may not contain (such as NUL) "
            "or is out of range.",
        )

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
        return problem_response(request, 500, "Something went wrong on our side.")

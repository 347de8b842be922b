"""The one error type, and the handlers that turn it into problem details or a page."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from sqlalchemy.exc import DataError
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
    ) -> None:
        super().__init__(message)
        self.message = message
        self.status_code = status_code
        self.title = title
        self.headers = headers or {}
        self.extra = extra or {}


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
) -> Response:
    title = title or _TITLES.get(status, "Error")
    if wants_json(request):
        body = {"type": "about:blank", "title": title, "status": status, "detail": detail}
        body.update(extra or {})
        return JSONResponse(
            body, status_code=status, headers=headers, media_type="application/problem+json"
        )
    from app.web import render_error_page  # late: web imports templates which import errors

    return render_error_page(request, status, title, detail, headers=headers)


def install_error_handlers(app: FastAPI) -> None:
    """Register the handlers: AppError, HTTP errors, validation errors and the last resort."""

    @app.exception_handler(AppError)
    async def _app_error(request: Request, exc: AppError) -> Response:
        return problem_response(
            request,
            exc.status_code,
            exc.message,
            title=exc.title,
            headers=exc.headers,
            extra=exc.extra,
        )

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(request: Request, exc: StarletteHTTPException) -> Response:
        detail = exc.detail if isinstance(exc.detail, str) else str(exc.detail)
        return problem_response(
            request, exc.status_code, detail, headers=getattr(exc, "headers", None)
        )

    @app.exception_handler(RequestValidationError)
    async def _validation_error(request: Request, exc: RequestValidationError) -> Response:
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

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> Response:
        log.exception("unhandled error on %s %s", request.method, request.url.path)
        return problem_response(request, 500, "Something went wrong on our side.")

"""The one error type, which carries its code and both languages, and the helper that declares
a route's error responses. The handlers that turn errors into problem details or a page live in
app/error_handlers.py, which may import the page renderer; this module imports none of ours."""

from __future__ import annotations

from typing import Any

from fastapi import Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field


class AppError(Exception):
    """An expected failure: a stable code, the message in English and Korean, a status.

    The API's problem details carry `code` and the English message as `detail`; a page shows
    the message in its own language. `en` and `ko` are str.format templates over params.
    `field` names the form field the message belongs to, so a form can show it inline.
    """

    def __init__(
        self,
        code: str,
        *,
        en: str,
        ko: str,
        status: int = 400,
        field: str | None = None,
        headers: dict[str, str] | None = None,
        extra: dict[str, Any] | None = None,
        title: str | None = None,
        **params: Any,
    ) -> None:
        self.code = code
        self.en = en
        self.ko = ko
        self.params = params
        self.status_code = status
        self.field = field
        self.title = title
        self.headers = headers or {}
        self.extra = {"code": code, **(extra or {})}
        if field is not None and "errors" not in self.extra:
            self.extra["errors"] = [{"loc": ["body", field], "msg": self.message, "type": code}]
        super().__init__(self.message)

    @property
    def message(self) -> str:
        """The English message: the API's `detail`."""
        return self.en.format(**self.params) if self.params else self.en

    def localized(self, lang: str) -> str:
        """The message in lang ("ko" or "en")."""
        if lang != "ko":
            return self.message
        return self.ko.format(**self.params) if self.params else self.ko


class NotFound(AppError):
    """A 404 for something named in the address: what was asked for, in both languages."""

    def __init__(
        self, en: str = "Not found.", ko: str = "찾을 수 없습니다.", **params: Any
    ) -> None:
        super().__init__("not_found", en=en, ko=ko, status=404, **params)


def too_many_bytes(limit_bytes: int, sent_bytes: int | None = None) -> AppError:
    """A 413 that states the limit in the units the form states it (16 MiB, not bytes)."""
    return AppError(
        "too_large",
        en="The upload is larger than the {limit} allowed here{sent}.",
        ko="{limit}까지 보낼 수 있습니다. 보낸 내용{sent_ko}이 그보다 큽니다.",
        status=413,
        limit=human_size(limit_bytes),
        sent=f" ({sent_bytes:,} bytes sent)" if sent_bytes else "",
        sent_ko=f"({sent_bytes:,}바이트)" if sent_bytes else "",
    )


def human_size(n: int) -> str:
    """16 MiB, 512 KiB, 100 bytes: a size as a person reads it."""
    for unit, size in (("MiB", 1024 * 1024), ("KiB", 1024)):
        if n >= size:
            return f"{n / size:,.1f}".removesuffix(".0") + f" {unit}"
    return f"{n:,} bytes"


def too_long(field: str, limit: int, length: int, *, en_name: str, ko_subject: str) -> AppError:
    """A 422 for text past its limit: counted and refused, never cut."""
    return AppError(
        "too_long",
        en="{en_name} can be at most {limit:,} characters (this one has {length:,}).",
        ko="{ko_subject} {limit:,}자까지 쓸 수 있습니다 (지금 {length:,}자).",
        status=422,
        field=field,
        en_name=en_name,
        ko_subject=ko_subject,
        limit=limit,
        length=length,
    )


# Why the database could not serve a request: (English, Korean, Retry-After seconds).
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
        en, ko, retry_s = _DB_FAULTS[reason]
        super().__init__(
            "database_unavailable",
            en=en,
            ko=ko,
            status=503,
            headers={"Retry-After": str(retry_s)},
            extra={"reason": reason},
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


class Problem(BaseModel):
    """RFC 9457 problem details, the body of every API error."""

    type: str = "about:blank"
    title: str
    status: int
    detail: str = Field(description="What went wrong, in a readable English sentence.")
    code: str | None = Field(
        default=None, description="A stable machine-readable reason, e.g. `username_taken`."
    )
    errors: list[dict[str, Any]] | None = Field(
        default=None, description="Per-field problems: loc, msg, type (validation errors)."
    )
    messages: dict[str, str] | None = Field(
        default=None,
        description="The message in each language (`en` is `detail`, `ko` Korean), for pages.",
    )


_RESPONSE_TEXT = {
    400: "Bad request.",
    401: "Not authenticated, or wrong username or password.",
    403: "Forbidden: wrong password confirmation, or a missing CSRF header on a cookie call.",
    404: "Not found (also for another user's resource).",
    409: "Not possible in the current state (`code` says why).",
    413: "The body is larger than the limit `detail` states.",
    422: "Invalid input; `errors` says which field and what to fix.",
    429: "Too many attempts; wait `Retry-After` seconds.",
    503: "The database cannot serve the request now; retry after `Retry-After` seconds.",
}


def problem_responses(*statuses: int, **described: str) -> dict[int | str, dict[str, Any]]:
    """OpenAPI `responses=` entries for the error statuses a route can answer.

    A route may say more about a status than the common text: problem_responses(404, 422,
    s422="not a Mogi export").
    """
    schema = {"schema": {"$ref": "#/components/schemas/Problem"}}
    entries: dict[int | str, dict[str, Any]] = {}
    for status in statuses:
        # `model` registers the schema; the body is sent as application/problem+json.
        entry: dict[str, Any] = {
            "model": Problem,
            "description": described.get(f"s{status}", _RESPONSE_TEXT[status]),
            "content": {"application/problem+json": schema},
        }
        if status in (429, 503):
            entry["headers"] = {
                "Retry-After": {
                    "description": "Seconds until another attempt is worth making.",
                    "schema": {"type": "integer"},
                }
            }
        entries[status] = entry
    return entries


def problem_json(
    status: int,
    detail: str,
    *,
    title: str | None = None,
    headers: dict[str, str] | None = None,
    extra: dict[str, Any] | None = None,
) -> JSONResponse:
    """An RFC 9457 problem details response."""
    body = {"type": "about:blank", "title": title or status_title(status), "status": status}
    body["detail"] = detail
    body.update(extra or {})
    return JSONResponse(
        body, status_code=status, headers=headers, media_type="application/problem+json"
    )


def status_title(status: int) -> str:
    """The standard reason phrase of status."""
    return _TITLES.get(status, "Error")


def document_validation_errors(schema: dict[str, Any]) -> dict[str, Any]:
    """FastAPI documents each route's 422 as its own HTTPValidationError JSON; Mogi answers
    every 422 with problem details (with `errors`), so the document says so."""
    problem = {"schema": {"$ref": "#/components/schemas/Problem"}}
    for methods in schema.get("paths", {}).values():
        for operation in methods.values():
            response = operation.get("responses", {}).get("422")
            if response and "application/problem+json" not in response.get("content", {}):
                response["description"] = _RESPONSE_TEXT[422]
                response["content"] = {"application/problem+json": problem}
    components = schema.get("components", {}).get("schemas", {})
    for unused in ("HTTPValidationError", "ValidationError"):
        components.pop(unused, None)
    return schema

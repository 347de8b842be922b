"""Request body limits that answer like every other error: problem details, or the error page.

Starlette's own limiter answers a body whose declared Content-Length is too large with a bare
text response; this middleware refuses such a request before the app runs, and lets Starlette's
limiter count streamed bodies (whose overflow surfaces inside the app, as a 413 we render).
"""

from __future__ import annotations

from starlette.middleware.body_limit import RequestBodyLimitMiddleware
from starlette.requests import Request
from starlette.types import ASGIApp, Receive, Scope, Send

from app.errors import problem_response


def _declared_length(scope: Scope) -> int | None:
    for name, value in scope.get("headers", ()):
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None
    return None


class BodyLimitMiddleware:
    """Refuse bodies over the limit of their path (default_limit unless path_limits names it)."""

    def __init__(self, app: ASGIApp, default_limit: int, path_limits: dict[str, int]) -> None:
        self.app = app
        self.default_limit = default_limit
        self.path_limits = path_limits
        limits = {default_limit, *path_limits.values()}
        self._counted = {limit: RequestBodyLimitMiddleware(app, limit) for limit in limits}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.path_limits.get(scope["path"], self.default_limit)
        declared = _declared_length(scope)
        if declared is not None and declared > limit:
            detail = f"The request body is {declared:,} bytes; the limit here is {limit:,} bytes."
            response = problem_response(Request(scope, receive), 413, detail)
            await response(scope, receive, send)
            return
        await self._counted[limit](scope, receive, send)

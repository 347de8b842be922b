"""Request body limits that answer like every other error: problem details, or the error page.

Starlette's own limiter answers a body whose declared Content-Length is too large with a bare
text response; this middleware refuses such a request before the app runs, and lets Starlette's
limiter count streamed bodies (whose overflow surfaces inside the app, as a 413 we render).
"""

from __future__ import annotations

from starlette.middleware.body_limit import RequestBodyLimitMiddleware
from starlette.requests import Request
from starlette.types import ASGIApp, Receive, Scope, Send

from app.error_handlers import error_response
from app.errors import too_many_bytes

# Room for the multipart or JSON wrapping around a file sent at its stated limit.
WRAPPING_BYTES = 1024 * 1024


def _declared_length(scope: Scope) -> int | None:
    for name, value in scope.get("headers", ()):
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None
    return None


class BodyLimitMiddleware:
    """Refuse bodies over the limit of their path (default_limit unless path_limits names it).

    path_limits state the size of the file a form or route takes (what its page says); the
    body may be WRAPPING_BYTES larger, and a refusal states the file's limit.
    """

    def __init__(self, app: ASGIApp, default_limit: int, path_limits: dict[str, int]) -> None:
        self.app = app
        self.default_limit = default_limit
        self.path_limits = path_limits
        limits = {default_limit, *(limit + WRAPPING_BYTES for limit in path_limits.values())}
        self._counted = {limit: RequestBodyLimitMiddleware(app, limit) for limit in limits}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        stated = self.path_limits.get(scope["path"], self.default_limit)
        limit = stated + WRAPPING_BYTES if scope["path"] in self.path_limits else stated
        # The handler of a streamed body's overflow states the same limit.
        scope.setdefault("state", {})["body_limit"] = stated
        declared = _declared_length(scope)
        if declared is not None and declared > limit:
            error = too_many_bytes(stated, declared)
            await error_response(Request(scope, receive), error)(scope, receive, send)
            return
        await self._counted[limit](scope, receive, send)

"""Security headers on every response, as a plain ASGI middleware (no per-request allocations).

The pages load scripts and styles only from this site (data for the scripts travels in
`<script type="application/json">` blocks, which the CSP does not execute). Inline style
attributes stay allowed: templates and the chart scripts size bars and swatches with them.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from starlette.types import ASGIApp, Message, Receive, Scope, Send

# The Swagger UI page (vendored under static/) starts with an inline script.
DOCS_PATH = "/api/v1/docs"


def _origin(url: str) -> str:
    """scheme://host[:port] of url, or '' when it is not an absolute http(s) URL."""
    parts = urlsplit(url.strip())
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return ""
    return f"{parts.scheme}://{parts.netloc}"


def content_security_policy(remote_image_base: str = "") -> str:
    """The pages' policy; images may also come from the configured remote image host."""
    images = " ".join(filter(None, ("'self'", "data:", _origin(remote_image_base))))
    return (
        f"default-src 'self'; img-src {images}; style-src 'self' 'unsafe-inline'; "
        "script-src 'self'; object-src 'none'; frame-ancestors 'none'; base-uri 'self'; "
        "form-action 'self'"
    )


# Swagger UI styles itself inline; its scripts are files like every page's.
DOCS_POLICY = (
    "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; "
    "script-src 'self'; object-src 'none'; frame-ancestors 'none'; base-uri 'self'"
)


def _encode(headers: dict[str, str]) -> list[tuple[bytes, bytes]]:
    return [(k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in headers.items()]


_NO_STORE = (b"cache-control", b"no-store")
# Public bytes whatever the visitor: the same for everyone, so they may be cached.
_PUBLIC_PREFIXES = ("/static/", "/packs/")


def _identified(scope: Scope) -> bool:
    """Whether the request names a user (session cookie or token): its answer may hold their
    data, so no cache (the browser's Back after logout included) may keep it."""
    if scope["path"].startswith(_PUBLIC_PREFIXES):
        return False
    for name, value in scope.get("headers", ()):
        if name == b"authorization" or (name == b"cookie" and b"mogi_session=" in value):
            return True
    return False


class SecurityHeadersMiddleware:
    """Adds nosniff, Referrer-Policy, X-Frame-Options and the CSP unless a route set its own,
    and `Cache-Control: no-store` to every answer to a request that names a user."""

    def __init__(self, app: ASGIApp, remote_image_base: str = "") -> None:
        self.app = app
        common = {
            "X-Content-Type-Options": "nosniff",
            "Referrer-Policy": "same-origin",
            "X-Frame-Options": "DENY",
        }
        csp = content_security_policy(remote_image_base)
        self._headers = _encode({**common, "Content-Security-Policy": csp})
        self._docs_headers = _encode({**common, "Content-Security-Policy": DOCS_POLICY})

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        extra = self._docs_headers if scope["path"] == DOCS_PATH else self._headers
        private = _identified(scope)

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", ()))
                names = {name.lower() for name, _ in headers}
                headers.extend(h for h in extra if h[0] not in names)
                if private and b"cache-control" not in names:
                    headers.append(_NO_STORE)
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, send_with_headers)

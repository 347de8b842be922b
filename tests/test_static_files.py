"""Static files: hashed names cached for a year, compressed bodies, plain names still served."""

from __future__ import annotations

import gzip
import re
from html.parser import HTMLParser

import brotli
import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from app.static_files import IMMUTABLE, SHORT, static_url
from tests.conftest import ROOT
from tests.factories import make_user, make_web_session

STATIC = ROOT / "static"


def _raw(client: TestClient, url: str, **headers: str) -> tuple[int, dict[str, str], bytes]:
    """Status, headers and the body as it crossed the wire (not decompressed)."""
    with client.stream("GET", url, headers=headers) as r:
        body = b"".join(r.iter_raw())
        return r.status_code, dict(r.headers), body


def test_a_hashed_url_is_cached_for_a_year_and_sent_gzipped(client: TestClient) -> None:
    url = static_url("css/app.css")
    assert re.fullmatch(r"/static/css/app\.[0-9a-f]{10}\.css", url)
    status, headers, body = _raw(client, url, **{"accept-encoding": "gzip"})
    assert status == 200
    assert headers["cache-control"] == IMMUTABLE
    assert headers["content-encoding"] == "gzip"
    assert headers["content-type"] == "text/css; charset=utf-8"
    assert "accept-encoding" in headers["vary"].lower()
    assert int(headers["content-length"]) == len(body)
    original = (STATIC / "css/app.css").read_bytes()
    assert len(body) < len(original) and gzip.decompress(body) == original


def test_a_browser_that_takes_brotli_gets_it(client: TestClient) -> None:
    url = static_url("vendor/swagger-ui/swagger-ui-bundle.js")
    original = (STATIC / "vendor/swagger-ui/swagger-ui-bundle.js").read_bytes()
    _, headers, body = _raw(client, url, **{"accept-encoding": "gzip, deflate, br, zstd"})
    assert headers["content-encoding"] == "br"
    assert brotli.decompress(body) == original
    _, _, gzipped = _raw(client, url, **{"accept-encoding": "gzip"})
    assert len(body) < len(gzipped) < len(original)


def test_without_accept_encoding_the_file_is_sent_as_it_is(client: TestClient) -> None:
    url = static_url("js/practice.js")
    original = (STATIC / "js/practice.js").read_bytes()
    status, headers, body = _raw(client, url, **{"accept-encoding": "identity"})
    assert status == 200 and body == original
    assert "content-encoding" not in headers
    assert headers["content-type"] == "text/javascript; charset=utf-8"
    # q=0 refuses a coding.
    _, headers, body = _raw(client, url, **{"accept-encoding": "gzip;q=0, identity"})
    assert "content-encoding" not in headers and body == original


def test_the_unhashed_url_still_works_with_a_short_cache(client: TestClient) -> None:
    r = client.get("/static/css/app.css")
    assert r.status_code == 200
    assert r.headers["cache-control"] == SHORT
    assert r.content == (STATIC / "css/app.css").read_bytes()
    # A hash the file no longer has (a page from before a deploy): today's file, briefly.
    r = client.get("/static/css/app.0123456789.css")
    assert r.status_code == 200 and r.headers["cache-control"] == SHORT
    assert r.content == (STATIC / "css/app.css").read_bytes()


def test_a_browser_revalidates_with_the_etag(client: TestClient) -> None:
    r = client.get("/static/favicon.svg")
    again = client.get("/static/favicon.svg", headers={"if-none-match": r.headers["etag"]})
    assert again.status_code == 304 and again.content == b""
    assert again.headers["etag"] == r.headers["etag"]


@pytest.mark.parametrize(
    ("method", "path", "status"),
    [
        ("GET", "/static/no-such-file.css", 404),
        ("GET", "/static/../app/main.py", 404),
        ("GET", "/static/%2e%2e/app/main.py", 404),
        ("GET", "/static/css", 404),
        ("POST", "/static/css/app.css", 405),
    ],
)
def test_what_is_not_a_static_file_is_refused(
    client: TestClient, method: str, path: str, status: int
) -> None:
    assert client.request(method, path).status_code == status


def test_a_head_request_gets_the_headers_only(client: TestClient) -> None:
    r = client.head(static_url("css/app.css"), headers={"accept-encoding": "gzip"})
    assert r.status_code == 200 and r.content == b""
    assert r.headers["content-encoding"] == "gzip"


def test_security_headers_reach_static_files(client: TestClient, db: Session) -> None:
    """Static files stay public even for a logged-in visitor, and keep nosniff and the CSP."""
    cookie = make_web_session(db, make_user(db))
    db.commit()
    client.cookies.set("mogi_session", cookie)
    r = client.get(static_url("js/practice.js"))
    assert r.headers["x-content-type-options"] == "nosniff"
    assert r.headers["cache-control"] == IMMUTABLE
    assert "content-security-policy" in r.headers


class _Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        for name, value in attrs:
            if name in ("href", "src") and value and value.startswith("/static/"):
                self.urls.append(value)


PAGES = [
    "/",
    "/questions",
    "/questions/deep-learning",
    "/questions/deep-learning/1",
    "/search?q=relu",
    "/login",
    "/register",
    "/demos",
    "/api/v1/docs",
    "/practice",
    "/progress",
    "/account",
]


def test_every_static_url_in_the_pages_resolves(
    client: TestClient, db: Session, seeded: str
) -> None:
    cookie = make_web_session(db, make_user(db))
    db.commit()
    client.cookies.set("mogi_session", cookie)
    seen: set[str] = set()
    for page in PAGES:
        r = client.get(page)
        assert r.status_code == 200, page
        links = _Links()
        links.feed(r.text)
        assert links.urls, page  # every page has at least the layout's stylesheet
        seen.update(links.urls)
    for url in sorted(seen):
        r = client.get(url)
        assert r.status_code == 200, url
        assert r.headers["cache-control"] == IMMUTABLE, url
    assert static_url("vendor/swagger-ui/swagger-ui-bundle.js") in seen


def test_the_api_docs_page_transfers_less_than_its_files(client: TestClient) -> None:
    """Swagger UI is most of the bytes a visitor downloads: gzip sends under a third of them."""
    links = _Links()
    links.feed(client.get("/api/v1/docs").text)
    plain = sent = 0
    for url in links.urls:
        _, _, identity = _raw(client, url, **{"accept-encoding": "identity"})
        _, _, compressed = _raw(client, url, **{"accept-encoding": "gzip, deflate, br"})
        plain += len(identity)
        sent += len(compressed)
    assert plain > 1_000_000
    assert sent < plain / 3

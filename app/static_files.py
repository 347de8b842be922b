"""The files under static/: served from memory, compressed, under names that carry their hash.

Every page links a file through `static_url("css/app.css")`, which answers
`/static/css/app.3f2a9c1e0b.css`: the name changes whenever the bytes do, so browsers and
proxies may keep it for a year without asking again. The plain name keeps working with a short
cache, for links made before a file changed (a bookmarked script, an old page in a tab).

The folder is read once (a few megabytes, mostly Swagger UI), each text file compressed once
with gzip at its best level and with brotli. Serving is then
a dictionary lookup with no file I/O, so the event loop never waits on the disk. In
development, a file whose size or modification time changed is read again when linked.
"""

from __future__ import annotations

import gzip
import hashlib
import mimetypes
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import brotli
from starlette.types import Receive, Scope, Send

PREFIX = "/static/"
IMMUTABLE = "public, max-age=31536000, immutable"
# An unhashed name may change meaning at the next deploy: a browser keeps it briefly.
SHORT = "public, max-age=300"
# Formats that are already compressed gain nothing and are sent as they are.
_COMPRESSIBLE = ("text/", "application/javascript", "application/json", "image/svg+xml")
# A compressed copy is kept only when it saves at least this fraction of the file.
_MIN_SAVING = 0.1
# Brotli's best level (11) takes seconds on Swagger UI's bundle for 9% fewer bytes than level 6,
# which compresses it in a third of a second and still sends 13% less than gzip's best.
_BROTLI_QUALITY = 6
_HASHED = re.compile(r"^(?P<stem>.+)\.(?P<hash>[0-9a-f]{10})(?P<suffix>\.[^./]+)$")
_TYPES = {
    ".css": "text/css; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".svg": "image/svg+xml",
    ".json": "application/json",
    ".map": "application/json",
}


@dataclass(frozen=True)
class StaticFile:
    """One file's bytes, their compressed copies and the names it answers to."""

    path: str  # relative to static/, with forward slashes
    hashed_path: str
    content_type: str
    etag: str
    body: bytes
    encoded: dict[str, bytes]  # "br" / "gzip" -> body in that encoding, when worth having
    mtime_ns: int


def _content_type(name: str) -> str:
    suffix = Path(name).suffix.lower()
    if suffix in _TYPES:
        return _TYPES[suffix]
    guessed, _ = mimetypes.guess_type(name)
    if guessed is None or name.rsplit("/", 1)[-1].isupper():  # LICENSE, SOURCE
        return "text/plain; charset=utf-8"
    return f"{guessed}; charset=utf-8" if guessed.startswith("text/") else guessed


def _hashed_name(path: str, digest: str) -> str:
    head, dot, suffix = path.rpartition(".")
    if not dot or "/" in suffix:  # no extension: the hash goes at the end
        return f"{path}.{digest}"
    return f"{head}.{digest}.{suffix}"


def _encodings(body: bytes, content_type: str) -> dict[str, bytes]:
    if not content_type.startswith(_COMPRESSIBLE):
        return {}
    limit = len(body) * (1 - _MIN_SAVING)
    found: dict[str, bytes] = {}
    found["br"] = brotli.compress(body, quality=_BROTLI_QUALITY)
    # mtime=0: the same bytes on every start and every server, so caches agree.
    found["gzip"] = gzip.compress(body, compresslevel=9, mtime=0)
    return {name: data for name, data in found.items() if len(data) <= limit}


def load_file(root: Path, path: str) -> StaticFile:
    """Read one file and prepare everything it will be served as."""
    full = root / path
    stat = full.stat()
    body = full.read_bytes()
    digest = hashlib.sha256(body).hexdigest()[:10]
    content_type = _content_type(path)
    return StaticFile(
        path=path,
        hashed_path=_hashed_name(path, digest),
        content_type=content_type,
        etag=f'"{digest}"',
        body=body,
        encoded=_encodings(body, content_type),
        mtime_ns=stat.st_mtime_ns,
    )


def _accepted(header: str) -> set[str]:
    """The codings an Accept-Encoding header allows (q=0 refuses one)."""
    accepted = set()
    for item in header.split(","):
        name, _, params = item.strip().partition(";")
        q = params.strip().removeprefix("q=").strip() if "q=" in params else "1"
        try:
            weight = float(q)
        except ValueError:
            weight = 0.0
        if name and weight > 0:
            accepted.add(name.strip().lower())
    return accepted


class StaticFiles:
    """The ASGI app mounted at /static, and the table templates ask for hashed names."""

    def __init__(self, root: Path, reload: bool = False) -> None:
        self.root = root
        self.reload = reload
        self._by_path: dict[str, StaticFile] = {}
        self._by_hashed: dict[str, StaticFile] = {}
        for full in sorted(root.rglob("*")):
            if full.is_file() and not full.name.startswith("."):
                self._add(load_file(root, full.relative_to(root).as_posix()))

    def _add(self, entry: StaticFile) -> None:
        old = self._by_path.get(entry.path)
        if old is not None:
            self._by_hashed.pop(old.hashed_path, None)
        self._by_path[entry.path] = entry
        self._by_hashed[entry.hashed_path] = entry

    def _current(self, entry: StaticFile) -> StaticFile:
        """In development, the file as it is on disk now."""
        if not self.reload:
            return entry
        try:
            mtime = (self.root / entry.path).stat().st_mtime_ns
        except OSError:
            return entry
        if mtime != entry.mtime_ns:
            entry = load_file(self.root, entry.path)
            self._add(entry)
        return entry

    def url(self, path: str) -> str:
        """The hashed URL of a file under static/ (the plain one for a file that is not there,
        so that a typo shows up as a 404 in the page's tests rather than a broken page)."""
        entry = self._by_path.get(path.lstrip("/"))
        if entry is None:
            return PREFIX + path.lstrip("/")
        return PREFIX + self._current(entry).hashed_path

    def lookup(self, path: str) -> tuple[StaticFile, bool] | None:
        """The file a request path under /static/ names, and whether the name was hashed."""
        entry = self._by_hashed.get(path)
        if entry is not None:
            return self._current(entry), entry.hashed_path == self._current(entry).hashed_path
        entry = self._by_path.get(path)
        if entry is not None:
            return self._current(entry), False
        # A hash from before the file changed: the file it names now, not for a year.
        match = _HASHED.match(path)
        if match:
            entry = self._by_path.get(match["stem"] + match["suffix"])
            if entry is not None:
                return self._current(entry), False
        return None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        assert scope["type"] == "http"
        if scope["method"] not in ("GET", "HEAD"):
            await _send(send, 405, b"Method Not Allowed", [(b"allow", b"GET, HEAD")])
            return
        found = self.lookup(_route_path(scope))
        if found is None:
            await _send(send, 404, b"Not Found", [(b"cache-control", SHORT.encode())])
            return
        await _send_file(scope, send, *found)


def _route_path(scope: Scope) -> str:
    """The path below the mount point, e.g. "css/app.css" (Starlette keeps the full path in
    `path` and the mount point in `root_path`)."""
    path: str = scope["path"]
    root: str = scope.get("root_path", "")
    if root and path.startswith(root + "/"):
        path = path[len(root) :]
    return path.lstrip("/")


def _header(scope: Scope, name: bytes) -> str:
    for key, value in scope.get("headers", ()):
        if key == name:
            return str(value.decode("latin-1"))
    return ""


async def _send_file(scope: Scope, send: Send, entry: StaticFile, hashed: bool) -> None:
    headers = [
        (b"content-type", entry.content_type.encode()),
        (b"cache-control", (IMMUTABLE if hashed else SHORT).encode()),
        (b"etag", entry.etag.encode()),
    ]
    if entry.encoded:
        headers.append((b"vary", b"Accept-Encoding"))
    if entry.etag in _header(scope, b"if-none-match"):
        await send({"type": "http.response.start", "status": 304, "headers": headers})
        await send({"type": "http.response.body", "body": b""})
        return
    body = entry.body
    accepted = _accepted(_header(scope, b"accept-encoding"))
    for coding, data in entry.encoded.items():  # smallest first: br, then gzip
        if coding in accepted:
            body = data
            headers.append((b"content-encoding", coding.encode()))
            break
    await _send(send, 200, body, headers, head=scope["method"] == "HEAD")


async def _send(
    send: Send,
    status: int,
    body: bytes,
    headers: list[tuple[bytes, bytes]],
    head: bool = False,
) -> None:
    if status >= 400:
        headers = [*headers, (b"content-type", b"text/plain; charset=utf-8")]
    headers = [*headers, (b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": b"" if head else body})


@cache
def static_files() -> StaticFiles:
    """The process's static files, read at first use."""
    from app.config import PROJECT_ROOT, get_settings

    return StaticFiles(PROJECT_ROOT / "static", reload=get_settings().env == "development")


def static_url(path: str) -> str:
    """The URL a page links a static file by (a Jinja global): `static_url("css/app.css")`."""
    return static_files().url(path)

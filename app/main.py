"""The FastAPI application: routers of each feature, static files, health check."""

from __future__ import annotations

import ctypes
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import anyio
from fastapi import FastAPI, Request, Response
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from app.body_limit import BodyLimitMiddleware
from app.config import get_settings
from app.error_handlers import install_error_handlers
from app.errors import document_validation_errors
from app.health import database_health
from app.logs import configure_logging
from app.security_headers import DOCS_PATH, SecurityHeadersMiddleware
from app.static_files import static_files
from app.web import render

# Every request body is refused with 413 past this size, unless its route sets a larger limit
# (an import): the largest form or JSON body otherwise is a note of 20,000 characters.
MAX_BODY_BYTES = 1024 * 1024
OPENAPI_PATH = "/api/v1/openapi.json"

API_DESCRIPTION = (
    "Mogi's REST API. Errors are RFC 9457 problem details "
    "(`application/problem+json`). Authenticated calls send `Authorization: Bearer <token>`."
)


@asynccontextmanager
async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
    # Threads for every admitted database request and as many again for the rest (static
    # files, pages served without the database): an admitted request never waits for one.
    limiter = anyio.to_thread.current_default_thread_limiter()
    limiter.total_tokens = max(limiter.total_tokens, 2 * get_settings().db_pool_size + 8)
    yield


def _limit_malloc_arenas() -> None:
    """Two malloc arenas instead of one per thread: with a thread pool of dozens, glibc's
    default let the web process's memory grow under load without giving it back."""
    try:
        libc = ctypes.CDLL(None)
        libc.mallopt(-8, 2)  # M_ARENA_MAX
    except (OSError, AttributeError):  # not glibc
        pass


def create_app() -> FastAPI:
    """Build the application; uvicorn calls this as a factory."""
    settings = get_settings()
    configure_logging(settings.log_level)
    _limit_malloc_arenas()
    app = FastAPI(
        lifespan=lifespan,
        title="Mogi",
        version="1.0",
        description=API_DESCRIPTION,
        openapi_url=OPENAPI_PATH,
        docs_url=None,  # served below from vendored Swagger UI: no CDN
        redoc_url=None,
    )
    install_error_handlers(app)
    _document_problems(app)
    app.add_middleware(
        BodyLimitMiddleware, default_limit=MAX_BODY_BYTES, path_limits=_import_body_limits()
    )
    # Added last, so outermost: its headers reach every response, a refused body's too.
    app.add_middleware(SecurityHeadersMiddleware, remote_image_base=settings.remote_image_base)
    # Hashed names cached for a year, compressed when the browser accepts it.
    app.mount("/static", static_files(), name="static")
    _include_routers(app)

    @app.get("/healthz", tags=["meta"])
    async def healthz() -> JSONResponse:
        """200 when the database can be read and written; 503 saying what is wrong otherwise."""
        database = await run_in_threadpool(database_health)
        if database["reachable"] and database["writable"]:
            return JSONResponse({"status": "ok", "database": database})
        return JSONResponse(
            {"status": "unavailable", "database": database},
            status_code=503,
            headers={"Retry-After": "5"},
        )

    @app.get(DOCS_PATH, include_in_schema=False)
    def api_docs(request: Request) -> Response:
        """Swagger UI for the OpenAPI document, from static/vendor (no CDN)."""
        return render(request, "api_docs.html", {"openapi_url": OPENAPI_PATH})

    backend = settings.database_url.split(":")[0]
    logging.getLogger("mogi").info("app ready", extra={"database": backend})
    return app


def _document_problems(app: FastAPI) -> None:
    """The OpenAPI document shows every 422 as the problem details it is."""
    generate = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = document_validation_errors(generate())
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]


def _import_body_limits() -> dict[str, int]:
    """The routes that take a data export, larger than any other body."""
    from app.progress.transfer import MAX_IMPORT_BYTES

    return {"/api/v1/import": MAX_IMPORT_BYTES, "/progress/import": MAX_IMPORT_BYTES}


def _include_routers(app: FastAPI) -> None:
    # Imported here so that `import app.main` stays cheap and torch-free.
    from app.auth import api as auth_api
    from app.auth import views as auth_views
    from app.content import api as content_api
    from app.content import views as content_views
    from app.demos import api as demos_api
    from app.demos import views as demos_views
    from app.practice import api as practice_api
    from app.practice import settings_views
    from app.practice import views as practice_views
    from app.practice.optimisation import api as optimisation_api
    from app.practice.optimisation import views as optimisation_views
    from app.progress import api as progress_api
    from app.progress import views as progress_views

    # Pages first: the question page is the hottest route, and no page path overlaps /api/v1.
    app.include_router(content_views.question_router)
    pages = (content_views, auth_views, practice_views, settings_views, optimisation_views)
    for module in (*pages, progress_views, demos_views):
        app.include_router(module.router)
    apis = (content_api, auth_api, practice_api, optimisation_api)
    for module in (*apis, progress_api, demos_api):
        app.include_router(module.router, prefix="/api/v1")

"""HTML routes of the content feature: home, the question tree, search, a question's page."""

from __future__ import annotations

import secrets
import time
from dataclasses import dataclass
from functools import partial
from typing import Annotated, Any, cast

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from markupsafe import Markup, escape
from sqlalchemy.orm import Session

from app.auth.deps import SESSION_COOKIE, load_user, user_for_cookie
from app.auth.models import User
from app.content import lookups, service
from app.content.service import PackSnapshot, QuestionData
from app.db import SessionDep, run_db, run_db_or
from app.demos.panels import demos_for_question
from app.i18n import request_language, translate
from app.local_time import DEFAULT_TIME_ZONE
from app.practice import sessions as practice_sessions
from app.practice.sessions import QuestionState
from app.practice.settings import user_time_zone
from app.progress.home import home_for
from app.web import csrf_token, finish_response, render, templates, verify_csrf

router = APIRouter(dependencies=[Depends(verify_csrf), Depends(load_user)], include_in_schema=False)
# The question page finds its visitor itself, in the same thread-pool hop as its panels.
question_router = APIRouter(include_in_schema=False)
SEARCH_PAGE_SIZE = 20
ANON_PAGE_TTL_S = 1.0
# Stands for the visitor's CSRF token in a page rendered once for every logged-out visitor.
_CSRF_MARK = f"csrf-{secrets.token_hex(16)}"


@router.get("/")
def home(request: Request, session: SessionDep, done: str | None = None) -> Response:
    """What Mogi is for a visitor; what is due, where they left off and their streak for a
    user; then the search box and the packs."""
    context: dict[str, Any] = {"packs": service.list_packs(session)}
    user = getattr(request.state, "user", None)
    if user is not None:
        context["home"] = home_for(session, user)
        context["time_zone"] = context["home"].time_zone
    if done == "logout":  # where logging out lands: say that it worked
        context["notice"] = "로그아웃했습니다."
    return render(request, "content/home.html", context)


@router.get("/questions")
def question_tree(request: Request, session: SessionDep) -> Response:
    """Every pack as a tree: main questions with their follow-ups."""
    return render(request, "content/tree.html", {"snapshots": service.cache.all(session)})


@router.get("/questions/{pack}")
def pack_tree(pack: str, request: Request, session: SessionDep) -> Response:
    """One pack's tree."""
    snap = service.pack_snapshot(session, pack)
    return render(request, "content/tree.html", {"snapshots": [snap], "single": snap})


@router.get("/search")
def search(
    request: Request,
    session: SessionDep,
    q: str = "",
    pack: Annotated[str, Query(max_length=64)] = "",
    page: Annotated[int, Query(ge=1, le=1000)] = 1,
) -> Response:
    """Search the library (Korean morphology, glossary, BM25); "#12" or "12-3" jumps to it."""
    q = q[: service.MAX_QUERY_CHARS]  # a long query is cut, never refused
    terms = service.search_terms(q)
    packs = service.list_packs(session)
    result = None
    if terms:
        target = service.number_target(session, q, pack or None) if page == 1 else None
        if target is not None:
            return RedirectResponse(target, status_code=303)
        offset = (page - 1) * SEARCH_PAGE_SIZE
        result = service.list_questions(session, pack or None, q, SEARCH_PAGE_SIZE, offset)
    context = {
        "q": q.strip(),
        "pack": pack,
        "page": page,
        "result": result,
        "terms": terms,
        "packs": packs,
        "pack_titles": {
            p.slug: p.title_en if request_language(request) == "en" and p.title_en else p.title
            for p in packs
        },
        "page_size": SEARCH_PAGE_SIZE,
        "highlight": highlight,
    }
    return render(request, "content/search.html", context)


@router.get("/packs/{pack}/files/{path:path}")
def pack_file(pack: str, path: str, session: SessionDep) -> Response:
    """A figure shipped with a pack, from our own origin (no outside request)."""
    asset = service.pack_asset(session, pack, path)
    headers = {
        "Cache-Control": "public, max-age=31536000, immutable",
        "ETag": f'"{asset.sha256[:32]}"',
        "X-Content-Type-Options": "nosniff",
    }
    if asset.media_type == "image/svg+xml":  # an SVG opened on its own must not run script
        headers["Content-Security-Policy"] = "default-src 'none'; style-src 'unsafe-inline'"
    return Response(asset.data, media_type=asset.media_type, headers=headers)


@question_router.get("/questions/{pack}/{number}")
async def question_page(pack: str, number: str, request: Request) -> Response:
    """A question with its answer, parent, follow-ups, neighbours, references and panels."""
    # Served from memory on the event loop for logged-out visitors (the database is asked only
    # when the snapshot is stale). A visitor with a session cookie gets their own page: who
    # they are and their panels come from one thread-pool hop with one short session.
    lang = request_language(request)
    cookie = request.cookies.get(SESSION_COOKIE)
    if cookie:
        page = await run_db(_private_page_state, pack, number, cookie)
        request.state.user = page.user
        if page.user is not None:
            return _render_question(request, page.snap, page.question, lang, page.panels())
    found = service.cached_question(pack, number)
    if found is None:
        # While the database is busy or away, the page as last read beats an error.
        last_known = partial(service.last_known_question, pack, number)
        found = await run_db_or(last_known, service.find_question, pack, number)
    snap, question = found
    body = _anonymous_page(request, snap, question, lang).replace(_CSRF_MARK, csrf_token(request))
    # finish_response sets the cookies render() would (a new CSRF token, a chosen language).
    return finish_response(request, HTMLResponse(body))


@dataclass
class _PrivatePage:
    """A logged-in visitor's question page: the question, who they are, their panels."""

    snap: PackSnapshot
    question: QuestionData
    user: User | None
    practice: QuestionState | None
    time_zone: str = DEFAULT_TIME_ZONE

    def panels(self) -> dict[str, Any]:
        return {"practice_panel": self.practice, "time_zone": self.time_zone}


def _private_page_state(db: Session, pack: str, number: str, cookie: str) -> _PrivatePage:
    snap, question = service.find_question(db, pack, number)
    user = user_for_cookie(db, cookie)
    if user is None:
        return _PrivatePage(snap, question, None, None)
    state = practice_sessions.question_state(db, user.id, question.id)
    # The zone is needed only to show when the card is due next or the note was saved.
    shows_time = state.card is not None or state.note_updated_at is not None
    time_zone = user_time_zone(db, user.id) if shows_time else DEFAULT_TIME_ZONE
    return _PrivatePage(snap, question, user, state, time_zone)


def _render_question(
    request: Request,
    snap: PackSnapshot,
    question: QuestionData,
    lang: str,
    extra: dict[str, Any] | None = None,
) -> Response:
    main, aside = snap.cached(
        ("page", question.number, lang), lambda: _question_parts(snap, question, lang)
    )
    ref = lookups.snapshot_ref(snap, question)
    context = {
        "pack": snap.pack,
        "question": ref,
        "title": question.title,
        "body_main": main,
        "body_aside": aside,
        "practice_panel": None,
        "linked_demos": demos_for_question(ref.public_id, lang),
        **(extra or {}),
    }
    return render(request, "content/question.html", context)


def _anonymous_page(
    request: Request, snap: PackSnapshot, question: QuestionData, lang: str
) -> Markup:
    """The whole page as a logged-out visitor sees it, rendered at most once per ANON_PAGE_TTL_S.

    Only the CSRF token differs between logged-out visitors: the page is rendered with a mark in
    its place, which each response replaces with the visitor's own token.
    """
    key = ("anonymous", question.number, lang)
    now = time.monotonic()
    entry = snap.rendered.get(key)
    if isinstance(entry, tuple) and now - entry[1] < ANON_PAGE_TTL_S:
        return cast(Markup, entry[0])
    request.state.user = None
    response = _render_question(request, snap, question, lang, {"csrf_token": _CSRF_MARK})
    body = Markup(bytes(response.body).decode("utf-8"))
    snap.rendered[key] = (body, now)
    return body


def _question_parts(snap: PackSnapshot, question: QuestionData, lang: str) -> tuple[Markup, Markup]:
    """The two halves of a question page around the extras hook, rendered once per snapshot."""
    ctx: dict[str, Any] = {
        "lang": lang,
        "_": lambda text, **kw: translate(text, lang, **kw),
        "pack": snap.pack,
        "q": service.question_detail(snap, question),
    }
    main = templates.env.get_template("content/_question_main.html").render(ctx)
    aside = templates.env.get_template("content/_question_aside.html").render(ctx)
    return Markup(main), Markup(aside)


def highlight(text: str | None, terms: list[str]) -> Markup:
    """text, escaped, with each hit of a term in <mark>."""
    if not text:
        return Markup("")
    terms = sorted({t for t in terms if t}, key=len, reverse=True)
    lowered = service.normalize(text)
    if len(lowered) != len(text):  # normalisation changed the length: positions would drift
        lowered = text.lower()
    out: list[str] = []
    i = 0
    while i < len(text):
        hits = [(lowered.find(t, i), t) for t in terms if t]
        hits = [(pos, t) for pos, t in hits if pos >= 0]
        if not hits:
            break
        pos, term = min(hits)
        out.append(str(escape(text[i:pos])))
        out.append(f"<mark>{escape(text[pos : pos + len(term)])}</mark>")
        i = pos + len(term)
    out.append(str(escape(text[i:])))
    return Markup("".join(out))

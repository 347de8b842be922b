"""Every page speaks one language: no Hangul in the English UI, no English UI string in the
Korean one, outside content (question text, pack names, what a user typed).

The walk collects the pages from the app's routes (every GET route that answers HTML), with
real ids filled in for a user who has practised, run a demo, written a note and made a token,
so a page added later is walked without touching this file. Templates mark content with
`data-content` (or a `lang` attribute naming the content's language); the walk skips it.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from app.i18n import english
from tests.authz import _route_contexts
from tests.factories import make_token, make_user, make_web_session
from tests.practice.review_history import question_ids, simulate, store

PACK = "deep-learning"
HANGUL = re.compile(r"[\uac00-\ud7a3\u1100-\u11ff\u3130-\u318f]")
VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source"}
# A page's <title> is its heading (walked) with the site name; <option>s of a pack list are
# walked through the page's own list.
SKIPPED = {"script", "style", "template", "code", "pre", "kbd", "svg", "math", "title"}
# Attributes a person reads or hears.
READ_ATTRS = ("placeholder", "aria-label", "title", "alt")
# Address parts that name a file, not a page.
FILE_PARAMS = {"path"}
# Pages that answer something else than HTML, or that only redirect.
NOT_PAGES = ("/api/", "/static", "/healthz", "/docs")


class VisibleText(HTMLParser):
    """The UI text of a page: text and read attributes outside content regions."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[tuple[str, bool]] = []
        self.parts: list[str] = []

    def _hidden(self) -> bool:
        return any(skip for _, skip in self.stack)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        content = "data-content" in a or ("lang" in a and tag != "html")
        skip = content or tag in SKIPPED
        if not skip and not self._hidden():
            self.parts += [str(a[name]) for name in READ_ATTRS if a.get(name)]
            if tag == "input" and a.get("type") in ("submit", "button") and a.get("value"):
                self.parts.append(str(a["value"]))
        if tag not in VOID:
            self.stack.append((tag, skip))

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)
        if tag not in VOID and self.stack and self.stack[-1][0] == tag:
            self.stack.pop()

    def handle_endtag(self, tag: str) -> None:
        for i in range(len(self.stack) - 1, -1, -1):
            if self.stack[i][0] == tag:
                del self.stack[i:]
                return

    def handle_data(self, data: str) -> None:
        if not self._hidden() and data.strip():
            self.parts.append(data.strip())


def visible_text(html: str) -> list[str]:
    parser = VisibleText()
    parser.feed(html)
    return parser.parts


def _english_ui_patterns() -> list[tuple[str, re.Pattern[str]]]:
    """The English UI strings worth looking for in a Korean page: two words or more (one word
    is too often a name or code: "MNIST", "Adam"), placeholders matching anything."""
    patterns = []
    for value in set(english().values()):
        literal = re.sub(r"\{[^}]*\}", " ", value).strip()
        if len(re.findall(r"[A-Za-z]{2,}", literal)) < 2:
            continue
        pieces = [re.escape(p) for p in re.split(r"\{[^}]*\}", value)]
        patterns.append((value, re.compile(r".+?".join(pieces))))
    return patterns


def _history(client: TestClient, db: Session) -> dict[str, str]:
    """A user with practice history, a note, an own answer, a token and a demo run; the ids
    to fill in page addresses."""
    from app.demos import service as demos
    from app.demos.schemas import DemoCreate
    from models.catalog import EXPERIMENTS

    user = make_user(db)
    token = make_token(db, user)
    headers = {"Authorization": f"Bearer {token}"}
    body = {"scope": {"pack": PACK, "kind": "all"}, "mode": "review"}
    started = client.post("/api/v1/sessions", json=body, headers=headers)
    assert started.status_code == 201, started.text
    session_id = started.json()["id"]
    card = client.get(f"/api/v1/sessions/{session_id}/next", headers=headers).json()
    question = card["question"]
    client.post(f"/api/v1/sessions/{session_id}/reveal", json={}, headers=headers)
    graded = client.post(
        "/api/v1/reviews",
        json={"question": question, "rating": 3, "session": session_id},
        headers=headers,
    )
    assert graded.status_code == 201, graded.text
    number = question.partition("/")[2]
    note = f"/api/v1/questions/{PACK}/{number}/note"
    assert client.put(note, json={"body": "내 메모 본문"}, headers=headers).status_code == 200
    slug = next(iter(EXPERIMENTS))
    run = demos.create_job(db, user.id, DemoCreate(experiment=slug, params={}))
    db.commit()
    store(db, user.id, simulate(question_ids(db, 60), 150, seed=11))
    fit = client.post("/api/v1/fsrs/optimisations", headers=headers)
    assert fit.status_code == 202, fit.text
    client.cookies.set("mogi_session", make_web_session(db, user))
    return {
        "optimisation_id": str(fit.json()["id"]),
        "pack": PACK,
        "number": number,
        "session_id": str(session_id),
        "run_id": str(run.id),
        "slug": slug,
    }


def page_paths(app: Any, ids: dict[str, str]) -> list[str]:
    """Every GET page of the app with real ids in its address."""
    paths = []
    for path, methods, _route in _route_contexts(app):
        if "GET" not in methods or path.startswith(NOT_PAGES):
            continue
        names = re.findall(r"\{(\w+)(?::\w+)?\}", path)
        if set(names) & FILE_PARAMS:
            continue  # a file of a pack: not a page
        missing = [name for name in names if name not in ids]
        assert not missing, f"{path}: give the walk a real {missing} in _history()"
        paths.append(re.sub(r"\{(\w+)(?::\w+)?\}", lambda m: ids[m.group(1)], path))
    return sorted(set(paths)) + ["/search?q=정규화", "/nowhere", "/practice/sessions/abc"]


@pytest.fixture
def walked(client: TestClient, db: Session, seeded: str) -> dict[str, dict[str, str]]:
    """{lang: {path: html}} for every page, in both languages."""
    ids = _history(client, db)
    pages: dict[str, dict[str, str]] = {"ko": {}, "en": {}}
    for path in page_paths(client.app, ids):
        for lang in pages:
            client.cookies.set("mogi_lang", lang)  # a redirect keeps the language
            joiner = "&" if "?" in path else "?"
            r = client.get(f"{path}{joiner}lang={lang}", headers={"Accept": "text/html"})
            if "text/html" in r.headers.get("content-type", ""):
                pages[lang][path] = r.text
    assert len(pages["en"]) >= 10, sorted(pages["en"])
    return pages


def test_english_pages_have_no_korean_ui(walked: dict[str, dict[str, str]]) -> None:
    found = []
    for path, html in walked["en"].items():
        korean = [text for text in visible_text(html) if HANGUL.search(text)]
        found += [f"{path}: {text[:80]!r}" for text in dict.fromkeys(korean)]
    assert not found, "\n".join(found)


def test_korean_pages_have_no_english_ui(walked: dict[str, dict[str, str]]) -> None:
    patterns = _english_ui_patterns()
    found = []
    for path, html in walked["ko"].items():
        text = "\n".join(visible_text(html))
        found += [f"{path}: {value!r}" for value, p in patterns if p.search(text)]
    assert not found, "\n".join(sorted(set(found)))


def test_the_walk_sees_through_content_marks() -> None:
    html = (
        '<main><h1 data-content>정규화란?</h1><p>Questions <b lang="ko">질문</b></p>'
        '<input placeholder="검색"><img src=x alt="그림"><br><p>끝</p></main>'
    )
    assert visible_text(html) == ["Questions", "검색", "그림", "끝"]


def test_a_korean_string_has_one_english_translation() -> None:
    """The features' tables are merged: a Korean string two features translate differently
    gets one of the two everywhere ("복습" was "Reviews" on the practice page)."""
    import importlib

    from app.i18n import _FEATURES

    seen: dict[str, tuple[str, str]] = {}
    clashes = []
    for name in _FEATURES:
        for korean, english_text in importlib.import_module(name).EN.items():
            first = seen.setdefault(korean, (name, english_text))
            if first[1] != english_text:
                clashes.append(f"{korean!r}: {first} vs {(name, english_text)}")
    assert not clashes, "\n".join(clashes)


def test_english_counts_agree_with_their_number() -> None:
    from app.i18n import translate

    text = "지난 1년 동안 {days}일, 모두 {n}회 복습했습니다."
    assert translate(text, "en", days=1, n=2) == (
        "In the past year you reviewed on 1 day, 2 reviews in all."
    )
    assert translate(text, "ko", days=1, n=2) == "지난 1년 동안 1일, 모두 2회 복습했습니다."

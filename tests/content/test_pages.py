"""Content pages through the app: home, tree, search, question page, caching, extras hook."""

from __future__ import annotations

import re
import subprocess
import sys
import time
from pathlib import Path

import pytest
from jinja2 import ChoiceLoader, DictLoader
from sqlalchemy.orm import Session

from app.content import service
from app.web import templates
from tests.conftest import ROOT, subprocess_env
from tests.content.conftest import HOSTILE_PACK, ImportText, unique_slug, unsafe_parts
from tests.factories import make_user, make_web_session


def test_home_lists_packs(client, packs: dict[str, str]) -> None:  # noqa: ANN001
    r = client.get("/")
    assert r.status_code == 200
    assert '<a href="/questions/deep-learning">딥러닝</a>' in r.text
    assert "질문 47개 · 답변 35개" in r.text
    assert 'action="/search"' in r.text


def test_tree_nests_follow_ups_under_their_main_question(client, packs) -> None:  # noqa: ANN001
    r = client.get("/questions/deep-learning")
    assert r.status_code == 200
    twelve = r.text.split('href="/questions/deep-learning/12"', 1)[1]
    twelve = twelve.split('href="/questions/deep-learning/13"', 1)[0]
    assert re.findall(r"/questions/deep-learning/(12-\d)", twelve) == [
        "12-1",
        "12-2",
        "12-3",
        "12-4",
    ]
    assert r.text.count('class="tree-follow"') == 9
    # Titles come from the entries; the table of contents is not shown as content.
    assert "요즘 sigmoid 보다 ReLU를 많이 쓰는데 그 이유는?" in r.text
    assert "Table of Contents" not in r.text
    assert r.text.count("답변 없음") == 12


def test_all_packs_tree(client, packs) -> None:  # noqa: ANN001
    r = client.get("/questions")
    assert r.status_code == 200
    for slug in ("deep-learning", "machine-learning", "statistics", packs["stats"]):
        assert f'id="pack-{slug}"' in r.text


def test_question_page(client, packs) -> None:  # noqa: ANN001
    r = client.get("/questions/deep-learning/12-3")
    assert r.status_code == 200
    html = r.text
    assert '<h1 id="question-title" data-content>ReLU의 문제점은?</h1>' in html
    assert 'href="/questions/deep-learning/12">#12 요즘 sigmoid' in html  # parent
    assert 'rel="prev" href="/questions/deep-learning/12-2"' in html
    assert 'rel="next" href="/questions/deep-learning/12-4"' in html
    assert "<strong>죽은 뉴런(Dead Neurons)</strong>" in html
    assert 'href="https://nmhkahn.github.io/NN"' in html  # references
    assert "꼬리 질문" in html


def test_main_question_lists_follow_ups_and_math(client, packs) -> None:  # noqa: ANN001
    html = client.get("/questions/deep-learning/16").text
    follow = html.split('id="follow-h"', 1)[1]
    assert re.findall(r'href="/questions/deep-learning/(16-\d)"', follow)[:3] == [
        "16-1",
        "16-2",
        "16-3",
    ]
    assert "<math" in html and "<mi>γ</mi>" in html


def test_question_without_answer_says_so(client, packs) -> None:  # noqa: ANN001
    html = client.get("/questions/deep-learning/13").text
    assert "이 질문에는 아직 답변이 없습니다." in html
    assert "참고 자료가 없습니다." in html
    note = client.get("/questions/deep-learning/19-3").text
    assert "이 질문에는 아직 답변이 없습니다." in note and "무슨말일까요..." in note


def test_english_ui(client, packs) -> None:  # noqa: ANN001
    html = client.get("/questions/deep-learning/1?lang=en").text
    assert '<html lang="en">' in html
    assert ">Answer</h2>" in html and ">References</h2>" in html
    assert "딥러닝은 무엇인가요?" in html  # the content itself stays Korean
    korean = client.get("/questions/deep-learning/1?lang=ko").text
    assert ">답변</h2>" in korean


def test_unknown_question_page_is_404_in_layout(client, packs) -> None:  # noqa: ANN001
    r = client.get("/questions/deep-learning/99", headers={"accept": "text/html"})
    assert r.status_code == 404 and "<nav" in r.text
    assert "deep-learning/99" in r.text
    assert client.get("/questions/no-such-pack").status_code == 404


def test_search_page_states(client, packs) -> None:  # noqa: ANN001
    empty = client.get("/search").text
    assert "찾을 낱말을 입력하세요" in empty
    none = client.get("/search", params={"q": "존재하지않는낱말"}).text
    assert "&#39;존재하지않는낱말&#39;에 대한 결과가 없습니다." in none
    hits = client.get("/search", params={"q": "드롭아웃", "pack": "deep-learning"}).text
    assert 'href="/questions/deep-learning/16-1"' in hits
    assert "<mark>드롭아웃</mark>" in hits


def test_search_page_escapes_the_query(client, packs) -> None:  # noqa: ANN001
    html = client.get("/search", params={"q": "<script>alert(1)</script>"}).text
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;" in html


def test_search_page_paginates(client, packs) -> None:  # noqa: ANN001
    first = client.get("/search", params={"q": "학습"}).text
    assert 'rel="next"' in first
    second = client.get("/search", params={"q": "학습", "page": 2}).text
    assert 'rel="prev"' in second and 'start="21"' in second


def test_logged_in_user_shows_in_nav_and_never_leaks(client, db: Session, packs) -> None:  # noqa: ANN001
    user = make_user(db)
    cookie = make_web_session(db, user)
    client.cookies.set("mogi_session", cookie)
    mine = client.get("/questions/deep-learning/4").text
    assert user.username in mine
    client.cookies.clear()
    anonymous = client.get("/questions/deep-learning/4").text
    assert user.username not in anonymous and 'href="/login"' in anonymous


def test_hostile_pack_page_is_harmless(client, import_text: ImportText) -> None:  # noqa: ANN001
    slug = unique_slug("hostile")
    import_text(HOSTILE_PACK, slug)
    for number in ("1", "1-1"):
        html = client.get(f"/questions/{slug}/{number}").text
        assert unsafe_parts(html, allow_layout=True) == [], number
        assert "alert('title')" not in html.replace("&lt;script&gt;alert(&#39;title&#39;)", "")
    tree = client.get(f"/questions/{slug}").text
    assert unsafe_parts(tree, allow_layout=True) == []
    assert "&lt;script&gt;alert(&#39;title&#39;)&lt;/script&gt; 제목" in tree
    found = client.get("/search", params={"q": "styled", "pack": slug}).text
    assert unsafe_parts(found, allow_layout=True) == []


def test_question_extras_hook_includes_other_features_panels(
    client,
    packs,
    monkeypatch: pytest.MonkeyPatch,  # noqa: ANN001
) -> None:
    panels = DictLoader(
        {
            "practice/_question_panel.html": (
                '<aside id="panel">{{ question.id }} {{ question.public_id }}</aside>'
            ),
            "demos/_question_demos.html": '<aside id="demos">{{ question.number }}</aside>',
        }
    )
    assert templates.env.loader is not None
    monkeypatch.setattr(templates.env, "loader", ChoiceLoader([panels, templates.env.loader]))
    service.cache.clear()  # no page rendered before the panels were there
    api = client.get("/api/v1/questions/deep-learning/12").json()
    html = client.get("/questions/deep-learning/12").text
    assert '<aside id="panel">' in html and "deep-learning/12</aside>" in html
    assert '<aside id="demos">12</aside>' in html
    # Between the answer and the references.
    assert html.index('id="answer-h"') < html.index('id="panel"') < html.index('id="refs-h"')
    assert api["id"] == "deep-learning/12"


def test_reimport_in_another_process_reaches_the_page(
    client,
    db: Session,
    tmp_path: Path,  # noqa: ANN001
) -> None:
    slug = unique_slug()
    pack = tmp_path / f"{slug}.md"
    pack.write_text("## #1\n\n#### 처음 제목\n\n답.\n", encoding="utf-8")
    run = [sys.executable, "-m", "app.cli", "import", str(pack), "--pack", slug]
    assert subprocess.run(run, cwd=ROOT, env=subprocess_env(), timeout=120).returncode == 0
    assert "처음 제목" in client.get(f"/questions/{slug}/1").text  # now cached in this process
    pack.write_text("## #1\n\n#### 바뀐 제목\n\n답.\n", encoding="utf-8")
    assert subprocess.run(run, cwd=ROOT, env=subprocess_env(), timeout=120).returncode == 0
    deadline = time.monotonic() + 5
    while "바뀐 제목" not in client.get(f"/questions/{slug}/1").text:
        assert time.monotonic() < deadline, "the page still shows the old import"
        time.sleep(0.2)
    assert "바뀐 제목" in client.get(f"/api/v1/questions/{slug}/1").json()["title"]


def test_retired_question_keeps_its_page_but_leaves_the_lists(
    client,
    import_text: ImportText,  # noqa: ANN001
) -> None:
    slug = unique_slug()
    two = "## #1\n\n#### 하나\n\n답.\n\n## #2\n\n#### 둘\n\n사라질 답.\n"
    import_text(two, slug)
    import_text(two.split("## #2")[0], slug)
    page = client.get(f"/questions/{slug}/2")
    assert page.status_code == 200 and "이 질문은 최신 팩에서 빠졌습니다." in page.text
    assert f"/questions/{slug}/2" not in client.get(f"/questions/{slug}").text
    listed = client.get("/api/v1/questions", params={"pack": slug}).json()
    assert [i["number"] for i in listed["items"]] == ["1"]
    assert client.get(f"/api/v1/questions/{slug}/2").json()["retired"] is True
    assert client.get(f"/api/v1/questions/{slug}/1").json()["next"] is None


def test_search_matches_decomposed_korean(client, import_text: ImportText) -> None:  # noqa: ANN001
    import unicodedata

    slug = unique_slug()
    import_text("## #1\n\n#### 질문\n\n모델이 예측을 과신한다.\n", slug)
    nfd = unicodedata.normalize("NFD", "과신")
    items = client.get("/api/v1/questions", params={"q": nfd, "pack": slug}).json()["items"]
    assert [i["number"] for i in items] == ["1"]


def test_each_visitor_gets_their_own_csrf_token_on_a_cached_page(app, packs) -> None:  # noqa: ANN001
    from fastapi.testclient import TestClient

    from app.content.views import _CSRF_MARK

    tokens = []
    for _ in range(2):
        with TestClient(app, base_url="http://127.0.0.1") as visitor:
            r = visitor.get("/questions/deep-learning/16")
            from tests.factories import csrf_for

            cookie = csrf_for(visitor)
            assert visitor.cookies.get("mogi_csrf")
            assert f'<meta name="csrf-token" content="{cookie}">' in r.text
            assert _CSRF_MARK not in r.text
            again = visitor.get("/questions/deep-learning/16")
            assert f'content="{cookie}"' in again.text and "set-cookie" not in again.headers
            tokens.append(cookie)
    assert tokens[0] != tokens[1]

"""The content REST API: packs, question lists and search, one question, errors."""

from __future__ import annotations

import pytest

from tests.content.conftest import HOSTILE_PACK, ImportText, unique_slug, unsafe_parts


def test_packs_list_counts(client, packs: dict[str, str]) -> None:  # noqa: ANN001
    r = client.get("/api/v1/packs")
    assert r.status_code == 200
    by = {p["slug"]: p for p in r.json()}
    assert by["deep-learning"]["question_count"] == 47
    assert by["deep-learning"]["answered_count"] == 35
    assert by["machine-learning"]["question_count"] == 29  # the library's, from 2022
    assert by["statistics"]["question_count"] == 25
    assert by[packs["ml"]]["question_count"] == 29  # the 2021 files, imported on the side
    assert by[packs["stats"]]["question_count"] == 25
    source = by["deep-learning"]["source"]
    assert source["repository"] == "boostcamp-ai-tech-4/ai-tech-interview"
    assert source["commit"] == "afca6fa5c790493112165181d0262377948f0253"
    assert source["license"] == "MIT"


def test_question_list_pages_through_a_pack(client, packs: dict[str, str]) -> None:  # noqa: ANN001
    r = client.get("/api/v1/questions", params={"pack": "deep-learning", "limit": 10})
    body = r.json()
    assert r.status_code == 200 and body["total"] == 47 and len(body["items"]) == 10
    assert [i["number"] for i in body["items"][:3]] == ["1", "2", "3"]
    page = client.get(
        "/api/v1/questions", params={"pack": "deep-learning", "limit": 10, "offset": 40}
    ).json()
    numbers = [i["number"] for i in page["items"]]
    assert numbers == ["19-1", "19-2", "19-3", "20", "20-1", "20-2", "20-3"]
    assert page["items"][0]["parent"] == "19" and page["items"][0]["id"] == "deep-learning/19-1"
    assert page["items"][3]["parent"] is None
    assert page["offset"] == 40 and page["limit"] == 10
    beyond = client.get("/api/v1/questions", params={"pack": "deep-learning", "offset": 500})
    assert beyond.json()["items"] == [] and beyond.json()["total"] == 47


def test_search_finds_korean_substrings(client, packs: dict[str, str]) -> None:  # noqa: ANN001
    r = client.get("/api/v1/questions", params={"q": "기울기 소실", "pack": "deep-learning"})
    numbers = [i["number"] for i in r.json()["items"]]
    assert "12" in numbers
    # Part of a word: "정규화" inside "배치 정규화(Batch Normalization)".
    hits = client.get("/api/v1/questions", params={"q": "규화"}).json()
    assert {i["pack"] for i in hits["items"]} >= {"deep-learning", "machine-learning"}
    hit = next(i for i in hits["items"] if i["id"] == "deep-learning/16")
    assert hit["snippet"] and "규화" in hit["snippet"]


def test_search_is_case_insensitive_and_ranks_titles_first(client, packs) -> None:  # noqa: ANN001
    items = client.get("/api/v1/questions", params={"q": "relu", "pack": "deep-learning"}).json()
    numbers = [i["number"] for i in items["items"]]
    # Titles with ReLU come before answers mentioning it.
    assert set(numbers[:4]) == {"5", "12", "12-2", "12-3"}
    assert {"12-2", "12-3"} <= set(numbers)


def test_search_for_overconfidence(client, import_text: ImportText) -> None:  # noqa: ANN001
    slug = unique_slug()
    import_text(
        "## #1\n\n#### 보정(calibration)이란?\n\n"
        "모델이 자기 예측을 **과신**하는 경향을 바로잡는다.\n"
        "\n## #2\n\n#### 다른 질문\n\n관계없는 답.\n",
        slug,
    )
    body = client.get("/api/v1/questions", params={"q": "과신"}).json()
    assert [i["id"] for i in body["items"]] == [f"{slug}/1"]
    assert body["total"] == 1
    assert "과신" in body["items"][0]["snippet"]


def test_search_treats_like_wildcards_literally(client, packs) -> None:  # noqa: ANN001
    assert client.get("/api/v1/questions", params={"q": "a%z"}).json()["total"] == 0
    assert client.get("/api/v1/questions", params={"q": "z_q"}).json()["total"] == 0
    assert client.get("/api/v1/questions", params={"q": "100%"}).json()["total"] >= 1


def test_one_question(client, packs: dict[str, str]) -> None:  # noqa: ANN001
    r = client.get("/api/v1/questions/deep-learning/12")
    assert r.status_code == 200
    q = r.json()
    assert q["id"] == "deep-learning/12" and q["pack"] == "deep-learning" and q["number"] == "12"
    assert q["title"] == "요즘 sigmoid 보다 ReLU를 많이 쓰는데 그 이유는?"
    assert q["parent"] is None
    assert [f["number"] for f in q["follow_ups"]] == ["12-1", "12-2", "12-3", "12-4"]
    assert q["previous"]["number"] == "11" and q["next"]["number"] == "12-1"
    assert q["has_answer"] is True
    assert q["answer_markdown"].startswith("<div align='center'>")
    assert "<strong>기울기 소실 문제(Gradient Vanishing)</strong>" in q["answer_html"]
    assert len(q["references"]) == 3
    assert q["references"][2] == {
        "title": "딥러닝에서 사용하는 활성화함수 - reniew's blog",
        "url": "https://reniew.github.io/12/",
    }
    follow = client.get("/api/v1/questions/deep-learning/12-3").json()
    assert follow["parent"]["id"] == "deep-learning/12" and follow["follow_ups"] == []


def test_question_without_answer(client, packs: dict[str, str]) -> None:  # noqa: ANN001
    q = client.get("/api/v1/questions/deep-learning/19-3").json()
    assert q["has_answer"] is False and q["answer_markdown"] == "무슨말일까요..."
    empty = client.get("/api/v1/questions/deep-learning/13").json()
    assert empty["has_answer"] is False and empty["answer_html"] == ""
    assert empty["references"] == []


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/questions/deep-learning/99",
        "/api/v1/questions/deep-learning/12-9",
        "/api/v1/questions/no-such-pack/1",
        "/api/v1/questions/deep-learning/%3Cscript%3E",
        "/api/v1/questions?pack=no-such-pack",
    ],
)
def test_unknown_ids_are_404_problems(client, packs, path: str) -> None:  # noqa: ANN001
    r = client.get(path)
    assert r.status_code == 404
    assert r.headers["content-type"].startswith("application/problem+json")
    body = r.json()
    assert body["status"] == 404 and body["title"] == "Not Found" and body["detail"]


@pytest.mark.parametrize(
    "params",
    [{"limit": 0}, {"limit": 201}, {"limit": "x"}, {"offset": -1}],
)
def test_bad_paging_is_422(client, params: dict[str, object]) -> None:  # noqa: ANN001
    r = client.get("/api/v1/questions", params=params)
    assert r.status_code == 422
    assert r.headers["content-type"].startswith("application/problem+json")
    assert r.json()["errors"]


def test_openapi_documents_the_content_routes(client) -> None:  # noqa: ANN001
    paths = client.get("/api/v1/openapi.json").json()["paths"]
    assert {"/api/v1/packs", "/api/v1/questions", "/api/v1/questions/{pack}/{number}"} <= set(paths)
    get = paths["/api/v1/questions/{pack}/{number}"]["get"]
    assert "404" in get["responses"]


def test_hostile_pack_is_served_harmless(client, import_text: ImportText) -> None:  # noqa: ANN001
    slug = unique_slug("hostile")
    result = import_text(HOSTILE_PACK, slug)
    assert result.created == 2
    q = client.get(f"/api/v1/questions/{slug}/1").json()
    assert q["title"] == "<script>alert('title')</script> 제목"  # data, escaped wherever shown
    assert unsafe_parts(q["answer_html"]) == []
    assert "<script" in q["answer_markdown"]  # the source is kept as it was
    refs = q["references"]
    assert refs[0]["url"] == ""  # a javascript: link is no link: its text is kept as the title
    assert refs[1] == {"title": "<img src=x onerror=alert(10)>", "url": "https://example.org/"}


def test_a_long_query_is_cut_never_refused(client, packs) -> None:  # noqa: ANN001
    r = client.get("/api/v1/questions", params={"q": "드롭아웃 " + "x" * 500})
    assert r.status_code == 200
    assert any(i["id"] == "deep-learning/16-1" for i in r.json()["items"])
    page = client.get("/search", params={"q": "드롭아웃 " * 100})
    assert page.status_code == 200 and "deep-learning/16-1" in page.text

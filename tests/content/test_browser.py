"""Content pages in headless Chromium: Korean glyphs, MathML, phone layout, no outside request."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.content.conftest import HOSTILE_PACK, ImportText, unique_slug

pytestmark = pytest.mark.browser

PHONE_PAGES = [
    "/",
    "/questions",
    "/questions/deep-learning/4",
    "/questions/deep-learning/18-2",
    "/questions/machine-learning/1",
    "/questions/machine-learning/29",
    "/questions/statistics-math-2021/3",
    "/questions/statistics/1",
    "/questions/algorithm/6-2-1",
    "/search?q=정규화",
]


class RequestLog:
    """Every URL a page asked for, to prove nothing leaves the local server."""

    def __init__(self, page, base: str) -> None:  # noqa: ANN001
        self.base = base
        self.urls: list[str] = []
        page.on("request", lambda request: self.urls.append(request.url))

    def outside(self) -> list[str]:
        return [u for u in self.urls if not u.startswith(self.base + "/")]


@pytest.fixture
def log(page, live_server: str, packs: dict[str, str]) -> Iterator[RequestLog]:  # noqa: ANN001
    record = RequestLog(page, live_server)
    yield record
    assert record.outside() == []


def _hangul_glyphs_from_cjk_font(page, selector: str) -> tuple[int, int, list[dict]]:  # noqa: ANN001
    """(Hangul characters in the element, glyphs drawn by a CJK font, fonts Chromium used)."""
    text = page.locator(selector).first.inner_text()
    hangul = sum("\uac00" <= ch <= "\ud7a3" for ch in text)
    cdp = page.context.new_cdp_session(page)
    cdp.send("DOM.enable")
    cdp.send("CSS.enable")
    root = cdp.send("DOM.getDocument", {"depth": 0})["root"]["nodeId"]
    node = cdp.send("DOM.querySelector", {"nodeId": root, "selector": selector})["nodeId"]
    fonts = cdp.send("CSS.getPlatformFontsForNode", {"nodeId": node})["fonts"]
    cjk = sum(f["glyphCount"] for f in fonts if "CJK" in f["familyName"] or "KR" in f["familyName"])
    return hangul, cjk, fonts


def test_home_tree_and_search_render(page, live_server: str, log: RequestLog) -> None:  # noqa: ANN001
    page.goto(live_server + "/")
    assert page.locator("h1").first.inner_text().startswith("모의 면접으로")
    page.fill("#home-q", "드롭아웃")
    page.keyboard.press("Enter")
    page.wait_for_url("**/search?q=*")
    assert page.locator("mark", has_text="드롭아웃").count() >= 1
    page.goto(live_server + "/questions/deep-learning")
    follow = page.locator("ol.tree-follow").first
    assert follow.locator("li").count() == 4 and follow.is_visible()
    page.goto(live_server + "/search?q=없는낱말없는낱말")
    assert page.locator(".empty-state").is_visible()


def test_korean_is_drawn_with_real_glyphs(page, live_server: str, log: RequestLog) -> None:  # noqa: ANN001
    page.goto(live_server + "/questions/deep-learning/12-3")
    box = page.locator("h1#question-title").bounding_box()
    assert box is not None and box["width"] > 50 and box["height"] > 10
    hangul, cjk, fonts = _hangul_glyphs_from_cjk_font(page, "h1#question-title")
    assert hangul >= 3
    assert cjk >= hangul, f"Hangul drawn by {fonts}: a missing font shows boxes (tofu)"
    assert page.evaluate("document.fonts.check('16px \"Noto Sans CJK KR\"')")


def test_math_and_code_render(page, live_server: str, log: RequestLog) -> None:  # noqa: ANN001
    page.goto(live_server + "/questions/deep-learning/4")
    maths = page.locator(".answer-body math")
    assert maths.count() == 2
    box = maths.first.bounding_box()
    assert box is not None and box["width"] > 20 and box["height"] > 10
    # MathML layout: the fraction's numerator sits above its denominator.
    above = page.evaluate(
        "() => { const f = document.querySelector('.answer-body mfrac');"
        " const [n, d] = f.children; return n.getBoundingClientRect().bottom"
        " <= d.getBoundingClientRect().top + 1; }"
    )
    assert above
    # Its figure is shipped with the pack: drawn, from our origin, no stand-in.
    figure = page.locator(".answer-body img")
    assert figure.count() == 1 and page.locator(".img-placeholder").count() == 0
    page.wait_for_function("() => document.querySelector('.answer-body img').complete")
    assert figure.evaluate("i => i.naturalWidth") > 0
    page.goto(live_server + "/questions/machine-learning-2021/1")
    assert page.locator(".math-block math[display=block]").count() == 5
    page.goto(live_server + "/questions/deep-learning/18-2")
    code = page.locator("pre code.language-python")
    assert "def numerical_gradient(f, x):" in code.inner_text()


def test_arrow_keys_move_between_questions(page, live_server: str, log: RequestLog) -> None:  # noqa: ANN001
    page.goto(live_server + "/questions/deep-learning/12")
    page.keyboard.press("ArrowRight")
    page.wait_for_url("**/questions/deep-learning/12-1")
    page.keyboard.press("ArrowLeft")
    page.wait_for_url("**/questions/deep-learning/12")


@pytest.mark.parametrize("path", PHONE_PAGES)
def test_no_horizontal_overflow_on_a_phone(
    phone_page,
    live_server: str,
    packs: dict[str, str],
    path: str,  # noqa: ANN001
) -> None:
    record = RequestLog(phone_page, live_server)
    phone_page.goto(live_server + path)
    width = phone_page.evaluate("document.documentElement.scrollWidth")
    # A mobile browser widens window.innerWidth along with wide content; clientWidth stays
    # the device width, so this comparison can fail.
    viewport = phone_page.evaluate("document.documentElement.clientWidth")
    assert width <= viewport, f"{path}: content is {width}px wide on a {viewport}px screen"
    assert record.outside() == []


def test_hostile_pack_runs_nothing_in_the_browser(
    page,
    live_server: str,
    import_text: ImportText,  # noqa: ANN001
) -> None:
    slug = unique_slug("hostile")
    import_text(HOSTILE_PACK, slug)
    dialogs: list[str] = []

    def on_dialog(dialog) -> None:  # noqa: ANN001
        dialogs.append(dialog.message)
        dialog.dismiss()

    page.on("dialog", on_dialog)
    record = RequestLog(page, live_server)
    for path in (f"/questions/{slug}/1", f"/questions/{slug}/1-1", f"/questions/{slug}"):
        page.goto(live_server + path)
        page.mouse.move(200, 300)
        page.locator("main a").first.hover()
        page.locator("main").click(position={"x": 5, "y": 5})
    assert dialogs == []
    assert record.outside() == []
    assert page.locator("h2#pack-" + slug).count() == 0  # a single pack page
    response = page.goto(live_server + f"/questions/{slug}/1")
    assert response is not None and response.status == 200, page.content()[-2000:]
    assert page.locator("h1#question-title").inner_text() == "<script>alert('title')</script> 제목"


def _pages_with_figures(client_base: str) -> list[str]:
    import httpx

    urls = []
    packs = httpx.get(client_base + "/api/v1/packs").json()
    for pack in packs:
        items = httpx.get(
            client_base + "/api/v1/questions", params={"pack": pack["slug"], "limit": 200}
        ).json()["items"]
        for item in items:
            body = httpx.get(client_base + "/api/v1/questions/" + item["id"]).json()
            if "<img" in body["answer_html"]:
                urls.append(item["url"])
    return urls


@pytest.mark.slow
def test_every_shipped_figure_shows_from_our_own_origin(
    page, log: RequestLog, tmp_path: Path
) -> None:  # noqa: ANN001, E501
    """The seed's 28 figures and every other shipped pack's: loaded, drawn, all from us."""
    pages = _pages_with_figures(log.base)
    seed_pages = [u for u in pages if u.startswith("/questions/deep-learning/")]
    assert len(seed_pages) == 12  # the seed's 28 figures are in 12 of its answers
    seen: set[str] = set()
    for url in pages:
        page.goto(log.base + url)
        page.wait_for_load_state("load")
        figures = page.eval_on_selector_all(
            ".answer-body img",
            """imgs => imgs.map(img => { img.loading = "eager"; return img.src; })""",
        )
        assert figures, url
        page.wait_for_function(
            "() => [...document.querySelectorAll('.answer-body img')].every(i => i.complete)"
        )
        sizes = page.eval_on_selector_all(
            ".answer-body img", "imgs => imgs.map(i => [i.src, i.naturalWidth, i.alt])"
        )
        for src, width, alt in sizes:
            assert width > 0, f"{url}: {src} did not load"
            assert src.startswith(log.base + "/packs/"), src
            assert not alt.endswith((".png", ".jpg", ".jpeg")), "a file name as alt text"
            seen.add(src.split("?")[0])
        assert "img-placeholder" not in page.content() or "statistics-distribution" in url
    seed_figures = {s for s in seen if "/packs/deep-learning/" in s}
    assert len(seed_figures) == 28
    shot = tmp_path / "figures.png"
    page.goto(log.base + "/questions/deep-learning/16")
    page.screenshot(path=str(shot), full_page=True)
    assert shot.stat().st_size > 10_000  # the page with its BN figure drawn, for a look
    assert log.outside() == []


def test_display_formulas_are_centred(page, live_server: str, log: RequestLog) -> None:  # noqa: ANN001
    page.goto(live_server + "/questions/statistics/1")  # `$$ Ax = \lambda x $$` on its own lines
    left, right = page.evaluate(
        "() => { const m = document.querySelector('.math-block math[display=block]');"
        " const r = m.firstElementChild.getBoundingClientRect();"
        " const c = m.parentElement.getBoundingClientRect();"
        " return [r.left - c.left, c.right - r.right]; }"
    )
    assert left > 50 and abs(left - right) < 4
    assert page.locator(".answer-body .math-inline math").count() >= 5  # $$x$$ in sentences

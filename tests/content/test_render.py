"""Answer rendering: math to MathML, images, links, code, and sanitising hostile input."""

from __future__ import annotations

import re

import pytest

from app.content.parser import parse_pack
from app.content.render import RenderContext, render_answer
from tests.conftest import PACKS_DIR, SEED_FILE
from tests.content.conftest import COMMIT, REPOSITORY, unsafe_parts

pytestmark = pytest.mark.shared("seed", "packs")

RAW = "https://raw.githubusercontent.com"
SEED_CTX = RenderContext("deep-learning", REPOSITORY, COMMIT, "answers/deep-learning.md")
REMOTE_CTX = RenderContext(
    "deep-learning", REPOSITORY, COMMIT, "answers/deep-learning.md", remote_image_base=RAW
)


def _entries(path, ctx: RenderContext) -> dict[str, str]:  # noqa: ANN001
    pack = parse_pack(path.read_text(encoding="utf-8"))
    return {e.number: render_answer(e.answer_markdown, ctx) for e in pack.entries}


@pytest.fixture(scope="module")
def seed_html() -> dict[str, str]:
    return _entries(SEED_FILE, SEED_CTX)


@pytest.fixture(scope="module")
def seed_remote_html() -> dict[str, str]:
    return _entries(SEED_FILE, REMOTE_CTX)


@pytest.fixture(scope="module")
def ml_html() -> dict[str, str]:
    ctx = RenderContext("machine-learning", REPOSITORY, COMMIT, "answers/machine-learning.md")
    return _entries(PACKS_DIR / "machine-learning.md", ctx)


def test_math_becomes_mathml_and_the_outside_renderer_is_gone(seed_html: dict[str, str]) -> None:
    html = seed_html["4"]
    assert html.count("<math") == 2
    assert "<mfrac>" in html and "<msub><mi>x</mi>" in html
    for body in seed_html.values():
        assert "render.githubusercontent.com" not in body
        assert "<!--" not in body and "$" not in body.replace("&#36;", "")


def test_inline_math_stays_inside_its_sentence(seed_html: dict[str, str]) -> None:
    html = seed_html["12-1"]
    paragraph = next(p for p in html.split("</p>") if "비선형(non-linearity)의 뜻" in p)
    assert (
        paragraph.count('<math xmlns="http://www.w3.org/1998/Math/MathML" display="inline">') == 3
    )
    assert "</math>과 가중치 <math" in paragraph
    assert 'display="block"' not in html


def test_display_math_is_a_block_and_mixed_comments_keep_their_text(
    ml_html: dict[str, str],
) -> None:
    assert ml_html["1"].count('<div class="math-block"><math') == 5
    assert 'display="block"' in ml_html["1"]
    # "<!-- $\beta$에 대한 식 $f(x, \beta)$ -->": two formulas with Korean text between them.
    assert "</math>에 대한 식 <math" in ml_html["29"]
    # Local .svg renderings of formulas are dropped with the comment they repeat.
    assert ".svg" not in ml_html["8"] and "<math" in ml_html["8"]


def test_code_block_is_escaped_and_kept(seed_html: dict[str, str]) -> None:
    html = seed_html["18-2"]
    assert '<pre><code class="language-python"># 가중치 매개변수의 기울기를 구함' in html
    assert "for key in (&#x27;W1&#x27;" in html or "for key in ('W1'" in html


def test_blockquote_lists_bold_and_inline_code(seed_html: dict[str, str]) -> None:
    html = seed_html["1"]
    assert "<blockquote>" in html
    assert "<strong>딥러닝이란</strong>" in html
    assert "<code>어떤 특징을 추출할지 사람이 직접 분석하고 판단</code>" in html
    assert re.search(r"<li>지도학습\s*<ul>\s*<li>분류, 회귀", html)


def test_images_without_remote_base_are_captions_never_images(seed_html: dict[str, str]) -> None:
    for body in seed_html.values():
        assert "<img" not in body
    # Markdown image with alt text, a raw <img> of ../images, a github blob page.
    assert '<span class="img-placeholder"><a href="https://github.com/' in seed_html["1"]
    assert ">ai_ml_dl</a>" in seed_html["1"]
    assert f"/blob/{COMMIT}/images/sally/2021-05-01-02-44-22.png" in seed_html["1"]
    assert f"/blob/{COMMIT}/images/penguin/activation-function.png" in seed_html["12"]
    # A file name is no caption: the stand-in says "그림" (figure) and links to the file.
    assert "activation-function.png</a>" not in seed_html["12"]
    assert ">그림</a>" in seed_html["12"]
    assert f"/blob/{COMMIT}/images/heath/sigmoid.png" in seed_html["5"]
    assert "blob/main" not in seed_html["5"]


def test_images_with_remote_base_use_the_pinned_commit(seed_remote_html: dict[str, str]) -> None:
    base = f"{RAW}/{REPOSITORY}/{COMMIT}/images"
    assert (
        f'<img src="{base}/sally/2021-05-01-02-44-22.png" alt="ai_ml_dl"' in seed_remote_html["1"]
    )
    assert f'src="{base}/penguin/activation-function.png"' in seed_remote_html["12"]
    assert 'height="240px"' in seed_remote_html["12"]
    assert f'src="{base}/heath/sigmoid.png"' in seed_remote_html["5"]
    srcs = re.findall(r'<img src="([^"]+)"', "".join(seed_remote_html.values()))
    assert len(srcs) == 28  # every image of the seed, and nothing else
    assert all(src.startswith(f"{RAW}/{REPOSITORY}/{COMMIT}/images/") for src in srcs)


def test_links_between_entries_and_to_the_source_repository(seed_html: dict[str, str]) -> None:
    assert '<a href="/questions/deep-learning/17-3"' in seed_html["14-1"]
    assert '<a href="/questions/deep-learning/14"' in seed_html["14-2"]
    ml_link = f"https://github.com/{REPOSITORY}/blob/{COMMIT}/answers/machine-learning.md#21"
    assert f'<a href="{ml_link}"' in seed_html["15-3"]
    assert '<a href="https://github.com/youbeebee/deeplearning_from_scratch' in seed_html["18-3"]


def test_raw_html_is_kept_where_safe(seed_html: dict[str, str]) -> None:
    html = seed_html["12-4"]
    assert '<div align="center">' in html
    assert "<small><strong>bias별 sigmoid 함수의 위치</strong></small>" in html
    assert "<strong>죽은 뉴런(Dead Neurons)</strong>" in seed_html["12-3"]


def test_emoji_pass_through() -> None:
    html = render_answer("✔︎ 추가적으로 📝 정리", SEED_CTX)
    assert "✔︎" in html and "📝" in html


HOSTILE = """\
<script>alert('x')</script>

<img src=x onerror="alert(1)">

<img src="data:image/svg+xml;base64,PHN2Zz4=" alt="data image">

[클릭](javascript:alert(1)) and <a href="JaVaScRiPt:alert(2)">raw</a> and
<a href="jav&#x09;ascript:alert(3)">tab</a> and <javascript:alert(4)> and
<a href="data:text/html,<script>alert(5)</script>">data</a>

<iframe src="https://example.com/"></iframe>
<style>body { display: none }</style>
<div style="position:fixed;inset:0" onclick="alert(6)">styled</div>
<svg onload="alert(7)"><circle r="1"/></svg>
<object data="x.swf"></object><embed src="x.swf">
<form action="https://example.com/"><input name="a"><button>go</button></form>
<meta http-equiv="refresh" content="0;url=https://example.com/">
<base href="https://example.com/"><link rel="stylesheet" href="https://example.com/x.css">
<details open ontoggle="alert(8)"><summary>s</summary></details>
<math><mi xlink:href="javascript:alert(9)" href="javascript:alert(9)">x</mi></math>

<!-- $\\text{<img src=x onerror=alert(10)>}$ --> <img src="https://render.githubusercontent.com/render/math?math=x">

![img](javascript:alert(11))
"""


def test_hostile_markdown_is_rendered_harmless() -> None:
    html = render_answer(HOSTILE, SEED_CTX)
    assert unsafe_parts(html) == []
    lowered = html.lower()
    for needle in (
        "<script",
        'onerror="',
        "onclick",
        "onload",
        "ontoggle",
        "<iframe",
        "<style",
        "<object",
        "<embed",
        "<form",
        "<meta",
        "<base",
        "<link",
        "<svg",
        'href="javascript',
        'src="data:',
        "example.com/x.css",
    ):
        assert needle not in lowered, needle
    assert "styled" in html  # the text survives, the style does not
    # LaTeX \text{} with markup in it stays text inside its formula.
    assert re.search(r"<mtext>[^<]*onerror=alert\(10\)[^<]*</mtext></mrow></math>", html)


def test_hostile_markdown_with_remote_images_loads_only_the_source_repository() -> None:
    html = render_answer(HOSTILE + "\n![far](https://example.com/a.png)\n", REMOTE_CTX)
    assert unsafe_parts(html) == []
    srcs = re.findall(r'<img src="([^"]+)"', html)
    assert all(src.startswith(f"{RAW}/{REPOSITORY}/{COMMIT}/") for src in srcs), srcs
    assert '<a href="https://example.com/a.png"' in html  # other hosts: a link, not a request

"""The format as upstream files really write it: every smaller point of the library issue."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy.orm import Session

from app.cli import main as mogi
from app.content import repository
from app.content.parser import parse_pack
from app.content.render import RenderContext, render_answer
from tests.content.conftest import REPOSITORY, ImportText, unique_slug

CTX = RenderContext(
    "dl",
    REPOSITORY,
    "c" * 40,
    "answers/deep-learning.md",
    "",
    {},
    {"answers/machine-learning.md": "machine-learning"},
)


def test_question_headings_of_three_or_four_hashes_and_numbers_of_any_depth() -> None:
    pack = parse_pack(
        "## #6\n### 그래프\n\n## #6-2\n#### 최단 경로\n\n## #6-2-1\n#### 다익스트라\n\n"
        "## #6-2-2\n### 플로이드\n"
    )
    parents = {e.number: e.parent_number for e in pack.entries}
    assert parents == {"6": None, "6-2": "6", "6-2-1": "6-2", "6-2-2": "6-2"}
    assert [e.title for e in pack.entries] == ["그래프", "최단 경로", "다익스트라", "플로이드"]


def test_a_fence_left_open_in_a_list_item_closes_with_the_item() -> None:
    text = (
        "## #1\n#### 질문\n\n1. 코드:\n   ```python\n   x = 1\n\n다음 문단\n\n"
        "## #2\n#### 둘째\n\n답\n"
    )
    pack = parse_pack(text)
    assert [e.number for e in pack.entries] == ["1", "2"]
    assert "다음 문단" in render_answer(pack.entries[0].answer_markdown, CTX)


def test_a_fence_never_closed_ends_with_its_entry() -> None:
    pack = parse_pack("## #1\n#### 질문\n\n```python\nx = 1\n\n## #2\n#### 둘째\n\n답\n")
    assert [e.number for e in pack.entries] == ["1", "2"]
    assert "<pre><code" in render_answer(pack.entries[0].answer_markdown, CTX)


def test_entry_headings_inside_html_comments_are_no_entries() -> None:
    pack = parse_pack("## #1\n#### 질문\n\n<!--\n## #2\n#### 숨김\n-->\n답\n")
    assert [e.number for e in pack.entries] == ["1"]


def test_wrapped_reference_link_text_is_one_reference() -> None:
    pack = parse_pack(
        "## #1\n#### 질문\n\n답\n\n#### References\n\n- [긴 제목이\n  둘째 줄로](https://a.example/x)\n"
        "- [다음](https://b.example/)\n"
    )
    refs = pack.entries[0].references
    assert [(r.title, r.url) for r in refs] == [
        ("긴 제목이 둘째 줄로", "https://a.example/x"),
        ("다음", "https://b.example/"),
    ]


def test_backticks_in_titles_are_code_not_characters() -> None:
    pack = parse_pack("## #1\n#### `__init__`은 무엇인가요?\n\n답\n")
    assert pack.entries[0].title == "__init__은 무엇인가요?"


def test_display_and_inline_math_become_mathml() -> None:
    html = render_answer("값 $$x^2$$ 과 $y$ 입니다.\n\n$$\na * b \\\\ c\n$$\n", CTX)
    assert html.count('<span class="math-inline"><math') == 2
    assert '<div class="math-block"><math' in html and 'display="block"' in html
    assert "$" not in html and "<em>" not in html


def test_comments_with_dollars_stay_hidden_and_code_keeps_its_dollars() -> None:
    html = render_answer("가격 <!-- $5 정도 --> 본문 `$x$` 그리고 `<!-- $y$ -->`", CTX)
    assert "정도" not in html and "<math" not in html
    assert "<code>$x$</code>" in html and "&lt;!-- $y$ --&gt;" in html


def test_table_alignment_is_kept() -> None:
    html = render_answer("| a | b | c |\n|:--|:-:|--:|\n| 1 | 2 | 3 |\n", CTX)
    assert '<td align="left">1</td>' in html and '<td align="center">2</td>' in html
    assert '<th align="right">c</th>' in html


def test_http_images_keep_their_link_and_file_names_are_no_captions() -> None:
    html = render_answer("![chart.png](http://example.org/chart.png)", CTX)
    assert '<a href="http://example.org/chart.png"' in html and "chart.png</a>" not in html


def test_links_to_other_packs_of_the_library_go_to_our_pages() -> None:
    html = render_answer("[ML #21](./machine-learning.md#21) [L](./python.md)", CTX)
    assert 'href="/questions/machine-learning/21"' in html
    assert f'href="https://github.com/{REPOSITORY}/blob/{"c" * 40}/answers/python.md"' in html


def test_entry_links_inside_references_go_to_our_pages(
    db: Session, import_text: ImportText
) -> None:
    slug = unique_slug()
    result = import_text("## #1\n#### 질문\n\n답\n\n#### References\n\n- [앞 질문](#1-1)\n", slug)
    question = repository.get_question(db, repository.get_pack(db, slug).id, "1")  # type: ignore[union-attr]
    assert result.created == 1 and question is not None
    assert question.references[0].url == f"/questions/{slug}/1-1"


def test_reimport_without_its_sidecar_keeps_title_source_and_licence(
    db: Session, tmp_path: Path
) -> None:
    slug = unique_slug()
    pack = tmp_path / f"{slug}.md"
    pack.write_text("## #1\n#### 질문\n\n답\n", encoding="utf-8")
    pack.with_suffix(".toml").write_text(
        f'slug = "{slug}"\ntitle = "제목"\n[source]\nrepository = "o/r"\ncommit = "abc"\n'
        'path = "answers/x.md"\nlicense = "MIT"\n',
        encoding="utf-8",
    )
    assert mogi(["import", str(pack)]) == 0
    pack.with_suffix(".toml").unlink()
    pack.write_text("## #1\n#### 질문\n\n고친 답\n", encoding="utf-8")
    assert mogi(["import", str(pack)]) == 0
    db.expire_all()
    row = repository.get_pack(db, slug)
    assert row is not None
    assert (row.title, row.source_repository, row.source_path, row.license) == (
        "제목",
        "o/r",
        "answers/x.md",
        "MIT",
    )

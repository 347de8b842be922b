"""Property tests of the parser, the renderer and the importer on generated packs."""

from __future__ import annotations

import re

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.content.importer import PackImportError, import_pack_text
from app.content.models import Question
from app.content.parser import PackFormatError, parse_pack
from app.content.render import RenderContext, render_answer
from tests.content.conftest import source_meta, unique_slug, unsafe_parts

# Lines that exercise every rule of the format, mixed with hostile HTML and plain text.
FRAGMENTS = [
    "## #1",
    "## #1-1",
    "## #2",
    "## #2-1-1",
    "## #3-1",
    "## #x",
    "#### 질문입니다?",
    "### `code` 제목",
    "####   ",
    "#### References",
    "- [링크 제목이",
    "  이어집니다](https://example.org/a)",
    "- [entry](#1-1)",
    "```python",
    "```",
    "~~~",
    "   ```",
    "<!--",
    "-->",
    "<!-- $x^2$ --> <img src='https://render.githubusercontent.com/x'>",
    "<!-- $5 비용 -->",
    "$$",
    "a \\\\ b * c",
    "$$x_1$$ 와 $y$",
    "`$x$`",
    "| a | b |",
    "|:--|--:|",
    "![a.png](/images/sally/a.png)",
    '<img src="http://example.org/x.png" onerror="alert(1)">',
    "<script>alert(1)</script>",
    '<a href="javascript:alert(1)">x</a>',
    "<svg onload=alert(1)>",
    "---",
    "",
    "본문 **굵게** 그리고 *기울임*",
]
lines = st.lists(
    st.one_of(st.sampled_from(FRAGMENTS), st.text(max_size=30)), min_size=0, max_size=40
)
PROPERTY_SETTINGS = settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


@PROPERTY_SETTINGS
@given(lines)
@example(["## #1", "\r0"])  # a lone CR ends a line too: the error is on line 3 of 3
def test_any_input_parses_or_is_refused_with_a_line(parts: list[str]) -> None:
    text = "\n".join(parts)
    try:
        pack = parse_pack(text)
    except PackFormatError as exc:
        # Lines as the parser and editors count them: CRLF, LF and a lone CR each end one.
        count = len(text.replace("\r\n", "\n").replace("\r", "\n").split("\n"))
        assert 1 <= exc.line <= max(1, count)
        assert str(exc).startswith(f"line {exc.line}: ")
        return
    numbers = [e.number for e in pack.entries]
    assert len(numbers) == len(set(numbers))
    for entry in pack.entries:
        assert entry.title.strip()
        assert entry.parent_number is None or entry.parent_number in numbers


@PROPERTY_SETTINGS
@given(lines)
def test_rendered_html_is_always_safe(parts: list[str]) -> None:
    ctx = RenderContext("p", "o/r", "c" * 40, "answers/p.md", "", {}, {})
    html = render_answer("\n".join(parts), ctx)
    assert unsafe_parts(html) == []


@PROPERTY_SETTINGS
@given(lines)
def test_import_is_safe_and_idempotent(db: Session, parts: list[str]) -> None:
    text = "## #1\n#### 시작\n" + "\n".join(parts)
    slug = unique_slug("prop")
    try:
        first = import_pack_text(db, text, source_meta(slug, "answers/p.md"))
    except PackImportError as exc:
        db.rollback()
        assert re.search(r": line \d+: ", str(exc))
        return
    db.commit()
    assert not first.unchanged_pack
    again = import_pack_text(db, text, source_meta(slug, "answers/p.md"))
    db.commit()
    assert again.unchanged_pack
    rows = db.scalars(select(Question).where(Question.id.in_(first.question_ids.values()))).all()
    for row in rows:
        assert unsafe_parts(row.answer_html) == []

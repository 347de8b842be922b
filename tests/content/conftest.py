"""Content fixtures: the two extra packs imported with their source, and a pack-text importer."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from html.parser import HTMLParser

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.content.importer import ImportResult, PackMeta, import_pack_file, import_pack_text
from app.content.models import Pack, Question
from tests.conftest import PACKS_DIR, need_shared

REPOSITORY = "boostcamp-ai-tech-4/ai-tech-interview"
COMMIT = "afca6fa5c790493112165181d0262377948f0253"


def source_meta(slug: str, path: str = "", title: str | None = None) -> PackMeta:
    """Metadata of a pack taken from the seed's repository at the pinned commit."""
    return PackMeta(
        slug=slug,
        title=title or slug,
        source_repository=REPOSITORY,
        source_commit=COMMIT,
        source_path=path,
        license="MIT",
        copyright="Copyright (c) 2021 boostcamp-ai-tech-4",
    )


def unique_slug(prefix: str = "t") -> str:
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


OLD_PACKS = {"machine-learning": "machine-learning-2021", "statistics-math": "statistics-math-2021"}


@pytest.fixture(scope="module")
def packs(database_url: str, seeded: str) -> dict[str, str]:
    """The library (content/) plus both packs of ../shared/packs as they were in 2021, under
    slugs of their own, imported once per module; role -> slug."""
    from app.db import session_factory

    with session_factory()() as session:
        for name, slug in OLD_PACKS.items():
            meta = source_meta(slug, f"answers/{name}.md")
            import_pack_file(session, need_shared(PACKS_DIR / f"{name}.md"), meta)
        session.commit()
    return {
        "seed": seeded,
        "ml": OLD_PACKS["machine-learning"],
        "stats": OLD_PACKS["statistics-math"],
    }


ImportText = Callable[..., ImportResult]


@pytest.fixture
def import_text(db: Session) -> ImportText:
    """Import Markdown text as a pack (committed); returns the importer's result."""

    def run(text: str, slug: str | None = None, path: str = "answers/test.md") -> ImportResult:
        result = import_pack_text(db, text, source_meta(slug or unique_slug(), path))
        db.commit()
        return result

    return run


def table_counts(db: Session) -> tuple[int, int, str]:
    """Packs, questions and a fingerprint of every question row: 'nothing changed' checks."""
    packs = db.scalar(select(func.count(Pack.id))) or 0
    rows = db.execute(
        select(
            Question.id, Question.number, Question.title, Question.retired, Question.updated_at
        ).order_by(Question.id)
    ).all()
    return packs, len(rows), repr(rows)


class TagCollector(HTMLParser):
    """Every start tag with its attributes, for checking sanitised HTML."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, {k: v or "" for k, v in attrs}))


DANGEROUS_TAGS = {
    "script",
    "iframe",
    "style",
    "object",
    "embed",
    "form",
    "base",
    "link",
    "meta",
    "frame",
    "frameset",
    "svg",
    "template",
    "textarea",
    "button",
    "input",
}


def unsafe_parts(fragment: str, *, allow_layout: bool = False) -> list[str]:
    """What in fragment could run script or load something: should always be empty."""
    collector = TagCollector()
    collector.feed(fragment)
    found: list[str] = []
    for tag, attrs in collector.tags:
        layout_ok = allow_layout and (
            (tag == "script" and attrs.get("src", "").startswith("/static/"))
            or (tag == "link" and attrs.get("href", "").startswith("/static/"))
            or tag in {"meta", "form", "input", "button"}
        )
        if tag in DANGEROUS_TAGS and not layout_ok:
            found.append(f"<{tag}>")
        for name, value in attrs.items():
            if name.startswith("on") or name in {"style", "srcdoc", "formaction", "xlink:href"}:
                found.append(f"<{tag} {name}>")
            if name in {"href", "src", "action", "poster", "background"}:
                scheme = value.strip().lower().replace("\t", "").replace("\n", "")
                if scheme.startswith(("javascript:", "data:", "vbscript:")):
                    found.append(f"<{tag} {name}={value[:30]}>")
    return found


HOSTILE_PACK = """\
## 📝 <script>alert('toc')</script>

## #1

#### <script>alert('title')</script> 제목

<script>alert('x')</script>

<img src=x onerror="alert(1)"> <img src="data:image/png;base64,AAAA" alt="d">

[클릭](javascript:alert(1)) <a href="JaVaScRiPt:alert(2)">raw</a>
<a href="jav&#x09;ascript:alert(3)">tab</a> <a href="data:text/html,hi">data</a>

<iframe src="https://example.com/"></iframe>
<style>body { display: none }</style>
<div style="position:fixed" onclick="alert(6)">styled</div>
<svg onload="alert(7)"></svg>
<meta http-equiv="refresh" content="0;url=https://example.com/">
<form action="https://example.com/"><input name="a"><button>go</button></form>

<!-- $\\text{<img src=x onerror=alert(8)>} x^2$ --> <img src="https://render.githubusercontent.com/render/math?math=x">

#### References

- [악성 링크](javascript:alert(9))
- [<img src=x onerror=alert(10)>](https://example.org/)

## #1-1

#### 꼬리 "질문" <b onmouseover=alert(11)>굵게</b>

본문 <a href="#1">위로</a>
"""

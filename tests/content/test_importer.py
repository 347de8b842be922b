"""Importing packs into the database: exact counts, idempotence, updates in place, failures."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.content.commands import import_command
from app.content.models import Pack, Question, Reference
from tests.conftest import ROOT, SEED_FILE, subprocess_env
from tests.content.conftest import COMMIT, ImportText, table_counts, unique_slug


def _questions(db: Session, slug: str) -> dict[str, Question]:
    rows = db.scalars(
        select(Question).join(Pack).where(Pack.slug == slug).order_by(Question.position)
    ).all()
    return {q.number: q for q in rows}


def test_all_three_packs_import_exactly(db: Session, packs: dict[str, str]) -> None:
    counts = {role: len(_questions(db, slug)) for role, slug in packs.items()}
    assert counts == {"seed": 47, "ml": 29, "stats": 25}
    seed = _questions(db, "deep-learning")
    assert seed["12-3"].parent_id == seed["12"].id
    assert seed["12"].parent_id is None
    assert [q.position for q in seed.values()] == list(range(47))
    assert sum(not q.has_answer for q in seed.values()) == 12
    pack = db.scalar(select(Pack).where(Pack.slug == "deep-learning"))
    assert pack is not None
    assert (pack.title, pack.source_commit, pack.source_path, pack.license) == (
        "딥러닝",
        COMMIT,
        "answers/deep-learning.md",
        "MIT",
    )
    assert "boostcamp-ai-tech-4" in pack.copyright


def test_references_are_stored_in_order(db: Session, packs: dict[str, str]) -> None:
    seed = _questions(db, "deep-learning")
    refs = db.scalars(
        select(Reference).where(Reference.question_id == seed["4"].id).order_by(Reference.position)
    ).all()
    assert len(refs) == 5
    assert refs[0].title == "딥러닝 기초 Optimization_Regularization - Sally blog"
    assert refs[-1].url == "https://skyil.tistory.com/50"


def test_answers_are_prerendered(db: Session, packs: dict[str, str]) -> None:
    stats = _questions(db, packs["stats"])
    assert "<math" in stats["1"].answer_html
    assert "<pre><code>일단 주사위를 굴리는 상황은" in stats["3"].answer_html
    assert "render.githubusercontent.com" not in stats["1"].answer_html
    assert stats["25"].answer_html == ""


def test_reimporting_the_same_content_changes_nothing(db: Session, packs: dict[str, str]) -> None:
    before = table_counts(db)
    assert import_command(None, None) == 0
    db.expire_all()
    assert table_counts(db) == before


def test_cli_reports_unchanged(seeded: str) -> None:
    out = subprocess.run(
        [sys.executable, "-m", "app.cli", "import"],
        cwd=ROOT,
        env=subprocess_env(),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert out.returncode == 0, out.stderr
    assert "deep-learning: unchanged" in out.stdout


V1 = """\
## 📝 Table of Contents

- [첫 질문](#1)

---

## #1

#### 첫 질문

첫 답변입니다.

#### References

- [하나](https://example.org/1)

---

## #1-1

#### 꼬리 질문

꼬리 답변.

---

## #2

#### 두 번째 질문

두 번째 답변.
"""


def test_changed_pack_updates_in_place_and_retires(db: Session, import_text: ImportText) -> None:
    slug = unique_slug()
    first = import_text(V1, slug)
    assert (first.created, first.updated, first.retired) == (3, 0, 0)
    ids = dict(first.question_ids)
    v2 = V1.replace("첫 답변입니다.", "고친 답변입니다.").split("## #2")[0] + (
        "## #3\n\n#### 세 번째\n\n새 답변.\n"
    )
    second = import_text(v2, slug)
    assert (second.created, second.updated, second.unchanged, second.retired) == (1, 1, 1, 1)
    db.expire_all()
    rows = _questions(db, slug)
    assert rows["1"].id == ids["1"] and rows["1-1"].id == ids["1-1"]
    assert "고친 답변입니다." in rows["1"].answer_html
    assert rows["2"].id == ids["2"] and rows["2"].retired is True
    assert rows["3"].retired is False
    # Back to v1: #2 comes back with its old id, #3 retires.
    third = import_text(V1, slug)
    assert third.retired == 1
    db.expire_all()
    rows = _questions(db, slug)
    assert rows["2"].id == ids["2"] and not rows["2"].retired
    assert rows["3"].retired


def test_same_text_twice_is_a_no_op(db: Session, import_text: ImportText) -> None:
    slug = unique_slug()
    import_text(V1, slug)
    before = table_counts(db)
    again = import_text(V1, slug)
    assert again.unchanged_pack
    db.expire_all()
    assert table_counts(db) == before


def test_changed_references_are_replaced(db: Session, import_text: ImportText) -> None:
    slug = unique_slug()
    import_text(V1, slug)
    result = import_text(
        V1.replace("- [하나](https://example.org/1)", "- [둘](https://example.org/2)"), slug
    )
    assert result.updated == 1
    db.expire_all()
    q = _questions(db, slug)["1"]
    refs = db.scalars(select(Reference).where(Reference.question_id == q.id)).all()
    assert [(r.title, r.url) for r in refs] == [("둘", "https://example.org/2")]


def _write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("broken", "line"),
    [
        (V1.replace("## #1-1", "## #1-one"), 19),
        (V1.replace("#### 두 번째 질문", "두 번째 질문"), 29),
        (V1 + "\n## #1\n\n#### 다시\n", V1.count("\n") + 2),
    ],
)
def test_malformed_pack_names_the_line_and_writes_nothing(
    db: Session, tmp_path: Path, capsys: pytest.CaptureFixture[str], broken: str, line: int
) -> None:
    slug = unique_slug()
    good = _write(tmp_path, f"{slug}.md", V1)
    assert import_command(str(good), slug) == 0
    before = table_counts(db)
    bad = _write(tmp_path, f"{slug}.md", broken)
    assert import_command(str(bad), slug) == 1
    err = capsys.readouterr().err
    assert f"{bad}: line {line}:" in err
    assert "nothing was imported" in err
    db.expire_all()
    assert table_counts(db) == before


def test_one_bad_pack_in_a_folder_stops_them_all(
    db: Session, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = tmp_path / "packs"
    folder.mkdir()
    _write(folder, f"{unique_slug('a')}.md", V1)
    _write(folder, f"{unique_slug('b')}.md", "## #1\n\n본문만 있고 제목이 없습니다.\n")
    before = table_counts(db)
    assert import_command(str(folder), None) == 1
    assert "line 3: entry #1 needs its question" in capsys.readouterr().err
    db.expire_all()
    assert table_counts(db) == before


@pytest.mark.shared("seed")
def test_import_errors_are_clear(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert import_command(str(tmp_path / "missing.md"), None) == 1
    assert "no such file or folder" in capsys.readouterr().err
    latin = tmp_path / "latin.md"
    latin.write_bytes("## #1\n#### caf\xe9\n".encode("latin-1"))
    assert import_command(str(latin), "latin") == 1
    assert "not UTF-8" in capsys.readouterr().err
    assert import_command(str(SEED_FILE), "Bad_Slug") == 1
    assert "lower-case letters" in capsys.readouterr().err


def test_sidecar_metadata_is_read(db: Session, tmp_path: Path) -> None:
    slug = unique_slug()
    _write(tmp_path, "pack.md", V1)
    _write(
        tmp_path,
        "pack.toml",
        f'slug = "{slug}"\ntitle = "시험 팩"\n[source]\nrepository = "o/r"\ncommit = "abc"\n'
        'path = "docs/pack.md"\nlicense = "MIT"\n',
    )
    assert import_command(str(tmp_path / "pack.md"), None) == 0
    pack = db.scalar(select(Pack).where(Pack.slug == slug))
    assert pack is not None and (pack.title, pack.source_repository, pack.source_commit) == (
        "시험 팩",
        "o/r",
        "abc",
    )


def test_remote_image_setting_is_applied_at_import(
    db: Session, import_text: ImportText, monkeypatch: pytest.MonkeyPatch
) -> None:
    from app.config import get_settings

    slug = unique_slug()
    text = "## #1\n\n#### 그림\n\n![곡선](/images/sally/x.png)\n"
    import_text(text, slug)
    assert 'class="img-placeholder"' in _questions(db, slug)["1"].answer_html
    monkeypatch.setenv("MOGI_REMOTE_IMAGE_BASE", "https://raw.githubusercontent.com")
    get_settings.cache_clear()
    try:
        again = import_text(text, slug)  # same file, other setting: rendered again
    finally:
        monkeypatch.delenv("MOGI_REMOTE_IMAGE_BASE")
        get_settings.cache_clear()
    assert again.updated == 1
    db.expire_all()
    html = _questions(db, slug)["1"].answer_html
    raw = f"https://raw.githubusercontent.com/boostcamp-ai-tech-4/ai-tech-interview/{COMMIT}"
    assert f'<img src="{raw}/images/sally/x.png" alt="곡선"' in html

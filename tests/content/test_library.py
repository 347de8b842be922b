"""The whole source library, both commits: every entry as an independent reading of the
Markdown says it is, and the seed -> newest update keeping each user's data on its question."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.content.models import Question
from app.content.parser import parse_pack
from tests.conftest import SHARED
from tests.content.conftest import ImportText, unique_slug
from tests.factories import new_api_user

pytestmark = pytest.mark.shared("library")

LIBRARY = SHARED / "library"
FILES = sorted(LIBRARY.glob("*/answers/*.md"))
ENTRY = re.compile(r"^## #(\d+(?:-\d+)*)[ \t]*$")
FENCE = re.compile(r"^\s*(```|~~~)")


def read_independently(text: str) -> list[dict[str, object]]:
    """A plain, line-by-line reading of a pack, written apart from the parser."""
    lines = text.split("\n")
    heads: list[tuple[int, str]] = []
    in_code = in_comment = False
    for i, line in enumerate(lines):
        if in_comment:
            in_comment = "-->" not in line
            continue
        if FENCE.match(line):
            in_code = not in_code
            continue
        if in_code:
            continue
        if line.startswith("<!--") and "-->" not in line:
            in_comment = True
            continue
        match = ENTRY.match(line)
        if match:
            heads.append((i, match[1]))
    entries: list[dict[str, object]] = []
    numbers: set[str] = set()
    for k, (start, number) in enumerate(heads):
        end = heads[k + 1][0] if k + 1 < len(heads) else len(lines)
        body = lines[start + 1 : end]
        title_at = next(j for j, line in enumerate(body) if line.strip())
        title = body[title_at].lstrip("#").strip().replace("`", "")
        rest = body[title_at + 1 :]
        refs_at = max(
            (j for j, line in enumerate(rest) if line.strip().lower() == "#### references"),
            default=None,
        )
        answer = "\n".join(rest[:refs_at] if refs_at is not None else rest)
        answer = answer.strip().strip("-").strip()
        refs = 0
        if refs_at is not None:
            for line in rest[refs_at + 1 :]:
                stripped = line.strip()
                if re.match(r"^([-*+]|\d+\.)\s", stripped):
                    refs += 1
                elif stripped and not set(stripped) <= set("-") and refs == 0:
                    refs += 1  # a reference written as a bare line
        parts = number.split("-")
        parent = next(
            (
                "-".join(parts[:cut])
                for cut in range(len(parts) - 1, 0, -1)
                if "-".join(parts[:cut]) in numbers
            ),
            None,
        )
        depth = 0 if parent is None else next(e["depth"] for e in entries if e["number"] == parent)
        short_question = "\n" not in answer and len(answer) <= 40 and answer.endswith(("?", "..."))
        entries.append(
            {
                "number": number,
                "title": title,
                "parent": parent,
                "depth": int(depth) + (parent is not None),  # type: ignore[call-overload]
                "references": refs,
                "has_answer": bool(answer) and not short_question,
            }
        )
        numbers.add(number)
    return entries


def _depth(number: str, parents: dict[str, str | None]) -> int:
    parent = parents[number]
    return 0 if parent is None else 1 + _depth(parent, parents)


@pytest.mark.parametrize("path", FILES, ids=lambda p: f"{p.parent.parent.name}/{p.name}")
def test_every_file_imports_as_an_independent_reading_says(
    path: Path, db: Session, import_text: ImportText
) -> None:
    text = path.read_text(encoding="utf-8")
    slug = unique_slug()
    import_text(text, slug, path=f"answers/{path.name}")
    rows = db.scalars(
        select(Question)
        .join(Question.pack)
        .where(Question.pack.has(slug=slug))
        .order_by(Question.position)
    ).all()
    by_id = {q.id: q.number for q in rows}
    parents = {q.number: by_id.get(q.parent_id) if q.parent_id else None for q in rows}
    got = [
        {
            "number": q.number,
            "title": q.title,
            "parent": parents[q.number],
            "depth": _depth(q.number, parents),
            "references": len(parse_pack(text).by_number()[q.number].references),
            "has_answer": q.has_answer,
        }
        for q in rows
    ]
    assert got == read_independently(text)
    for q in rows:
        assert "$$" not in q.answer_html, f"#{q.number} keeps display math raw"
        assert "render.githubusercontent.com" not in q.answer_html


def test_newest_files_have_the_shapes_upstream_moved_to(
    import_text: ImportText, db: Session
) -> None:
    newest = LIBRARY / "6e2068a8" / "answers"
    stats = parse_pack((newest / "1-statistics-math.md").read_text(encoding="utf-8"))
    assert len(stats.entries) == 25 and stats.entries[0].title.startswith("고유값")
    algo = parse_pack((newest / "8-algorithm.md").read_text(encoding="utf-8")).by_number()
    assert algo["6-2-1"].parent_number == "6-2" and algo["6-2"].parent_number == "6"
    assert algo["2-1"].parent_number is None  # upstream has no "## #2": it stands alone
    result = import_text((newest / "1-statistics-math.md").read_text(encoding="utf-8"))
    html = db.get(Question, result.question_ids["1"]).answer_html  # type: ignore[union-attr]
    assert '<div class="math-block"><math' in html and 'display="block"' in html
    assert '<span class="math-inline"><math' in html


SEED = LIBRARY / "afca6fa5" / "answers" / "deep-learning.md"
NEWEST = LIBRARY / "6e2068a8" / "answers" / "3-deep-learning.md"


def test_seed_to_newest_keeps_every_users_data_on_its_question(
    client, db: Session, import_text: ImportText, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:  # noqa: ANN001
    slug = unique_slug("dl")
    import_text(SEED.read_text(encoding="utf-8"), slug, path="answers/deep-learning.md")
    user = new_api_user(db)
    h = user.headers
    titles = {}
    for number in ("20-1", "20-2", "20-3", "12"):
        public = f"{slug}/{number}"
        titles[number] = client.get(f"/api/v1/questions/{public}").json()["title"]
        assert client.put(f"/api/v1/questions/{public}/bookmark", headers=h).status_code < 300
        note = {"body": f"note on {titles[number]}"}
        assert client.put(f"/api/v1/questions/{public}/note", headers=h, json=note).is_success
        review = {"question": public, "rating": 3}
        assert client.post("/api/v1/reviews", headers=h, json=review).status_code == 201

    # The plan, asked first: nothing written.
    from app.content.commands import import_command

    newest = tmp_path / f"{slug}.md"
    newest.write_text(NEWEST.read_text(encoding="utf-8"), encoding="utf-8")
    assert import_command(str(newest), slug, dry_run=True) == 0
    plan = capsys.readouterr().out
    assert "renumbered: 20-2 -> 20-1" in plan and "renumbered: 20-3 -> 20-2" in plan
    assert "retired: #20-1" in plan and "nothing was written" in plan
    assert client.get(f"/api/v1/questions/{slug}/20-3").status_code == 200  # still as it was

    assert import_command(str(newest), slug) == 0
    assert "renumbered: 20-2 -> 20-1" in capsys.readouterr().out
    db.expire_all()

    export = client.get("/api/v1/export", headers=h).json()
    notes = {n["question"]: n["body"] for n in export["notes"]}
    cards = {c["question"] for c in export["cards"]}
    bookmarks = {b["question"] if isinstance(b, dict) else b for b in export["bookmarks"]}
    reviews = [r["question"] for r in export["reviews"]]
    rows = {q.id: q for q in db.scalars(select(Question).where(Question.pack.has(slug=slug)))}
    by_public = {f"{slug}/{q.number}": q for q in rows.values()}
    for title in titles.values():
        # Each note still sits on the question with the same text as when it was written.
        owner = next(p for p, body in notes.items() if body == f"note on {title}")
        assert by_public[owner].title == title
        assert owner in cards and owner in bookmarks and reviews.count(owner) == 1
    assert by_public[f"{slug}/20-1"].title == titles["20-2"]  # moved up, with its data
    assert by_public[f"{slug}/20-2"].title == titles["20-3"]
    retired = next(q for q in rows.values() if q.title == titles["20-1"])
    assert retired.retired and retired.number != "20-1"

    # The old address of a renumbered question redirects; the API's to the API.
    page = client.get(f"/questions/{slug}/20-3", follow_redirects=False)
    assert page.status_code == 308 and page.headers["location"] == f"/questions/{slug}/20-2"
    api = client.get(f"/api/v1/questions/{slug}/20-3", follow_redirects=False)
    assert api.headers["location"] == f"/api/v1/questions/{slug}/20-2"
    # Importing the same file again changes nothing.
    assert import_command(str(newest), slug) == 0
    assert f"{slug}: unchanged" in capsys.readouterr().out

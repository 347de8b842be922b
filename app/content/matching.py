"""Which stored entry a new version of a pack's entry continues.

An entry keeps its row (and every card, note and review pointing at it) across upstream edits:
a typo fixed, a question reworded, an entry renumbered. Versions are paired by how alike their
questions and answers read, best pairs first.
"""

from __future__ import annotations

from rapidfuzz import fuzz

from app.content.models import Question
from app.content.parser import ParsedEntry

# Two versions are the same entry when their questions read alike (a typo fixed, a word added),
# or, under the same number, when the question was reworded but is still recognisably it.
SAME_TITLE = 0.85
SAME_TITLE_AND_NUMBER = 0.6
SAME_ANSWER = 0.8  # ... or when the answers read alike and the questions somewhat do
SAME_NUMBER_BONUS = 0.1


def similarity(title_a: str, answer_a: str, title_b: str, answer_b: str) -> tuple[float, float]:
    """How alike two versions of an entry read (0-1): their questions, their answers."""
    title = fuzz.ratio(title_a, title_b) / 100
    if not answer_a.strip() or not answer_b.strip():
        return title, 0.0  # an answer written (or dropped) since says nothing either way
    return title, fuzz.ratio(answer_a[:3000], answer_b[:3000]) / 100


def match_entries(rows: list[Question], entries: list[ParsedEntry]) -> dict[str, Question]:
    """Entry number -> the existing row it continues (best matches first); others are new."""
    pairs: list[tuple[float, str, int]] = []
    for entry in entries:
        for k, row in enumerate(rows):
            same_number = row.number == entry.number
            title, answer = similarity(
                entry.title, entry.answer_markdown, row.title, row.answer_markdown
            )
            alike = (
                title >= SAME_TITLE
                or (same_number and title >= SAME_TITLE_AND_NUMBER)
                or (answer >= SAME_ANSWER and title >= 0.5)
            )
            if alike:
                score = 0.7 * title + 0.3 * answer + (SAME_NUMBER_BONUS if same_number else 0)
                pairs.append((score, entry.number, k))
    pairs.sort(key=lambda p: (-p[0], p[1], p[2]))
    matched: dict[str, Question] = {}
    used: set[int] = set()
    for _, number, k in pairs:
        if number in matched or k in used:
            continue
        matched[number] = rows[k]
        used.add(k)
    return matched

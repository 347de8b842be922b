"""The pack format parser, on the seed, both real packs and broken input."""

from __future__ import annotations

import pytest

from app.content.parser import PackFormatError, ParsedPack, parse_pack
from tests.conftest import PACKS_DIR, SEED_FILE

pytestmark = pytest.mark.shared("seed", "packs")


def _parse(path) -> ParsedPack:  # noqa: ANN001
    return parse_pack(path.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def seed() -> ParsedPack:
    return _parse(SEED_FILE)


@pytest.fixture(scope="module")
def ml() -> ParsedPack:
    return _parse(PACKS_DIR / "machine-learning.md")


@pytest.fixture(scope="module")
def stats() -> ParsedPack:
    return _parse(PACKS_DIR / "statistics-math.md")


def test_seed_has_47_entries_in_file_order(seed: ParsedPack) -> None:
    numbers = [e.number for e in seed.entries]
    assert len(numbers) == 47
    assert numbers[:3] == ["1", "2", "3"]
    assert numbers[11:17] == ["12", "12-1", "12-2", "12-3", "12-4", "13"]
    assert numbers[-4:] == ["20", "20-1", "20-2", "20-3"]


def test_seed_follow_up_tree(seed: ParsedPack) -> None:
    by = seed.by_number()
    assert [e.number for e in seed.entries if e.parent_number == "12"] == [
        "12-1",
        "12-2",
        "12-3",
        "12-4",
    ]
    assert by["19-3"].parent_number == "19"
    assert by["12"].parent_number is None
    mains = [e for e in seed.entries if e.parent_number is None]
    assert len(mains) == 20


def test_titles_come_from_the_entry_not_the_table_of_contents(seed: ParsedPack) -> None:
    by = seed.by_number()
    # The table of contents says "Sigmoid" and "Bias는 왜 있는걸까?"; the entries differ.
    assert by["12"].title == "요즘 sigmoid 보다 ReLU를 많이 쓰는데 그 이유는?"
    assert by["12-4"].title == "편향(bias)는 왜 있는걸까?"
    assert by["14-1"].title == "GD(Gradient Descent)가 Local Minima 문제를 피하는 방법은?"
    assert all("Table of Contents" not in e.answer_markdown for e in seed.entries)
    assert "[딥러닝은 무엇인가요?" not in by["1"].answer_markdown


def test_seed_answers_and_missing_answers(seed: ParsedPack) -> None:
    by = seed.by_number()
    empty = [e.number for e in seed.entries if not e.answer_markdown]
    assert empty == ["3", "6", "9", "13", "13-1", "13-2", "13-3", "17", "17-1", "17-2", "17-3"]
    assert by["1"].answer_markdown.startswith("**딥러닝이란** 여러 층을 가진")
    assert by["1"].has_answer


def test_19_3_question_back_is_not_an_answer(seed: ParsedPack) -> None:
    entry = seed.by_number()["19-3"]
    assert entry.answer_markdown == "무슨말일까요..."
    assert entry.has_answer is False
    assert [e.number for e in seed.entries if not e.has_answer][-1] == "19-3"
    assert sum(not e.has_answer for e in seed.entries) == 12


def test_seed_references(seed: ParsedPack) -> None:
    by = seed.by_number()
    refs = by["1"].references
    assert [r.title for r in refs] == [
        "딥러닝, 데이터로 세상을 파악하다(1) - LG CNS",
        "CH01)01.머신러닝의 개념 - 파이썬 머신러닝 완벽가이드(도서)",
        "9)딥러닝이란? - TCP SCHOOLS.com",
    ]
    assert refs[0].url == "https://blog.lgcns.com/2212"
    # Brackets inside the title, parentheses inside the URL, a space before ")".
    assert by["12-1"].references[0].title == "[밑바닥 딥러닝] 신경망 - 코딩하는펭귄의 저장소"
    assert (
        by["14"].references[0].url
        == "https://wjddyd66.github.io/dl/NeuralNetwork-(3)-Optimazation2/"
    )
    assert by["2"].references[1].url == "https://deepinsight.tistory.com/113"
    # #5's list runs straight into the "---" separator.
    assert len(by["5"].references) == 2
    assert by["3"].references == []


def test_entry_without_references_heading(seed: ParsedPack) -> None:
    last = seed.by_number()["20-3"]
    assert last.references == []
    assert "(모델의 크기 + 데이터의 크기 × 배치 크기)" in last.answer_markdown
    assert not last.answer_markdown.rstrip().endswith("---")


def test_code_block_comments_are_not_entries(seed: ParsedPack) -> None:
    code = seed.by_number()["18-2"].answer_markdown
    assert "```python\n# 가중치 매개변수의 기울기를 구함" in code
    assert "# f(x+h) 계산" in code


def test_machine_learning_pack(ml: ParsedPack) -> None:
    by = ml.by_number()
    assert len(ml.entries) == 29
    assert all(e.parent_number is None for e in ml.entries)
    assert by["28"].title == "스팸 필터에 Logistic Regression을 많이 사용하는 이유는 무엇일까요?"
    assert by["29"].title == "OLS(ordinary least square) Regression의 공식은 무엇인가요?"
    assert "<!-- $$\nF1 = " in by["1"].answer_markdown
    assert (
        by["1"].references[0].title
        == "14 Popular Machine Learning Evaluation Metrics - RUBIK'S CODE"
    )
    assert all(e.has_answer for e in ml.entries)


def test_statistics_pack(stats: ParsedPack) -> None:
    by = stats.by_number()
    assert len(stats.entries) == 25
    assert by["14"].title == "“likelihood”와 “probability”의 차이는 무엇일까요?"
    assert by["24"].references == []  # no References heading at all
    assert "answer/statistics-math-distribution.md" in by["24"].answer_markdown
    assert by["25"].answer_markdown == "" and not by["25"].has_answer
    # Fences indented inside a numbered list item.
    assert "   ```\n   예를들어, 나이와 재산보유액" in by["23"].answer_markdown


def test_fenced_entry_heading_is_code() -> None:
    text = "## #1\n\n#### 질문\n\n```md\n## #2\n#### 가짜\n```\n\n## #1-1\n\n#### 꼬리\n\n답\n"
    pack = parse_pack(text)
    assert [e.number for e in pack.entries] == ["1", "1-1"]
    assert "## #2" in pack.entries[0].answer_markdown


def test_crlf_and_bom_are_accepted() -> None:
    pack = parse_pack("\ufeff## #1\r\n\r\n#### 질문\r\n\r\n답변\r\n")
    assert pack.entries[0].title == "질문"
    assert pack.entries[0].answer_markdown == "답변"


@pytest.mark.parametrize(
    ("text", "line", "words"),
    [
        ("목차만 있는 글\n", 1, "no entries"),
        ("## #1\n#### 질문\n답\n\n## #one\n", 5, "malformed entry heading"),
        ("## #1\n#### 질문\n\n## #1-x\n", 4, "malformed entry heading"),
        ("## #1\n\n그냥 글\n", 3, "'#### ' (or '### ') heading"),
        ("## #1\n#### 질문\n## #2\n", 3, "'#### ' (or '### ') heading"),
        ("## #1\n#### A\n\n## #1\n#### B\n", 4, "repeats the one at line 1"),
        ("## #1\n#### 질문\n\n## #1-2-x\n", 4, "malformed entry heading"),
        ("## #1\n####    \n", 2, "empty question heading"),
    ],
)
def test_malformed_packs_name_the_line(text: str, line: int, words: str) -> None:
    with pytest.raises(PackFormatError) as info:
        parse_pack(text)
    assert info.value.line == line
    assert words in str(info.value)
    assert str(info.value).startswith(f"line {line}: ")

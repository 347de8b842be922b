"""Key-term coverage on real answers of the seed pack, Korean and English, inflections tolerated."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.content.keyterms import (
    content_words,
    coverage,
    extract_key_terms,
    stem_english,
    stem_korean,
)
from app.content.models import Pack, Question
from tests.practice.conftest import PACK


def answer(db: Session, number: str) -> str:
    markdown = db.scalar(
        select(Question.answer_markdown)
        .join(Pack)
        .where(Pack.slug == PACK, Question.number == number)
    )
    assert markdown, number
    return markdown


def covered(model: str, typed: str) -> dict[str, bool]:
    return {t.text: t.covered for t in coverage(model, typed)}


@pytest.mark.parametrize(
    ("word", "stem"),
    [
        ("학습을", "학습"),
        ("가중치들을", "가중치"),
        ("정규화하는", "정규화"),
        ("신경망에서", "신경망"),
        ("기울기가", "기울기"),
        ("딥러닝이란", "딥러닝"),
        ("비선형적인", "비선형"),
        ("국가", "국가"),
    ],
)
def test_korean_stems(word: str, stem: str) -> None:
    assert stem_korean(word) == stem


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("layers", "layer"),
        ("normalizing", "normalize"),
        ("normalization", "normalizations"),
        ("vanishing", "vanish"),
        ("activations", "activation"),
        ("running", "run"),
    ],
)
def test_english_inflections_meet(a: str, b: str) -> None:
    assert stem_english(a) == stem_english(b)


def test_unicode_is_normalised() -> None:
    decomposed = "\u1100\u1161\u110c\u116e\u11bc\u110e\u1175"  # 가중치 as conjoining jamo (NFD)
    assert content_words(decomposed) == content_words("가중치")


def test_terms_of_answer_12_korean_or_english_alternative(db: Session, seeded: str) -> None:
    model = answer(db, "12")
    assert [t.text for t in extract_key_terms(model)] == ["기울기 소실 문제(Gradient Vanishing)"]
    assert covered(model, "시그모이드는 gradient vanishing이 생긴다") == {
        "기울기 소실 문제(Gradient Vanishing)": True
    }
    assert covered(model, "기울기 소실 문제가 있어서") == {
        "기울기 소실 문제(Gradient Vanishing)": True
    }
    assert covered(model, "기울기소실문제 때문") == {"기울기 소실 문제(Gradient Vanishing)": True}
    assert covered(model, "ReLU가 더 빠르다") == {"기울기 소실 문제(Gradient Vanishing)": False}


def test_terms_of_answer_12_3_from_raw_html_strong(db: Session, seeded: str) -> None:
    model = answer(db, "12-3")
    terms = covered(model, "음수에서 뉴런이 죽는다. dead neurons 그리고 bias shift 문제")
    assert terms == {"죽은 뉴런(Dead Neurons)": True, "편향 이동(Bias Shift)": True}
    terms = covered(model, "죽은 뉴런이 생긴다")
    assert terms == {"죽은 뉴런(Dead Neurons)": True, "편향 이동(Bias Shift)": False}


def test_terms_of_answer_2_english_case_and_spacing(db: Session, seeded: str) -> None:
    model = answer(db, "2")
    assert covered(model, "COST Functions measure the error; 비선형 함수를 쓴다") == {
        "cost function": True,
        "activation function": False,
    }


def test_terms_of_answer_1_definitions_and_lists(db: Session, seeded: str) -> None:
    model = answer(db, "1")
    texts = [t.text for t in extract_key_terms(model)]
    assert {"딥러닝", "머신러닝", "인공지능", "AI", "ML", "DL"} <= set(texts)
    assert all("추가내용" not in t for t in texts)
    terms = covered(model, "딥러닝은 머신러닝의 한 분야로, 특징을 자동으로 추출하여 학습한다")
    assert terms["딥러닝"] and terms["머신러닝"] and not terms["인공지능"]
    assert terms["자동으로 학습하려는 데이터에서 특징을 추출"]  # most of its words appear


def test_no_typed_answer_marks_nothing_covered(db: Session, seeded: str) -> None:
    terms = coverage(answer(db, "4"), None)
    assert terms and not any(t.covered for t in terms)
    assert len({t.text for t in terms}) == len(terms)  # deduplicated

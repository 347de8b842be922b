"""Key terms worth reading: every answered entry of every shipped pack gets at least three,
never a caption or a heading, in both languages; a typed answer is scored against them."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.content.keyterms import MIN_TERMS, coverage
from app.content.models import Pack, Question

PACK = "deep-learning"


def _question(db: Session, number: str) -> Question:
    stmt = select(Question).join(Pack).where(Pack.slug == PACK, Question.number == number)
    question = db.scalar(stmt)
    assert question is not None
    return question


def _score(db: Session, number: str, typed: str) -> int:
    q = _question(db, number)
    return sum(t.covered for t in coverage(q.answer_markdown, typed, q.key_terms))


def test_every_answered_entry_has_three_terms_or_more(db: Session, seeded: str) -> None:
    rows = db.execute(
        select(Pack.slug, Question.number, Question.key_terms)
        .join(Pack)
        .where(Question.has_answer.is_(True), Question.retired.is_(False))
    ).all()
    assert len(rows) > 200  # the whole library, not the seed alone
    few = [f"{slug}/{number}" for slug, number, terms in rows if len(terms or []) < 3]
    assert not few, few
    assert MIN_TERMS >= 3


def test_no_caption_heading_or_aside_is_a_term(db: Session, seeded: str) -> None:
    # 12 entries of the seed had none; #16's only one was its figure's caption.
    for number in ("10", "12-1", "14-2", "15-1", "15-2", "15-3", "16-2", "16-3", "18", "18-1"):
        assert len(_question(db, number).key_terms or []) >= 3, number
    texts = [t["text"] for t in _question(db, "16").key_terms or []]
    assert "배치 정규화(Batch Normalization) 수식" not in texts
    assert any("배치 정규화" in t for t in texts), texts
    all_terms = db.scalars(select(Question.key_terms)).all()
    assert not [t for terms in all_terms for t in terms or [] if "추가자료" in t["text"]]


def test_the_other_language_counts(db: Session, seeded: str) -> None:
    q = _question(db, "1")
    found = {
        t.text: t.covered
        for t in coverage(q.answer_markdown, "인공지능 안에 머신러닝", q.key_terms)
    }
    assert found["AI"] and found["ML"], found
    found = {t.text: t.covered for t in coverage(q.answer_markdown, "deep learning", q.key_terms)}
    assert found["딥러닝"], found


def test_typed_answers_rank_by_what_they_cover(db: Session, seeded: str) -> None:
    answers = {
        "16": (
            "배치 정규화(batch normalization)는 미니배치의 평균과 분산으로 입력 분포를 "
            "정규화한다. 가중치 초기화에 덜 민감해지고 기울기 소실이 줄며, 규제(regularization) "
            "효과가 있어 dropout을 덜 써도 된다.",
            "배치 정규화를 쓰면 학습이 빨라진다.",
        ),
        "12": (
            "시그모이드는 미분값이 작아 역전파에서 연쇄 법칙으로 곱해질수록 기울기 소실"
            "(vanishing gradient)이 생긴다. ReLU 활성화 함수는 양수에서 기울기가 1이라 이 "
            "문제가 적고 계산도 빠르다. 다만 음수 쪽 뉴런이 죽을 수 있다.",
            "ReLU는 기울기 소실을 줄인다.",
        ),
    }
    for number, (good, partial) in answers.items():
        scores = [_score(db, number, typed) for typed in (good, partial, "")]
        assert scores[0] > scores[1] > scores[2] == 0, (number, scores)
        assert scores[0] >= 3, (number, scores)

"""Choosing each answer's key terms, once, at import time (see app.content.keyterms): marked
spans, defined pairs, glossary terms, then the most telling nouns by TF-IDF over the pack."""

from __future__ import annotations

import math
import re
from pathlib import Path
from typing import Any

from app.content.keyterms import (
    COMMENT,
    HANGUL,
    MAX_TERM_WORDS,
    MAX_TERMS,
    MIN_TERMS,
    STOPWORDS,
    content_words,
    extract_key_terms,
    normalise,
    split_words,
    stem_korean,
    term_forms,
)

_GENERIC = frozenset(
    split_words(
        """
        사용 경우 때문 방법 문제 의미 결과 정도 부분 과정 이유 특징 모델 데이터 학습 함수 값
        가지 자체 개념 관련 다음 이후 이전 하나 두 여러 모든 각 다른 종류 형태 상태 기존 해당
        자료 그림 예제 코드 출처 링크 설명 정리 내용 질문 답변 http https www com github
        방식 이내 고려 생각 사실 가능 필요 이용 적용 부족 대부분
        """
    )
)


def _compact(text: str) -> str:
    return re.sub(r"[^0-9a-z\uac00-\ud7a3]+", "", normalise(text))


def _telling_nouns(index_terms: list[str], df: dict[str, int], docs: int) -> list[str]:
    """The answer's index terms by TF-IDF over its pack, the generic ones left out."""
    counts: dict[str, int] = {}
    for term in index_terms:
        short = len(term) < (2 if HANGUL.match(term) else 3)
        if short or term.isdigit() or term in STOPWORDS or term in _GENERIC:
            continue
        counts[term] = counts.get(term, 0) + 1
    score = {t: n * math.log((1 + docs) / (1 + df.get(t, 0))) for t, n in counts.items()}
    return sorted(score, key=lambda t: (-score[t], t))


def select_key_terms(
    markdown: str,
    index_terms: list[str],
    df: dict[str, int],
    docs: int,
    groups: list[list[str]],
) -> list[dict[str, Any]]:
    """The key terms of one model answer, as `mogi import` stores them: text, kind, alts."""
    from app.content.glossary import extract_glossary  # import time only

    plain = normalise(COMMENT.sub(" ", markdown))
    text = _compact(plain)

    def uses(spelling: str) -> bool:
        if spelling.isascii():  # "ml" must not be found inside "html"
            word = re.escape(normalise(spelling))
            return re.search(rf"(?<![0-9a-z]){word}(?![0-9a-z])", plain) is not None
        return len(_compact(spelling)) >= 2 and _compact(spelling) in text

    chosen: list[dict[str, Any]] = []
    seen: set[tuple[str, ...]] = set()

    def add(term: str, kind: str) -> None:
        forms = term_forms(term)
        if not forms or len(chosen) >= MAX_TERMS or any(f in seen for f in forms):
            return
        if all(len(f) > MAX_TERM_WORDS for f in forms):
            return
        spelled = {_compact(term)} | {_compact(p) for p in re.split(r"[()]", term) if p.strip()}
        alts = next((g for g in groups if spelled & {_compact(x) for x in g}), [])
        seen.update(forms)
        seen.update(content_words(a) for a in alts)
        chosen.append({"text": term, "kind": kind, "alts": [a for a in alts if a != term]})

    for term in extract_key_terms(markdown):
        add(term.text, term.kind)
    for ko, en in _plain_pairs(extract_glossary(markdown)):
        add(f"{ko}({en})", "defined")
    for group in groups:
        found = next((x for x in group if uses(x)), None)
        if found is not None:
            add(found, "glossary")
    for noun in _telling_nouns(index_terms, df, docs):
        if len(chosen) >= MIN_TERMS:
            break
        add(noun, "frequent")
    return chosen


def _plain_pairs(pairs: list[list[str]]) -> list[list[str]]:
    """Pairs that name a term: a phrase of a sentence ("빠질 경우 전역적인 해(global minimum)")
    or a generic word is not one."""
    return [
        [ko, en]
        for ko, en in pairs
        if len(ko.split()) <= 2 and not {stem_korean(w) for w in ko.split()} & _GENERIC
    ]


def key_terms_of_pack(
    answers: list[tuple[str, str]], pack_text: str, curated_glossary: Path
) -> list[list[dict[str, Any]]]:
    """Each answer's key terms (answers as (markdown, index terms); "" for none), weighed
    against the rest of its pack, with the pack's and the curated glossary's spellings."""
    from app.content.glossary import extract_glossary, merge_groups, read_curated_glossary

    docs = [set(terms.split()) for _, terms in answers]
    df: dict[str, int] = {}
    for found in docs:
        for term in found:
            df[term] = df.get(term, 0) + 1
    groups = merge_groups(
        [*_plain_pairs(extract_glossary(pack_text)), *read_curated_glossary(curated_glossary)]
    )
    return [
        select_key_terms(markdown, terms.split(), df, len(docs), groups) if markdown else []
        for markdown, terms in answers
    ]

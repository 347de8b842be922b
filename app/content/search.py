"""Search over the library: Korean morphology at import time, a light query side, BM25.

Documents are analysed once, by `mogi import`, with Kiwi (kiwipiepy): its model takes about a
second and ~400 MB to load, which no web process should pay. The index terms are stored with
each question; the web process keeps them in memory and analyses a query against their
vocabulary: particles and endings are stripped and unspaced compounds are split into known
terms ("배치정규화를" -> 배치, 정규화), so spacing and particles do not matter. A glossary built
from the content itself ("오버피팅(overfitting)") plus content/glossary.toml expands a query
both ways (과적합 = 오버피팅 = overfitting). Ranking is BM25 with a title boost.
"""

from __future__ import annotations

import math
import re
import threading
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from app.content.glossary import compact, merge_groups, normalize

MAX_QUERY_CHARS = 200
TITLE_BOOST = 3.0
PARTIAL_WEIGHT = 0.5  # a query word that is only part of known terms ("규화" in 정규화)
MAX_PARTIAL_TERMS = 8
K1 = 1.2
B = 0.75
NUMBER_QUERY = re.compile(r"^#?\s*(\d{1,4}(?:-\d{1,4}){0,3})$")
# Parts of speech worth indexing: nouns, roots, foreign words, numbers, verb and adjective stems.
_INDEXED_TAGS = ("NNG", "NNP", "NNB", "NR", "SL", "SN", "SH", "XR", "VV", "VA", "MAG")
_WORD = re.compile(r"[가-힣]+|[a-z][a-z0-9]*(?:[+#]+)?|\d+")
# Particles and endings a Korean query word may carry, longest first.
_SUFFIXES = sorted(
    [
        "이란",
        "란",
        "이라는",
        "라는",
        "에서의",
        "에서는",
        "에서",
        "에게",
        "으로써",
        "로써",
        "으로는",
        "로는",
        "으로",
        "로",
        "은",
        "는",
        "이",
        "가",
        "을",
        "를",
        "의",
        "에",
        "와",
        "과",
        "도",
        "만",
        "이나",
        "나",
        "랑",
        "이랑",
        "하고",
        "까지",
        "부터",
        "보다",
        "처럼",
        "이다",
        "입니다",
        "인가요",
        "인가",
        "인지",
        "이고",
        "하는",
        "하기",
        "하다",
        "한",
        "할",
        "해",
        "했",
        "되는",
        "된",
        "되다",
        "란무엇인가",
        "이란무엇인가",
        "에대해",
        "에대한",
        "에관한",
        "들",
        "들의",
        "들을",
        "하는법",
        "하는방법",
        "방법",
        "차이",
        "차이점",
    ],
    key=len,
    reverse=True,
)
_kiwi: Any = None
_kiwi_lock = threading.Lock()


def _analyser() -> Any:
    global _kiwi
    with _kiwi_lock:
        if _kiwi is None:
            from kiwipiepy import Kiwi  # heavy: only `mogi import` gets here

            _kiwi = Kiwi(num_workers=-1)  # one thread: imports are rare and short
        return _kiwi


def index_terms(text: str) -> list[str]:
    """Index terms of a document text (Kiwi morphemes), lower-cased; import time only."""
    text = normalize(text)
    if not text.strip():
        return []
    terms: list[str] = []
    for token in _analyser().tokenize(text):
        if token.tag.startswith(_INDEXED_TAGS):
            form = token.form.strip()
            if form:
                terms.extend(_WORD.findall(form) if token.tag == "SL" else [form])
    return terms


@dataclass(frozen=True)
class Document:
    key: str  # "pack/number"
    pack: str
    number: str
    title: str
    title_terms: tuple[str, ...]
    body_terms: tuple[str, ...]


@dataclass(frozen=True)
class Hit:
    document: Document
    score: float
    terms: tuple[str, ...]  # the query terms it matched, for snippets and highlights


Alternative = tuple[str, ...]  # the terms of one spelling ("back propagation": back, propagation)


@dataclass
class QueryPlan:
    """A query as the index sees it: concepts, each with the spellings that stand for it.

    A concept scores once, by its best spelling, so a word and its glossary synonyms do not
    add up (과적합 and 오버피팅 in one answer count as one hit)."""

    text: str
    number: str | None
    concepts: list[tuple[list[Alternative], float]] = field(default_factory=list)

    @property
    def terms(self) -> list[str]:
        return list(dict.fromkeys(t for alts, _ in self.concepts for alt in alts for t in alt))


class SearchIndex:
    """BM25 over every live question of every pack, built from stored index terms."""

    def __init__(self, documents: Sequence[Document], glossary: Iterable[Sequence[str]]) -> None:
        self.documents = list(documents)
        self.df: Counter[str] = Counter()
        self.title_tf: list[Counter[str]] = []
        self.body_tf: list[Counter[str]] = []
        for doc in self.documents:
            title, body = Counter(doc.title_terms), Counter(doc.body_terms)
            self.title_tf.append(title)
            self.body_tf.append(body)
            self.df.update(set(title) | set(body))
        n = max(len(self.documents), 1)
        self.avg_title = sum(len(d.title_terms) for d in self.documents) / n or 1.0
        self.avg_body = sum(len(d.body_terms) for d in self.documents) / n or 1.0
        self.vocabulary = set(self.df)
        self._max_term = max((len(t) for t in self.vocabulary), default=1)
        self.groups = merge_groups(glossary)
        # Each spelling of each group, compact, with a word-boundary pattern for English ones,
        # and its index terms: made once here, not per query.
        self._phrases: list[tuple[int, str, re.Pattern[str] | None]] = []
        self._alternatives: list[list[Alternative]] = []
        for g, group in enumerate(self.groups):
            alternatives: list[Alternative] = []
            for phrase in group:
                target = compact(phrase)
                if len(target) < 2:
                    continue
                latin = re.fullmatch(r"[a-z0-9+#]+", target) is not None
                pattern = re.compile(rf"(?<![a-z]){re.escape(target)}(?![a-z])") if latin else None
                self._phrases.append((g, target, pattern))
                for spelling in {phrase, phrase.replace(" ", "")}:  # 경사 하강법, 경사하강법
                    terms = tuple(self.analyse(spelling))
                    if terms and terms not in alternatives:
                        alternatives.append(terms)
            self._alternatives.append(alternatives)
        self.by_number: dict[str, list[Document]] = {}
        for doc in self.documents:
            self.by_number.setdefault(doc.number, []).append(doc)

    # --- query side ---------------------------------------------------------------------------

    def plan(self, query: str) -> QueryPlan:
        text = normalize(query)[:MAX_QUERY_CHARS].strip()
        number = NUMBER_QUERY.match(text)
        plan = QueryPlan(text, number[1] if number else None)
        squeezed = compact(text)
        mentioned = sorted(
            {g for g, target, pattern in self._phrases if _mentions(squeezed, target, pattern)}
        )
        covered: set[str] = set()
        for g in mentioned:
            alternatives = self._alternatives[g]
            plan.concepts.append((alternatives, 1.0))
            covered.update(t for alt in alternatives for t in alt)
        for term in self.analyse(text):
            if term in covered:
                continue
            if term in self.vocabulary:
                plan.concepts.append(([(term,)], 1.0))
                continue
            # Only part of known terms ("규화" in 정규화): any of them, weighted down; failing
            # that, known pieces down to single syllables (역전파 -> 역전, 파, as Kiwi split it).
            partial: list[Alternative] = [(known,) for known in self._containing(term)]
            if partial:
                plan.concepts.append((partial, PARTIAL_WEIGHT))
            elif pieces := self._segment(term, singles=True):
                plan.concepts.extend(([(piece,)], 1.0) for piece in pieces)
        return plan

    def analyse(self, text: str) -> list[str]:
        """Query words -> index terms: particles stripped, compounds split by the vocabulary."""
        terms: list[str] = []
        for word in _WORD.findall(normalize(text)):
            if word.isascii():
                terms.extend(self._latin(word))
            else:
                terms.extend(self._korean(word))
        return list(dict.fromkeys(terms))

    def _containing(self, fragment: str) -> list[str]:
        """Known terms that contain fragment, most frequent first (substring search's reach)."""
        if len(fragment) < 2:
            return []
        found = [t for t in self.vocabulary if fragment in t]
        found.sort(key=lambda t: (-self.df[t], t))
        return found[:MAX_PARTIAL_TERMS]

    def _latin(self, word: str) -> list[str]:
        if len(word) == 1 and not word.isdigit():
            return []  # a lone letter ("a%z") matches everything and means nothing
        if word in self.vocabulary or not word.endswith("s"):
            return [word]
        stem = word[:-1]
        return [stem] if stem in self.vocabulary else [word]

    def _korean(self, word: str) -> list[str]:
        if word in self.vocabulary:
            return [word]
        # Without a particle or ending first ("정규화를" -> 정규화), then split into known terms
        # ("배치정규화" -> 배치, 정규화), the bare word last.
        stripped = [word[: -len(s)] for s in _SUFFIXES if word.endswith(s) and len(word) > len(s)]
        for candidate in stripped:
            if candidate in self.vocabulary:
                return [candidate]
        for candidate in [*stripped, word]:
            pieces = self._segment(candidate)
            if pieces:
                return pieces
        return [word]

    def _segment(self, word: str, *, singles: bool = False) -> list[str] | None:
        """Fewest known terms that spell word exactly (one-syllable ones only when asked)."""
        best: list[list[str] | None] = [None] * (len(word) + 1)
        best[0] = []
        for end in range(1, len(word) + 1):
            for start in range(max(0, end - self._max_term), end):
                prefix = best[start]
                piece = word[start:end]
                if prefix is None or piece not in self.vocabulary:
                    continue
                if len(piece) == 1 and (word.isascii() or not singles):
                    continue  # a lone syllable is more often a particle, a letter no word
                candidate = [*prefix, piece]
                current = best[end]
                if current is None or len(candidate) < len(current):
                    best[end] = candidate
        return best[len(word)]

    # --- ranking ------------------------------------------------------------------------------

    def _term_score(self, i: int, doc: Document, term: str, idf: float) -> float:
        t_tf, b_tf = self.title_tf[i][term], self.body_tf[i][term]
        if not (t_tf or b_tf):
            return 0.0
        part = _bm25(b_tf, len(doc.body_terms), self.avg_body)
        part += TITLE_BOOST * _bm25(t_tf, len(doc.title_terms), self.avg_title)
        return idf * part

    def search(self, query: str, pack: str | None = None) -> tuple[QueryPlan, list[Hit]]:
        plan = self.plan(query)
        hits: list[Hit] = []
        numbered = {d.key for d in self.by_number.get(plan.number or "", [])}
        n = len(self.documents)
        idf = {t: math.log(1 + (n - self.df[t] + 0.5) / (self.df[t] + 0.5)) for t in plan.terms}
        for i, doc in enumerate(self.documents):
            if pack and doc.pack != pack:
                continue
            score = 0.0
            matched: list[str] = []
            for alternatives, weight in plan.concepts:
                best = 0.0
                for alt in alternatives:
                    parts = [self._term_score(i, doc, term, idf[term]) for term in alt]
                    best = max(best, sum(parts) / len(alt))
                    matched.extend(t for t, part in zip(alt, parts, strict=True) if part)
                score += weight * best
            if doc.key in numbered:
                score += 1000.0  # "#12", "12-3": the question with that number comes first
            if score > 0:
                hits.append(Hit(doc, score, tuple(dict.fromkeys(matched))))
        hits.sort(key=lambda h: (-h.score, h.document.pack, h.document.number))
        return plan, hits


def _mentions(squeezed: str, target: str, pattern: re.Pattern[str] | None) -> bool:
    """Whether a query (spaces removed) names a glossary spelling; English as a whole word."""
    if pattern is not None:
        return pattern.search(squeezed) is not None
    return target in squeezed


def _bm25(tf: int, length: int, average: float) -> float:
    if not tf:
        return 0.0
    return tf * (K1 + 1) / (tf + K1 * (1 - B + B * length / average))


def snippet(text: str, terms: Sequence[str], width: int = 60) -> tuple[str, list[str]] | None:
    """A window of text around its first hit of any term (longest first), and the hits in it."""
    lowered = normalize(text)
    ordered = sorted({t for t in terms if t}, key=len, reverse=True)
    hits = [(lowered.find(t), t) for t in ordered]
    hits = [(pos, t) for pos, t in hits if pos >= 0]
    if not hits:
        return None
    first = min(pos for pos, _ in hits)
    start = max(0, first - width // 2)
    end = min(len(text), start + width * 2)
    body = text[start:end].strip()
    shown = [t for t in ordered if t in normalize(body)]
    return ("…" if start else "") + body + ("…" if end < len(text) else ""), shown

"""Key terms of an answer, and which of them a typed answer mentions.

`mogi import` chooses each answer's terms (app.content.term_choice): its bold and code spans
(never a figure's caption or an aside's label), the terms it defines ("오버피팅(overfitting)"), the
glossary's terms it uses, and, while fewer than MIN_TERMS, its most telling nouns by TF-IDF over
the pack (Kiwi's analysis, the one search uses). Each term carries its other spellings from the
glossary, so "AI" covers 인공지능. Own answers, written by users, get their marked terms only.

A term is covered
when the typed answer contains enough of its words, compared after Unicode NFC, case folding,
light English stemming and stripping Korean particles and endings, with spacing ignored for
Korean (인공신경망 and 인공 신경망 are the same term).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from markdown_it import MarkdownIt
from markdown_it.token import Token

MIN_TERMS = 4
"""An answer with fewer marked terms gets its most telling nouns up to this many."""
MAX_TERMS = 10
MAX_TERM_WORDS = 8
"""A bold sentence is emphasis, not a key term: longer spans are skipped."""
COVERED_SHARE = 0.6
"""Share of a multi-word term's words the answer must contain."""

_WORD = re.compile(r"[0-9a-z]+|[\uac00-\ud7a3]+")
HANGUL = re.compile(r"[\uac00-\ud7a3]")
_PARENS = re.compile(r"^(?P<main>[^()]+?)\s*\((?P<alt>[^()]+)\)\s*(?P<rest>[^()]*)$")
_HTML_STRONG = re.compile(r"<(strong|b)>(.*?)</\1>", re.IGNORECASE | re.DOTALL)
_TAG = re.compile(r"<[^>]+>")
_DEFINITION = re.compile(r"(?<=[\uac00-\ud7a3)])(이)?란$")  # 딥러닝이란 -> 딥러닝
_ASIDE = re.compile(
    r"^\s*(추가\s*내용|추가\s*자료|참고|note)\s*\)\s*", re.IGNORECASE
)  # "추가내용) ..."
COMMENT = re.compile(r"<!--.*?-->", re.DOTALL)


def split_words(text: str) -> tuple[str, ...]:
    return tuple(text.split())


# Longest first, so 으로는 goes before 으로 and 로.
_KO_SUFFIXES = tuple(
    sorted(
        split_words(
            """
            이라고도 이라고는 이라고 라고도 라고 이라는 라는 이라면 라면 이란 란 에서는 에서도 에서
            에게서 에게 으로써 로써 으로서 로서 으로는 로는 으로도 로도 으로 로 은 는 이 가 을 를 의
            에는 에도 에 와 과 와는 과는 도 만 까지 부터 보다 처럼 이나 나 이며 며 이고 고 이다 다
            입니다 합니다 됩니다 했다 했고 하다 한다 하는 하고 하며 하면 하여 해서 해야 하기
            할 한 함 된다 되다 되는 되고 되어 되면 될 된 됨 적인 적으로 적이다
            들이 들은 들을 들의 들 시키다 시킨다 시키는 시켜
            """
        ),
        key=len,
        reverse=True,
    )
)
STOPWORDS = frozenset(
    split_words(
        """
        a an the of and or to in on at is are be for with by as it its that this these those from
        vs via into than then there their what why how when which who
        및 등 것 수 때 더 또는 그리고 하지만 그러나 즉 이런 그런 저런 이 그 저 있다 없다 있는 없는
        같은 위한 위해 대한 대해 통해 경우 가장 매우 다음 아래 위 references reference 참고 추가내용
        장점 단점 수식 방법 예시 예 ex e.g
        """
    )
)


@dataclass(frozen=True)
class KeyTerm:
    """A key term of a model answer, with its alternative forms (e.g. Korean and English)."""

    text: str
    kind: str  # bold | code | heading
    forms: tuple[tuple[str, ...], ...]


@dataclass(frozen=True)
class TermCoverage:
    text: str
    kind: str
    covered: bool


def normalise(text: str) -> str:
    """NFC, case-folded text."""
    return unicodedata.normalize("NFC", text).casefold()


def stem_english(word: str) -> str:
    """A light stemmer: enough that 'layers', 'layer' and 'normalizing', 'normalize' meet."""
    for suffix, keep in (
        ("ies", "y"),
        ("ied", "y"),
        ("ing", ""),
        ("ed", ""),
        ("es", ""),
        ("s", ""),
        ("ly", ""),
    ):
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            stem = word[: -len(suffix)] + keep
            if suffix in {"ing", "ed"} and len(stem) >= 2 and stem[-1] == stem[-2]:
                stem = stem[:-1]  # running -> run
            return stem.rstrip("e")
    return word.rstrip("e") if len(word) > 3 else word


def stem_korean(word: str) -> str:
    """The noun stem of a Korean word: particles and common endings stripped, twice at most."""
    for _ in range(2):
        for suffix in _KO_SUFFIXES:
            if word.endswith(suffix) and len(word) - len(suffix) >= 2:
                word = word[: -len(suffix)]
                break
        else:
            break
    return word


def content_words(text: str) -> tuple[str, ...]:
    """Stems of the meaningful words of text, in order."""
    out = []
    for word in _WORD.findall(normalise(text)):
        stem = stem_korean(word) if HANGUL.match(word) else stem_english(word)
        if word in STOPWORDS or stem in STOPWORDS or not stem:
            continue
        if len(stem) == 1 and not HANGUL.match(stem) and not stem.isdigit():
            continue
        out.append(stem)
    return tuple(out)


def term_forms(text: str) -> tuple[tuple[str, ...], ...]:
    """The term's word stems, and those of a parenthesised alternative: 정규화(Normalization)."""
    forms = [content_words(text)]
    match = _PARENS.match(text.strip())
    if match:
        main = f"{match['main']} {match['rest']}".strip()
        forms = [content_words(main), content_words(match["alt"])]
    return tuple(f for f in forms if f)


def _inline_text(children: list[Token], start: int) -> tuple[str, int]:
    """The text inside a strong span that opens at children[start]; returns (text, end)."""
    depth, i = 0, start
    parts: list[str] = []
    while i < len(children):
        tok = children[i]
        if tok.type == "strong_open":
            depth += 1
        elif tok.type == "strong_close":
            depth -= 1
            if depth == 0:
                return "".join(parts), i
        elif tok.type in {"text", "code_inline"}:
            parts.append(tok.content)
        i += 1
    return "".join(parts), i


@lru_cache(maxsize=1)
def _parser() -> MarkdownIt:
    return MarkdownIt("commonmark", {"html": True})


def _spans(markdown: str) -> list[tuple[str, str]]:
    """(text, kind) of every bold span, code span and heading of markdown, in order."""
    tokens = _parser().parse(COMMENT.sub(" ", markdown))
    spans: list[tuple[str, str]] = []
    in_heading = False
    for tok in tokens:
        if tok.type == "heading_open":
            in_heading = True
        elif tok.type == "heading_close":
            in_heading = False
        elif tok.type == "html_block":
            if "<img" in tok.content.lower():
                continue  # bold text beside a figure is its caption, not a term
            spans += [(_TAG.sub("", m[1]), "bold") for m in _HTML_STRONG.findall(tok.content)]
        elif tok.type == "inline" and tok.children is not None:
            if in_heading:
                continue  # a heading titles a part of the answer ("추가자료", "장점"): no term
            spans += _inline_spans(tok.children, tok.content)
    return spans


def _inline_spans(children: list[Token], source: str) -> list[tuple[str, str]]:
    spans: list[tuple[str, str]] = []
    i = 0
    while i < len(children):
        tok = children[i]
        if tok.type == "strong_open":
            text, i = _inline_text(children, i)
            spans.append((text, "bold"))
        elif tok.type == "code_inline":
            spans.append((tok.content, "code"))
        i += 1
    # Raw <strong>...</strong> inside a paragraph arrives as separate html_inline tokens.
    spans += [(_TAG.sub("", m[1]), "bold") for m in _HTML_STRONG.findall(source)]
    return spans


def _heading_terms(text: str) -> list[str]:
    """A heading gives its words as terms, one each (headings are titles, not phrases)."""
    return [w for w in re.split(r"[\s,/·:()\[\]]+", text) if content_words(w)]


def _bold_terms(text: str) -> list[str]:
    """A bold list 'AI, ML, DL' is three terms; a comma inside parentheses is not a split."""
    text = _ASIDE.sub("", text)
    parts = [part for part in re.split(r",\s*(?![^()]*\))", text) if part.strip()]
    if any(len(part.split()) > 3 for part in parts):
        return [text]  # a sentence with a comma, not a list
    return parts


def extract_key_terms(markdown: str) -> list[KeyTerm]:
    """The key terms of a model answer, deduplicated, in the order they first appear."""
    seen: set[tuple[tuple[str, ...], ...]] = set()
    terms: list[KeyTerm] = []
    for text, kind in _spans(markdown or ""):
        if kind == "heading":
            candidates = _heading_terms(text)
        else:
            candidates = _bold_terms(text) if kind == "bold" else [text]
        for candidate in candidates:
            clean = _DEFINITION.sub("", " ".join(candidate.split()).strip(" :.-"))
            forms = term_forms(clean)
            if not forms or all(len(f) > MAX_TERM_WORDS for f in forms) or forms in seen:
                continue
            if all(word.isdigit() for form in forms for word in form):
                continue
            seen.add(forms)
            terms.append(KeyTerm(text=clean, kind=kind, forms=forms))
    return terms


class TypedAnswer:
    """A typed answer prepared for matching: its stems, and its Korean text without spaces."""

    def __init__(self, text: str) -> None:
        words = content_words(text)
        self.stems = set(words)
        self.compact = re.sub(r"[^0-9a-z\uac00-\ud7a3]+", "", normalise(text))

    def has(self, stem: str) -> bool:
        if HANGUL.search(stem):
            return stem in self.compact  # tolerate spacing and endings on the answer's side
        return stem in self.stems or (len(stem) >= 4 and stem in self.compact)

    def covers(self, form: tuple[str, ...]) -> bool:
        found = sum(1 for stem in form if self.has(stem))
        if len(form) <= 2:
            return found == len(form)
        return found / len(form) >= COVERED_SHARE


def stored_terms(rows: list[dict[str, Any]]) -> list[KeyTerm]:
    """The terms `mogi import` chose for an answer, ready for matching."""
    out = []
    for row in rows:
        forms = list(term_forms(row["text"]))
        forms += [f for alt in row.get("alts", []) if (f := content_words(alt)) and f not in forms]
        if forms:
            out.append(KeyTerm(text=row["text"], kind=row["kind"], forms=tuple(forms)))
    return out


def coverage(
    model_markdown: str, typed: str | None, stored: list[dict[str, Any]] | None = None
) -> list[TermCoverage]:
    """Each key term of the model answer (as chosen at import, else as marked in it), covered
    or missed by the typed answer."""
    answer = TypedAnswer(typed or "")
    chosen = stored_terms(stored) if stored else extract_key_terms(model_markdown)
    return [
        TermCoverage(
            text=term.text,
            kind=term.kind,
            covered=bool(typed) and any(answer.covers(form) for form in term.forms),
        )
        for term in chosen
    ]

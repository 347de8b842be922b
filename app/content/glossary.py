"""The library's glossary: Korean and English names of one term (과적합 = 오버피팅 = overfitting).

Pairs come from the content itself, where an answer defines a term with a parenthesis
("오버피팅(overfitting)"), and from the curated content/glossary.toml; overlapping pairs merge
into one group of spellings. Search expands a query with them.
"""

from __future__ import annotations

import re
import tomllib
import unicodedata
from collections.abc import Iterable, Sequence
from pathlib import Path

GLOSSARY_FILE = "glossary.toml"
"""The curated glossary's file name in the content folder."""

# Korean-English pairs the content defines: "오버피팅(overfitting)", "**Dropout(드롭아웃)**".
_PAREN_KO_EN = re.compile(
    r"([가-힣][가-힣 ]{0,15}?[가-힣])\s*\(\s*([A-Za-z][A-Za-z0-9 .\-]{1,40}?)\s*\)"
)
_PAREN_EN_KO = re.compile(
    r"([A-Za-z][A-Za-z0-9 .\-]{1,40}?)\s*\(\s*([가-힣][가-힣 ]{0,15}?[가-힣])\s*\)"
)

_FILE_LIKE = re.compile(r"\.(?:png|jpe?g|gif|svg|md|py|html?)\b|/")


def normalize(text: str) -> str:
    """NFC (Korean typed on macOS arrives as NFD), lower case."""
    return unicodedata.normalize("NFC", text).lower()


def compact(text: str) -> str:
    return re.sub(r"[\s\-_.·]+", "", normalize(text))


def extract_glossary(markdown: str) -> list[list[str]]:
    """Korean-English pairs the text defines with a parenthesis, in both orders."""
    pairs: list[list[str]] = []
    for ko, en in _PAREN_KO_EN.findall(markdown):
        pairs.append([ko.strip(), en.strip()])
    for en, ko in _PAREN_EN_KO.findall(markdown):
        pairs.append([ko.strip(), en.strip()])
    seen: set[tuple[str, str]] = set()
    out: list[list[str]] = []
    for ko, en in ((_term_words(ko), en) for ko, en in pairs):
        key = (normalize(ko), normalize(en))
        # "변수 X(x)" and one-letter English say nothing, a file name ("그림(a.png)") is no
        # term, and a long Korean phrase is a sentence.
        short = len(key[1].replace(" ", "")) < 2
        if short or _FILE_LIKE.search(key[1]) or len(key[0]) > 12 or key in seen:
            continue
        seen.add(key)
        out.append([ko.strip(), en.strip()])
    return out


def _term_words(phrase: str) -> str:
    """ "이는 오버피팅" -> "오버피팅": words before the term that end in a particle are not it."""
    words = phrase.split()
    while len(words) > 1 and (words[0] in _LEADING or words[0][-1] in "는은를을가의도에로와과"):
        words.pop(0)
    return " ".join(words)


_LEADING = {"이", "그", "즉", "또한", "및", "바로", "흔히", "보통", "주로", "이를"}


def read_curated_glossary(path: Path) -> list[list[str]]:
    """content/glossary.toml: `groups = [["과적합", "오버피팅", "overfitting"], ...]`."""
    if not path.is_file():
        return []
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError, OSError):
        return []
    groups = data.get("groups", [])
    return [[str(x) for x in g] for g in groups if isinstance(g, list)]


def merge_groups(glossary: Iterable[Sequence[str]]) -> list[list[str]]:
    """Union of overlapping synonym groups (by their compact spelling)."""
    parent: dict[str, str] = {}
    spelling: dict[str, str] = {}

    def find(x: str) -> str:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for group in glossary:
        keys = [compact(p) for p in group if compact(p)]
        for phrase, key in zip(group, keys, strict=False):
            parent.setdefault(key, key)
            spelling.setdefault(key, phrase)
        for key in keys[1:]:
            parent[find(key)] = find(keys[0])
    merged: dict[str, list[str]] = {}
    for key in parent:
        merged.setdefault(find(key), []).append(spelling[key])
    return [g for g in merged.values() if len(g) > 1]

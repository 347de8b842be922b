"""UI text: Korean source strings, with English from each feature's messages.py.

Templates call `_("한국어 문구")`; in English the string is looked up in the merged EN tables
and falls back to the Korean text, so a missing translation is visible but never breaks a page.
"""

from __future__ import annotations

import importlib
import re
from functools import lru_cache

from starlette.requests import Request

LANGUAGES = ("ko", "en")
LANG_COOKIE = "mogi_lang"
_FEATURES = (
    "app.messages",
    "app.content.messages",
    "app.auth.messages",
    "app.practice.messages",
    "app.progress.messages",
    "app.demos.messages",
)


@lru_cache
def english() -> dict[str, str]:
    """All features' English tables merged."""
    merged: dict[str, str] = {}
    for name in _FEATURES:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError:
            continue
        merged.update(getattr(module, "EN", {}))
    return merged


# In English text, {n|card|cards} is "1 card" or "3 cards" by the number n.
_PLURAL = re.compile(r"\{(\w+)\|([^|}]*)\|([^}]*)\}")


def _plural(text: str, params: dict[str, object]) -> str:
    def word(m: re.Match[str]) -> str:
        one = params.get(m.group(1)) in (1, "1")
        return f"{{{m.group(1)}}} {m.group(2) if one else m.group(3)}"

    return _PLURAL.sub(word, text)


def translate(text: str, lang: str, **params: object) -> str:
    """text in lang, with str.format params filled in (and English plurals chosen)."""
    out = english().get(text, text) if lang == "en" else text
    return _plural(out, params).format(**params) if params else out


def request_language(request: Request) -> str:
    """?lang= wins, then the cookie, then the instance default."""
    from app.config import get_settings

    lang = request.query_params.get("lang") or request.cookies.get(LANG_COOKIE)
    return lang if lang in LANGUAGES else get_settings().default_language

"""Account errors shared by the policy checks: each message in English and Korean."""

from __future__ import annotations

from app.errors import AppError


def missing(code: str, field: str) -> AppError:
    """A 422 for a form field left empty."""
    en, ko = _MISSING[field.rpartition("_")[2]]
    return AppError(code, en=en, ko=ko, status=422, field=field)


_MISSING = {
    "username": ("Enter a username.", "사용자 이름을 입력하세요."),
    "password": ("Enter a password.", "비밀번호를 입력하세요."),
}


# What is wrong with a weak password: (English, Korean), {min} filled in.
WEAK_PASSWORD = {
    "short": (
        "Password must be at least {min} characters long.",
        "비밀번호는 {min}자 이상이어야 합니다.",
    ),
    "username": (
        "Password must not be the same as the username.",
        "비밀번호가 사용자 이름과 같으면 안 됩니다.",
    ),
    "repeated": (
        "Password must not be a single character repeated.",
        "비밀번호가 한 글자의 반복이면 안 됩니다.",
    ),
    "common": (
        "This password is too common or sequential; mix several words to make it longer.",
        "너무 흔하거나 연속된 비밀번호입니다. 여러 단어를 섞어 더 길게 만드세요.",
    ),
}

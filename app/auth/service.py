"""Accounts: the policy for names and passwords, logins, browser sessions, API tokens.

Errors are AppErrors with both languages: pages show the visitor's, the API's `detail` is
English.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from app.auth import repository
from app.auth.errors import WEAK_PASSWORD, missing
from app.auth.models import ApiToken, User
from app.auth.security import (
    SESSION_LIFETIME,
    TOKEN_PREFIX,
    burn_password_check,
    digest,
    hash_password,
    needs_rehash,
    new_secret,
    verify_password,
)
from app.db import keep_writes_on_error, utcnow
from app.errors import AppError, too_long

USERNAME_MIN, USERNAME_MAX = 3, 32
_USERNAME_CHARS = re.compile(r"[A-Za-z0-9_.\-]+")
PASSWORD_MIN = 10
# Longer passwords are refused with a message: hashing a megabyte of one would stall a worker.
PASSWORD_MAX = 1024
TOKEN_NAME_MAX = 100
TOKENS_PER_USER = 100
PREFIX_LENGTH = 12

# Failed password checks allowed per window before answering 429. The per-IP allowance is
# larger because an office or a campus shares one address.
FAILURE_WINDOW = timedelta(minutes=15)
FAILURES_PER_USERNAME = 5
FAILURES_PER_IP = 20

# Passwords of 10+ characters that top leaked-password lists; sequences are caught separately.
_COMMON_PASSWORDS = frozenset(
    {
        "password123",
        "password1234",
        "password12345",
        "password!!",
        "passw0rd123",
        "1234567890",
        "0987654321",
        "1q2w3e4r5t",
        "1q2w3e4r5t6y",
        "q1w2e3r4t5",
        "qwertyuiop",
        "qwerty1234",
        "qwerty12345",
        "qwerty123456",
        "qwer1234!!",
        "asdfghjkl;",
        "asdfghjkl1",
        "zxcvbnm123",
        "iloveyou12",
        "iloveyou123",
        "abc1234567",
        "abcd123456",
        "aa12345678",
        "a123456789",
        "1234567890a",
        "letmein123",
        "welcome123",
        "admin12345",
        "administrator",
        "football123",
        "baseball123",
        "princess123",
        "sunshine123",
        "dragon1234",
        "monkey1234",
        "123456789a",
        "123456789q",
        "1234512345",
        "1111122222",
        "1122334455",
        "changeme123",
        "trustno1234",
        "superman123",
        "starwars123",
        "computer123",
        "internet123",
        "samsung123",
        "googledotcom",
        "deeplearning",
        "machinelearning",
    }
)


@dataclass(frozen=True)
class NewToken:
    token: ApiToken
    secret: str


# --- policy -------------------------------------------------------------------------------


def check_username(username: str) -> None:
    """Raise a 422 naming what to fix when username breaks the naming rule."""
    if not username:
        raise missing("invalid_username", "username")
    if not USERNAME_MIN <= len(username) <= USERNAME_MAX:
        raise AppError(
            "invalid_username",
            en="Username must be {min}-{max} characters long.",
            ko="사용자 이름은 {min}~{max}자여야 합니다.",
            status=422,
            field="username",
            min=USERNAME_MIN,
            max=USERNAME_MAX,
        )
    if not _USERNAME_CHARS.fullmatch(username):
        raise AppError(
            "invalid_username",
            en="Username may contain only letters A-Z, digits, underscore (_), dot (.) "
            "and hyphen (-).",
            ko="사용자 이름에는 영문자, 숫자, 밑줄(_), 마침표(.), 하이픈(-)만 쓸 수 있습니다.",
            status=422,
            field="username",
        )


def _is_sequence(text: str) -> bool:
    steps = {ord(b) - ord(a) for a, b in zip(text, text[1:], strict=False)}
    return steps in ({1}, {-1})


def check_password(password: str, username: str, field: str = "password") -> None:
    """Raise a 422 naming what to fix when password is too weak for username."""
    if not password:
        raise missing("weak_password", field)
    if len(password) > PASSWORD_MAX:
        raise too_long(
            field, PASSWORD_MAX, len(password), en_name="A password", ko_subject="비밀번호는"
        )
    folded = password.casefold()
    for broken, en, ko in (
        (len(password) < PASSWORD_MIN, *WEAK_PASSWORD["short"]),
        (folded == username.casefold(), *WEAK_PASSWORD["username"]),
        (len(set(password)) == 1, *WEAK_PASSWORD["repeated"]),
        (folded in _COMMON_PASSWORDS or _is_sequence(folded), *WEAK_PASSWORD["common"]),
    ):
        if broken:
            raise AppError("weak_password", en=en, ko=ko, status=422, field=field, min=PASSWORD_MIN)


# --- rate limit ---------------------------------------------------------------------------


def _username_key(username: str) -> str:
    return username.strip().lower()[:64]


def _retry_after(times: list[datetime], limit: int, now: datetime) -> int | None:
    """Seconds until fewer than `limit` of these failures are inside the window, or None."""
    if len(times) < limit:
        return None
    oldest_counted = min(times)
    return max(1, math.ceil((oldest_counted + FAILURE_WINDOW - now).total_seconds()))


def check_rate_limit(session: Session, username: str, client_ip: str) -> None:
    """Raise 429 with Retry-After while the name or the address has too many recent failures."""
    now = utcnow()
    since = now - FAILURE_WINDOW
    by_name = repository.recent_failure_times(
        session, since=since, limit=FAILURES_PER_USERNAME, username=_username_key(username)
    )
    by_ip = repository.recent_failure_times(
        session, since=since, limit=FAILURES_PER_IP, client_ip=client_ip
    )
    waits = [
        w
        for w in (
            _retry_after(by_name, FAILURES_PER_USERNAME, now),
            _retry_after(by_ip, FAILURES_PER_IP, now),
        )
        if w is not None
    ]
    if waits:
        seconds = max(waits)
        raise AppError(
            "too_many_attempts",
            en="Too many failed password attempts. Try again in {minutes} minute(s).",
            ko="비밀번호 확인 실패가 너무 많습니다. {minutes}분 뒤에 다시 시도하세요.",
            status=429,
            headers={"Retry-After": str(seconds)},
            minutes=math.ceil(seconds / 60),
        )


def _record_failure(session: Session, username: str, client_ip: str) -> None:
    # The request is about to fail, and a rollback would erase the attempt, so the limiter
    # would never trip: the request's session is marked to commit even so. Callers check the
    # password before changing anything, so nothing else of the request is committed with it.
    now = utcnow()
    repository.add_login_failure(session, _username_key(username), client_ip[:64], now)
    repository.delete_login_failures_before(session, now - FAILURE_WINDOW)
    keep_writes_on_error(session)


def _confirm_password(
    session: Session, user: User, password: str, client_ip: str, error: AppError
) -> None:
    """Check the password of a logged-in user, counting failures like logins."""
    check_rate_limit(session, user.username, client_ip)
    if not verify_password(user.password_hash, password):
        _record_failure(session, user.username, client_ip)
        raise error


# --- accounts -----------------------------------------------------------------------------


def register(session: Session, username: str, password: str) -> User:
    """Create an account after checking the name and password policies."""
    username = username.strip()
    check_username(username)
    check_password(password, username)
    taken = AppError(
        "username_taken",
        en="The username '{username}' is already taken; choose another one.",
        ko="'{username}'은(는) 이미 사용 중인 사용자 이름입니다. 다른 이름을 고르세요.",
        status=409,
        field="username",
        username=username,
    )
    if repository.find_user_by_name(session, username) is not None:
        raise taken
    try:
        return repository.add_user(session, username, hash_password(password))
    except IntegrityError:  # two sign-ups raced for one name; the request rolls back
        raise taken from None


def authenticate(session: Session, username: str, password: str, client_ip: str) -> User:
    """The user with these credentials; 401 on a wrong login, 429 after too many."""
    if not username.strip() or not password:
        raise missing("invalid_credentials", "password" if username.strip() else "username")
    check_rate_limit(session, username, client_ip)
    user = repository.find_user_by_name(session, username.strip())
    # A password longer than any account may have is wrong, after as long as any other check.
    fits = len(password) <= PASSWORD_MAX
    if user is None or not fits:
        burn_password_check(password[:PASSWORD_MAX])
    if user is None or not fits or not verify_password(user.password_hash, password):
        _record_failure(session, username, client_ip)
        raise AppError(
            "invalid_credentials",
            en="Wrong username or password.",
            ko="사용자 이름 또는 비밀번호가 올바르지 않습니다.",
            status=401,
        )
    repository.delete_login_failures_for(session, _username_key(username))
    if needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    return user


def change_password(
    session: Session,
    user: User,
    current: str,
    new: str,
    client_ip: str,
    keep_cookie: str | None = None,
) -> int:
    """Set a new password and end the user's other browser sessions; returns how many ended."""
    wrong = AppError(
        "wrong_password",
        en="The current password is wrong.",
        ko="현재 비밀번호가 올바르지 않습니다.",
        status=403,
        field="current_password",
    )
    _confirm_password(session, user, current, client_ip, wrong)
    check_password(new, user.username, field="new_password")
    if new == current:
        raise AppError(
            "weak_password",
            en="The new password is the same as the current one.",
            ko="새 비밀번호가 현재 비밀번호와 같습니다.",
            status=422,
            field="new_password",
        )
    user.password_hash = hash_password(new)
    keep = digest(keep_cookie) if keep_cookie else None
    return repository.delete_other_web_sessions(session, user.id, keep)


def delete_account(session: Session, user: User, password: str, client_ip: str) -> None:
    """Delete the account and, through the database's cascades, everything it owns."""
    wrong = AppError(
        "wrong_password",
        en="Wrong password: the account was not deleted.",
        ko="비밀번호가 올바르지 않아 계정을 삭제하지 않았습니다.",
        status=403,
        field="password",
    )
    _confirm_password(session, user, password, client_ip, wrong)
    repository.delete_user(session, user.id)
    session.expunge(user)


# --- browser sessions ---------------------------------------------------------------------


def start_web_session(session: Session, user: User, previous_cookie: str | None) -> str:
    """A new session token for user (the cookie value); the previous one, if any, ends."""
    if previous_cookie:
        repository.delete_web_session(session, digest(previous_cookie))
    now = utcnow()
    repository.delete_expired_web_sessions(session, user.id, now)
    secret = new_secret()
    repository.add_web_session(session, user.id, digest(secret), now + SESSION_LIFETIME)
    return secret


def end_web_session(session: Session, cookie: str | None) -> None:
    """Delete the server side of a browser session (the cookie alone then opens nothing)."""
    if cookie:
        repository.delete_web_session(session, digest(cookie))


# --- API tokens ---------------------------------------------------------------------------


def create_token(session: Session, user: User, name: str) -> NewToken:
    """A new personal API token; its secret is returned this once and never stored."""
    name = name.strip()
    if not 1 <= len(name) <= TOKEN_NAME_MAX:
        raise AppError(
            "invalid_token_name",
            en="Give the token a name (at most {max} characters).",
            ko="토큰 이름을 입력하세요 (최대 {max}자).",
            status=422,
            field="name",
            max=TOKEN_NAME_MAX,
        )
    if repository.count_api_tokens(session, user.id) >= TOKENS_PER_USER:
        raise AppError(
            "too_many_tokens",
            en="Too many tokens (at most {max}); revoke unused ones first.",
            ko="토큰이 너무 많습니다 (최대 {max}개). 쓰지 않는 토큰을 먼저 폐기하세요.",
            status=409,
            max=TOKENS_PER_USER,
        )
    secret = new_secret(TOKEN_PREFIX)
    token = repository.add_api_token(session, user.id, name, digest(secret), secret[:PREFIX_LENGTH])
    return NewToken(token=token, secret=secret)


def list_tokens(session: Session, user: User) -> Sequence[ApiToken]:
    """The user's tokens, newest first (hashes only; secrets are never kept)."""
    return repository.list_api_tokens(session, user.id)


def revoke_token(session: Session, user: User, token_id: int) -> None:
    """Delete one of the user's tokens; another user's token is 404, as if it did not exist."""
    if not repository.delete_api_token(session, user.id, token_id):
        raise AppError(
            "token_not_found", en="No such token.", ko="토큰을 찾을 수 없습니다.", status=404
        )

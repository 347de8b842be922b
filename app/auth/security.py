"""Password hashing (argon2) and the random secrets behind cookies and tokens."""

from __future__ import annotations

import hashlib
import secrets
import threading
from datetime import timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from app.config import get_settings

PRODUCTION_HASHER = PasswordHasher()  # argon2id, RFC 9106's low-memory profile
# MOGI_ENV=test only: the suite makes hundreds of users, and each production hash costs most of
# a second on 2 cores. The stored format is the same; only the work factors differ.
TEST_HASHER = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)


# Each production hash holds 64 MiB while it runs: a burst of logins (or of password guesses
# at unknown names, which are hashed too) must not multiply that by the thread pool's size.
_HASHES_AT_ONCE = threading.BoundedSemaphore(2)


def _hasher() -> PasswordHasher:
    return TEST_HASHER if get_settings().env == "test" else PRODUCTION_HASHER


TOKEN_PREFIX = "mogi_"
SESSION_LIFETIME = timedelta(days=30)  # a browser stays logged in this long after login


def hash_password(password: str) -> str:
    """The argon2id hash stored for a password."""
    with _HASHES_AT_ONCE:
        return _hasher().hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    """Whether password matches the stored hash (False for a malformed hash)."""
    try:
        with _HASHES_AT_ONCE:
            return _hasher().verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def new_secret(prefix: str = "") -> str:
    """A URL-safe random secret with 256 bits of entropy."""
    return prefix + secrets.token_urlsafe(32)


def digest(secret: str) -> str:
    """What is stored for a secret: a leaked table gives no usable cookie or token."""
    return hashlib.sha256(secret.encode()).hexdigest()


_dummy_hash: str | None = None


def burn_password_check(password: str) -> None:
    """Spend a real verification's time on a name with no account.

    Without it a wrong name answers faster than a wrong password, which tells an attacker
    which usernames exist.
    """
    global _dummy_hash
    if _dummy_hash is None:
        _dummy_hash = hash_password(new_secret())
    verify_password(_dummy_hash, password)


def needs_rehash(password_hash: str) -> bool:
    """Whether a stored hash predates the current argon2 parameters (rehash at next login)."""
    try:
        return _hasher().check_needs_rehash(password_hash)
    except InvalidHashError:
        return False

"""Password hashing: production keeps argon2id's recommended work factors."""

from __future__ import annotations

from argon2 import Type
from argon2.profiles import RFC_9106_LOW_MEMORY

from app.auth.security import PRODUCTION_HASHER, TEST_HASHER, hash_password, verify_password
from app.config import get_settings


def test_production_hashes_with_rfc_9106_parameters() -> None:
    params = PRODUCTION_HASHER._parameters
    assert params == RFC_9106_LOW_MEMORY
    assert params.type is Type.ID and params.memory_cost >= 64 * 1024 and params.time_cost >= 3


def test_the_cheap_test_hasher_is_used_only_under_mogi_env_test(database_url: str) -> None:
    assert get_settings().env == "test"
    stored = hash_password("a-long-password-1")
    assert stored.startswith("$argon2id$") and f"m={TEST_HASHER.memory_cost}," in stored
    assert verify_password(stored, "a-long-password-1")
    assert not verify_password(stored, "a-long-password-2")
    settings = get_settings()
    settings.env = "production"
    try:
        strong = hash_password("a-long-password-1")
    finally:
        settings.env = "test"
    assert "m=65536,t=3,p=4" in strong and verify_password(strong, "a-long-password-1")

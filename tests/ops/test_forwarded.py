"""Behind a trusted proxy (MOGI_FORWARDED_ALLOW_IPS), the login rate limit counts each client's
own address, so one client's failures do not lock everyone out."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from app.auth.service import FAILURES_PER_IP
from app.migrate import upgrade_to_head
from tests.conftest import mogi_serving
from tests.ops.conftest import mogi_env


@pytest.fixture(params=["127.0.0.1", "192.0.2.1"], ids=["proxy-trusted", "proxy-not-trusted"])
def server(request: pytest.FixtureRequest, fresh_url: str, tmp_path: Path) -> Iterator[str]:
    """`mogi serve` on its own database, trusting X-Forwarded-For from the address in param
    (the tests connect from 127.0.0.1)."""
    upgrade_to_head(fresh_url)
    env = mogi_env(fresh_url, MOGI_FORWARDED_ALLOW_IPS=request.param)
    with mogi_serving(env, tmp_path) as base:
        yield base


def _failed_login(base: str, client_ip: str) -> int:
    response = httpx.post(
        f"{base}/api/v1/tokens",
        json={
            "username": f"nobody-{uuid.uuid4().hex[:8]}",
            "password": "wrong-password-123",
            "name": "t",
        },
        headers={"X-Forwarded-For": client_ip},
        timeout=30,
    )
    return response.status_code


def test_rate_limit_sees_the_client_address_only_from_a_trusted_proxy(
    request: pytest.FixtureRequest, server: str
) -> None:
    noisy, quiet = "198.51.100.7", "198.51.100.8"
    codes = {_failed_login(server, noisy) for _ in range(FAILURES_PER_IP)}
    assert 429 not in codes
    assert _failed_login(server, noisy) == 429
    trusted = "proxy-trusted" in request.node.name
    # Trusted: each client has its own count. Not trusted: everyone is 127.0.0.1, locked out.
    assert (_failed_login(server, quiet) == 429) is not trusted

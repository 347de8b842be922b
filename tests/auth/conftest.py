"""Fixtures for the accounts tests: clients from their own address, page form helpers."""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator

import httpx
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from app.web import CSRF_COOKIE

_addresses = itertools.count(1)


def new_address() -> str:
    """An IP address no other client of this test run has used."""
    n = next(_addresses)
    return f"10.{n // 65536 % 256}.{n // 256 % 256}.{n % 256}"


@pytest.fixture
def client_from(app: FastAPI) -> Iterator[Callable[..., TestClient]]:
    """Make clients that each come from their own IP address.

    The login limiter counts failures per address across the whole test run; a fresh
    address per test keeps one test's wrong logins from limiting another's.
    """
    made: list[TestClient] = []

    def make(address: str | None = None) -> TestClient:
        c = TestClient(
            app,
            base_url="http://127.0.0.1",
            client=(address or new_address(), 40000),
            follow_redirects=False,
        )
        c.__enter__()
        made.append(c)
        return c

    yield make
    for c in made:
        c.__exit__(None, None, None)


@pytest.fixture
def web(client_from: Callable[..., TestClient]) -> TestClient:
    """A browser-like client (no redirects followed) from its own address."""
    return client_from()


def csrf_token(client: TestClient) -> str:
    """The token a page would give this client, fetching the login page first for a cookie."""
    from app.web import SESSION_COOKIE, sign_csrf

    if CSRF_COOKIE not in client.cookies:
        client.get("/login")
    return sign_csrf(client.cookies[CSRF_COOKIE], client.cookies.get(SESSION_COOKIE) or "")


def post_form(client: TestClient, url: str, **fields: str) -> httpx.Response:
    """A page form submission with the CSRF token, as the browser would send it."""
    return client.post(url, data={"csrf_token": csrf_token(client), **fields})


def page_login(client: TestClient, username: str, password: str, **extra: str) -> httpx.Response:
    return post_form(client, "/login", username=username, password=password, **extra)


def page_register(client: TestClient, username: str, password: str, **extra: str) -> httpx.Response:
    return post_form(client, "/register", username=username, password=password, **extra)

"""Cookies and cross-site requests: the session cookie is ``Secure`` in production and over
HTTPS; sign-in, sign-out and every callback refuse a request that does not come from a page of
this console; signing out takes a POST."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from dashboard.app import create_app
from dashboard.sessions import COOKIE
from store.db import session_factory
from store.people import create_user
from tests.dashboard.console_client import CONFIG, PASSWORD, client_for, sign_in

FORM = {"username": "lead", "password": PASSWORD, "next": "/"}


@pytest.fixture
def client(sqlite_engine: Engine) -> Iterator[TestClient]:
    with client_for(sqlite_engine) as made:
        yield made


@pytest.mark.parametrize(
    "sent",
    [
        {"origin": "http://evil.example"},
        {"origin": "null"},
        {"referer": "http://evil.example/login"},
        {"origin": "http://testserver.evil.example"},
        {},
    ],
    ids=["foreign-origin", "null-origin", "foreign-referer", "look-alike", "none"],
)
def test_sign_in_from_another_site_is_refused(client: TestClient, sent: dict[str, str]) -> None:
    client.headers.pop("origin")

    answer = client.post("/login", data=FORM, headers=sent, follow_redirects=False)

    assert answer.status_code == 403
    assert answer.json()["error"] == "cross_site_request"
    assert COOKIE not in answer.cookies


def test_sign_in_from_this_site_by_referer_alone_is_accepted(client: TestClient) -> None:
    client.headers.pop("origin")
    sent = {"referer": "http://testserver/login?next=%2F"}

    assert client.post("/login", data=FORM, headers=sent, follow_redirects=False).status_code == 303


def test_a_callback_from_another_site_is_refused_even_with_a_session(client: TestClient) -> None:
    sign_in(client)
    foreign = {"origin": "http://evil.example"}

    answer = client.post("/_dash-update-component", json={}, headers=foreign)

    assert answer.status_code == 403
    assert client.get("/_dash-layout").status_code == 200  # and the session is still there


def test_signing_out_takes_a_post_from_this_site(client: TestClient) -> None:
    sign_in(client)

    page = client.get("/logout")
    assert page.status_code == 200
    assert 'method="post" action="/logout"' in page.text
    assert client.get("/_dash-layout").status_code == 200  # a GET signs nobody out
    foreign = client.post("/logout", headers={"origin": "http://evil.example"})
    assert foreign.status_code == 403
    assert client.get("/_dash-layout").status_code == 200

    client.post("/logout")

    assert client.get("/_dash-layout").status_code == 401


def test_the_public_url_may_send_requests_when_a_proxy_rewrites_the_host(
    sqlite_engine: Engine,
) -> None:
    config = replace(CONFIG, public_url="https://ow.example.com/")
    add_lead(sqlite_engine)
    app = create_app(config, sessions=session_factory(sqlite_engine))
    with TestClient(app, headers={"origin": "https://ow.example.com"}) as client:
        assert client.post("/login", data=FORM, follow_redirects=False).status_code == 303


def add_lead(engine: Engine) -> None:
    with session_factory(engine).begin() as session:
        create_user(session, username="lead", role="supervisor", password=PASSWORD)


def session_cookie(engine: Engine, *, production: bool, base_url: str) -> str:
    app = create_app(replace(CONFIG, production=production), sessions=session_factory(engine))
    origin = base_url.rstrip("/")
    with TestClient(app, base_url=base_url, headers={"origin": origin}) as client:
        answer = client.post("/login", data=FORM, follow_redirects=False)
    assert answer.status_code == 303
    return answer.headers["set-cookie"]


def test_the_session_cookie_is_secure_in_production_and_over_https(sqlite_engine: Engine) -> None:
    add_lead(sqlite_engine)
    plain = session_cookie(sqlite_engine, production=False, base_url="http://testserver")
    proxied = session_cookie(sqlite_engine, production=False, base_url="https://testserver")
    production = session_cookie(sqlite_engine, production=True, base_url="http://testserver")

    assert "secure" not in plain.lower()
    assert "; secure" in proxied.lower()
    assert "; secure" in production.lower()
    for cookie in (plain, proxied, production):
        assert "httponly" in cookie.lower()
        assert "samesite=lax" in cookie.lower()

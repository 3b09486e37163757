"""Security headers on every answer: a Content-Security-Policy that allows the page's own
inline scripts by hash and nothing else inline, no framing, no sniffing, a same-origin
referrer, HSTS in production. (The browser tests fail on any CSP violation: the console runs
under this policy.)"""

from __future__ import annotations

import base64
import hashlib
import re
from dataclasses import replace

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from dashboard.app import create_app
from store.db import session_factory
from tests.dashboard.console_client import CONFIG, SAME_SITE, client_for, sign_in

PATHS = ["/login", "/healthz", "/api/openapi.json", "/api/v1/orders/OW1/timestamps", "/nope"]


def directives(policy: str) -> dict[str, list[str]]:
    parts = (part.split() for part in policy.split(";") if part.strip())
    return {name: values for name, *values in parts}


@pytest.mark.parametrize("path", PATHS)
def test_every_answer_carries_the_headers(sqlite_engine: Engine, path: str) -> None:
    with client_for(sqlite_engine) as client:
        headers = client.get(path, follow_redirects=False).headers

    assert headers["x-frame-options"] == "DENY"
    assert headers["x-content-type-options"] == "nosniff"
    assert headers["referrer-policy"] == "same-origin"
    policy = directives(headers["content-security-policy"])
    assert policy["frame-ancestors"] == ["'none'"]
    assert policy["object-src"] == ["'none'"]
    assert "'unsafe-inline'" not in policy["script-src"]
    assert "'unsafe-eval'" not in policy["script-src"]
    assert "strict-transport-security" not in headers  # not in development


def test_the_console_page_allows_exactly_its_inline_scripts(sqlite_engine: Engine) -> None:
    with client_for(sqlite_engine) as client:
        sign_in(client)
        page = client.get("/orders")

    allowed = set(directives(page.headers["content-security-policy"])["script-src"])
    live = re.sub(r"<!--.*?-->", "", page.text, flags=re.DOTALL)  # Dash's IE-only comment
    inline = re.findall(r"<script(?![^>]*\bsrc=)(?![^>]*application/json)[^>]*>(.*?)</script>",
                        live, re.DOTALL)  # fmt: skip
    assert inline, "the page has inline scripts (the renderer's start at least)"
    for script in inline:
        digest = base64.b64encode(hashlib.sha256(script.encode()).digest()).decode()
        assert f"'sha256-{digest}'" in allowed


def test_production_adds_hsts(sqlite_engine: Engine) -> None:
    app = create_app(replace(CONFIG, production=True), sessions=session_factory(sqlite_engine))
    with TestClient(app, headers=SAME_SITE) as client:
        headers = client.get("/healthz").headers

    assert headers["strict-transport-security"].startswith("max-age=31536000")


def test_the_api_docs_may_load_swagger_from_its_cdn(sqlite_engine: Engine) -> None:
    with client_for(sqlite_engine) as client:
        docs = client.get("/api/docs")

    assert docs.status_code == 200
    policy = directives(docs.headers["content-security-policy"])
    assert "https://cdn.jsdelivr.net" in policy["script-src"]
    assert policy["frame-ancestors"] == ["'none'"]

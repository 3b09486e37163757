"""The admin page in a real browser: an admin creates an API token, sees its secret once, the
REST API takes it, the admin revokes it and the API refuses it (401); an admin adds a user
and resets their password, and the session the user has open ends; a supervisor is drawn
the admins-only message, no link to the page, and a call forged from their session is
refused (403) and audited."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import Browser, Page, expect
from sqlalchemy import select

from store.db import make_engine, session_factory
from store.models import AuditEntry, User
from store.people import authenticate
from tests.dashboard.live_console import (
    VIEWPORT,
    WAIT_S,
    forge_callback,
    live_console,
    open_nav,
    sign_in,
)

pytestmark = pytest.mark.browser

TOKEN = "pda-07"
READ_SCOPE = "#admin-scope-1"
"""The checkbox of ``orders:read`` (``store.people.SCOPES[1]``)."""
WORKLIST = "/api/v1/worklist"
"""A REST endpoint that takes ``orders:read``."""


@pytest.fixture
def console(console_store: Path) -> Iterator[str]:
    with live_console(console_store, []) as base_url:
        yield base_url


def read_store(database: Path, query: Any) -> list[Any]:
    engine = make_engine(f"sqlite:///{database}")
    with session_factory(engine)() as session:
        found = list(session.execute(query).all())
    engine.dispose()
    return found


def api_status(base_url: str, secret: str) -> int:
    headers = {"authorization": f"Bearer {secret}"}
    return httpx.get(f"{base_url}{WORKLIST}", headers=headers, timeout=WAIT_S).status_code


def open_admin(page: Page, tab: str) -> None:
    open_nav(page, "admin")
    page.locator(f"#admin-tab-{tab}").click()
    # Drawn once its rows (or its empty state) replaced the loading skeleton.
    expect(page.locator(f"#admin-{tab}-empty .mantine-Skeleton-root")).to_have_count(0)


def pick_row(page: Page, grid: str, text: str) -> None:
    page.locator(f"#{grid} .ag-row").filter(has_text=text).first.click()


def test_a_token_is_shown_once_works_and_is_refused_once_revoked(
    console: str, console_store: Path, page: Page
) -> None:
    sign_in(page, console, "admin")
    open_admin(page, "tokens")
    expect(page.locator("#admin-tokens-empty")).to_contain_text("还没有接口令牌")

    page.locator("#admin-token-create").click()
    page.locator("#admin-token-submit").click()  # nothing filled in: refused beside the fields
    expect(page.get_by_text("至少选择一个权限范围")).to_be_visible()
    page.locator("#admin-token-name").fill(TOKEN)
    page.locator(READ_SCOPE).check()
    page.locator("#admin-token-submit").click()

    shown = page.locator("#admin-once-secret")
    expect(shown).to_have_text(re.compile(r"^owt_\S{20,}$"))
    secret = shown.inner_text()
    assert api_status(console, secret) == 200
    page.locator("#admin-once-close").click()
    expect(shown).to_be_hidden()
    expect(page.locator("body")).not_to_contain_text(secret)

    pick_row(page, "admin-tokens-grid", TOKEN)
    page.locator("#admin-token-revoke").click()
    expect(page.locator("#admin-dialog-text")).to_contain_text(TOKEN)
    page.locator("#admin-dialog-confirm").click()
    row = page.locator("#admin-tokens-grid .ag-row").filter(has_text=TOKEN).first
    expect(row.locator("[col-id='state']")).to_have_text("已吊销")
    expect(row.locator("[col-id='last_used']")).to_have_text(re.compile(r"^\d{4}-\d\d-\d\d "))
    assert api_status(console, secret) == 401

    entries = read_store(console_store, select(AuditEntry.actor, AuditEntry.action).where(
        AuditEntry.entity_id == TOKEN))  # fmt: skip
    assert [tuple(e) for e in entries] == [("admin", "token.created"), ("admin", "token.revoked")]


def test_a_reset_password_ends_the_users_open_session(
    console: str, console_store: Path, page: Page, browser: Browser
) -> None:
    sign_in(page, console, "admin")
    open_admin(page, "users")
    page.locator("#admin-user-add").click()
    page.locator("#admin-add-username").fill("packer")
    page.locator("#admin-add-display_name").fill("赵六")
    page.locator("#admin-add-role").click()
    page.get_by_role("option", name="查看者").click()
    page.locator("#admin-add-password").fill("short")
    page.locator("#admin-add-submit").click()
    expect(page.get_by_text("密码至少需要 8 个字符")).to_be_visible()
    page.locator("#admin-add-password").fill("packer-pass-9")
    page.locator("#admin-add-submit").click()
    expect(page.locator("#admin-users-grid")).to_contain_text("赵六")

    # The new user signs in elsewhere and keeps the console open.
    other = browser.new_context(viewport=VIEWPORT)
    theirs = other.new_page()
    theirs.goto(f"{console}/login")
    theirs.locator("#username").fill("packer")
    theirs.locator("#password").fill("packer-pass-9")
    theirs.locator("#login-submit").click()
    expect(theirs.locator("#shell-user")).to_have_text("赵六")

    pick_row(page, "admin-users-grid", "packer")
    page.locator("#admin-user-reset").click()
    expect(page.locator("#admin-reset-text")).to_contain_text("packer")
    page.locator("#admin-reset-submit").click()  # empty: one is generated, shown once
    shown = page.locator("#admin-once-secret")
    expect(shown).to_have_text(re.compile(r"^\S{8,}$"))
    generated = shown.inner_text()
    page.locator("#admin-once-close").click()

    # Their open board asks the server every 2 s: the next ask finds the session over and
    # the page sends them to sign in again.
    expect(theirs).to_have_url(re.compile(r"/login\?next="))
    other.close()
    engine = make_engine(f"sqlite:///{console_store}")
    with session_factory(engine)() as session:
        assert authenticate(session, "packer", generated) is not None
        assert authenticate(session, "packer", "packer-pass-9") is None
    engine.dispose()


def test_a_supervisor_gets_the_admins_only_page_and_a_forged_call_is_refused(
    console: str, console_store: Path, page: Page
) -> None:
    sign_in(page, console, "supervisor")
    expect(page.locator("#shell-nav-audit")).to_be_visible()
    expect(page.locator("#shell-nav-admin")).to_have_count(0)
    page.goto(f"{console}/admin")
    expect(page.locator("#admin-denied")).to_contain_text("仅限管理员")
    expect(page.locator("#admin-users-grid")).to_have_count(0)

    cookies = {c["name"]: c["value"] for c in page.context.cookies()}
    values = {"admin-add-username.value": "mallory", "admin-add-role.value": "admin",
              "admin-add-password.value": "mallory-pass-9"}  # fmt: skip
    trigger = {"id": "admin-add-submit", "property": "n_clicks"}
    answer = forge_callback(console, cookies, trigger, values)

    assert answer.status_code == 403, answer.text
    refused = read_store(console_store, select(AuditEntry.actor, AuditEntry.entity_id).where(
        AuditEntry.action == "console.refused"))  # fmt: skip
    assert [tuple(r) for r in refused] == [("supervisor", "admin.add_user")]
    assert read_store(console_store, select(User.id).where(User.username == "mallory")) == []

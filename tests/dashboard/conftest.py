"""Fixtures of the browser tests: a seeded store for each test, one Chromium per test module and a
fresh browser context (no cookies, no local storage, so no stored language) for every test."""

from __future__ import annotations

import shutil
from collections.abc import Generator, Iterator
from contextlib import suppress
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Error, Page, expect

from tests.dashboard.live_console import (
    VIEWPORT,
    WAIT_S,
    chromium,
    require_browser,
    screenshot,
    seed_store,
)


@pytest.fixture(scope="session")
def seeded_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Made once per test process: hashing a password per role takes seconds on a busy machine."""
    path = tmp_path_factory.mktemp("console") / "orderwatch.db"
    seed_store(path)
    return path


@pytest.fixture
def console_store(seeded_store: Path, tmp_path: Path) -> Path:
    """This test's own copy of the seeded store, for ``live_console``."""
    path = tmp_path / "orderwatch.db"
    shutil.copyfile(seeded_store, path)
    return path


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    """One Chromium for the tests of a module.

    Not for the whole session: between its calls Playwright's sync API leaves its event loop
    marked as running on the main thread, and ``asyncio.run`` in a later test of the same
    process (tests/api) would refuse to start. A module's end stops it.
    """
    require_browser()
    expect.set_options(timeout=WAIT_S * 1000)
    with chromium() as launched:
        yield launched


@pytest.fixture
def page(browser: Browser, tmp_path: Path) -> Iterator[Page]:
    """A page in a fresh context; a test whose page broke the console's Content-Security-Policy
    (a script, style or connection the policy blocked) fails, so the policy cannot quietly
    break a page."""
    context = browser.new_context(viewport=VIEWPORT)
    context.set_default_timeout(WAIT_S * 1000)
    opened = context.new_page()
    blocked: list[str] = []
    opened.on(
        "console",
        lambda message: (
            blocked.append(message.text) if "Content Security Policy" in message.text else None
        ),
    )
    try:
        yield opened
    finally:
        context.close()
    assert blocked == [], f"the Content-Security-Policy blocked: {blocked}"


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    """A failed browser test leaves a screenshot of its page and says where in its report."""
    report = yield
    funcargs = getattr(item, "funcargs", {})
    if report.when == "call" and report.failed and "page" in funcargs:
        with suppress(Error):  # a page that crashed has no picture to give
            path = screenshot(funcargs["page"], funcargs["tmp_path"] / "failure.png")
            report.sections.append(("browser", f"screenshot at the failure: {path}"))
    return report

"""The browser the web UI tests drive: Debian's headless Chromium through Playwright (one for
the package), and a page per test in its own browser context (its own sessionStorage, so its own
login) on the `system` fixture of the test's module (a real broker and app process).

No Chromium is a failure, not a skip: CI installs it (`apt-get install chromium`), or point
RIIR_CHROMIUM at a Chromium/Chrome binary.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, Page, sync_playwright
from runtime.app.conftest import System


def chromium_path() -> str:
    path = os.environ.get("RIIR_CHROMIUM") or shutil.which("chromium")
    if not path:
        pytest.fail(
            "No Chromium for the web UI tests: install Debian's (`apt-get install chromium`, as "
            "scripts/test.sh does) or set RIIR_CHROMIUM to a Chromium/Chrome binary. Playwright "
            "drives that browser; it downloads none.",
            pytrace=False,
        )
    return path


@pytest.fixture(scope="package")
def browser() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=chromium_path(), headless=True, args=["--no-sandbox"]
        )
        try:
            yield browser
        finally:
            browser.close()


@pytest.fixture
def page(browser: Browser, system: System) -> Iterator[Page]:
    context = browser.new_context(base_url=system.broker.url)
    context.set_default_timeout(20_000)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    try:
        yield page
        assert errors == [], f"JavaScript errors on the page: {errors}"
    finally:
        context.close()

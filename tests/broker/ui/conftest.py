"""The browser the web UI tests drive: Debian's headless Chromium through Playwright (one for
the package), and a page per test in its own browser context (its own sessionStorage, so its own
login) on the `system` fixture of the test's module (a real broker and app process, made with
`ui_system`), and the helpers both UI test modules use (`log_in`, `api`, `row`).

No Chromium is a failure, not a skip: CI installs it (`apt-get install chromium`), or point
RIIR_CHROMIUM at a Chromium/Chrome binary.
"""

from __future__ import annotations

import contextlib
import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Locator, Page, sync_playwright
from runtime.app.conftest import BOOTSTRAP, JWT, System, _broker_on

from broker.support import broker_env, http, login, riir


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


@contextlib.contextmanager
def ui_system(home: Path) -> Iterator[System]:
    """A broker process on a fresh SQLite metastore under `home`, users admin/admin and
    viewer/viewer, short app timings; the caller starts its apps. Everything stops at the end."""
    env = broker_env(
        home, f"sqlite:///{home / 'airflow.db'}",
        api_auth__jwt_secret=JWT, riir__app_bootstrap_secret=BOOTSTRAP,
        riir__app_heartbeat_interval="0.5", riir__app_heartbeat_timeout="30",
        riir__command_recheck_seconds="0.5", riir__token_cache_seconds="0", riir__app_rate_limit="0",
        core__dags_are_paused_at_creation="False",
    )  # fmt: skip
    riir(env, "db", "migrate")
    riir(env, "users", "create", "--username", "admin", "--role", "admin", "--password", "admin")
    riir(env, "users", "create", "--username", "viewer", "--role", "viewer", "--password", "viewer")
    system = System(env=env, home=home, broker=_broker_on(env, home))
    try:
        yield system
    finally:
        for app in system.apps:
            app.stop()
        system.broker.stop()


def log_in(page: Page, username: str = "admin", password: str = "admin") -> None:
    page.goto("/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()


def api(system: System, method: str, path: str, body: object = None) -> object:
    status, answer = http(method, f"{system.broker.url}/api/v2/{path}", body,
                          token=login(system.broker.url, "admin", "admin"))  # fmt: skip
    assert status < 300, (status, answer)
    return answer


def row(page: Page, dag_id: str) -> Locator:
    return page.locator(f'tr[data-dag-id="{dag_id}"]')

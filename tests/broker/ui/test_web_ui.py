"""The web UI (`/ui/`) in a real headless Chromium (Debian's, driven by Playwright), against a
real broker process and a real DAG app process on SQLite (the API behind the pages is tested on
SQLite and PostgreSQL in tests/broker/api). One broker and app for the module; each
test has its own browser context (its own sessionStorage, so its own login; the browser and
page fixtures are in conftest.py).
"""

from __future__ import annotations

import json
import re
import urllib.parse
from collections.abc import Iterator
from http.client import HTTPConnection, HTTPResponse

import pytest
from playwright.sync_api import Page, expect
from runtime.app.conftest import System

from broker.support import http
from broker.ui.conftest import api, log_in, row, ui_system

HELLO = "ui_hello"
OTHER = "ui_other"
TRIES = "ui_tries"
PRINTED = "hello from <script>window.pwned = 1</script> the task"

DAG_FILE = f'''
import datetime
import os
import time

import pendulum
from riir_airflow.sdk import DAG, Param, task

with DAG("{HELLO}", schedule=None, start_date=pendulum.datetime(2024, 1, 1, tz="UTC"),
         tags=["<b>x</b>", "team"], description="<i>described</i>",
         params={{"n": Param(1, type="integer")}}):
    @task
    def hello():
        print({PRINTED!r})

    @task
    def after():
        print("after")

    @task
    def double(x):
        print(f"doubled {{x * 2}}")

    hello() >> after()
    double.expand(x=[1, 2])

with DAG("{TRIES}", schedule=None, start_date=pendulum.datetime(2024, 1, 1, tz="UTC")):
    @task(retries=1, retry_delay=datetime.timedelta(0))
    def flaky():
        marker = os.path.join(os.environ["AIRFLOW_HOME"], "flaky-failed-once")
        if not os.path.exists(marker):
            open(marker, "w").close()
            raise RuntimeError("the first try fails")
        print("the second try succeeds")

    @task
    def waiting():
        print("waiting for the sentinel")
        while not os.path.exists(os.path.join(os.environ["AIRFLOW_HOME"], "sentinel")):
            time.sleep(0.05)
        print("sentinel seen")

    flaky()
    waiting()

with DAG("{OTHER}", schedule=None, start_date=pendulum.datetime(2024, 1, 1, tz="UTC")):
    @task
    def noop():
        pass

    noop()
'''


@pytest.fixture(scope="module")
def system(tmp_path_factory: pytest.TempPathFactory) -> Iterator[System]:
    """A broker on SQLite with the app of one good DAG file (two DAGs) and one broken file's
    import error (its app exits 2 after reporting it)."""
    with ui_system(tmp_path_factory.mktemp("ui")) as system:
        broken = system.start_app(system.write_dag("broken", "raise RuntimeError('<b>boom</b> at import')\n"))
        system.start_app(system.write_dag("ui_dags", DAG_FILE), wait_for=HELLO)
        assert broken.wait(60) == 2, broken.text()
        yield system


# ---- the static files ----------------------------------------------------------------------


def get(system: System, path: str, headers: dict[str, str] | None = None) -> HTTPResponse:
    conn = HTTPConnection("127.0.0.1", system.broker.port, timeout=10)
    conn.request("GET", path, headers=headers or {})
    response = conn.getresponse()
    response.read()
    conn.close()
    return response


def test_the_root_redirects_to_the_ui_whose_files_need_no_login_and_are_revalidated(system: System) -> None:
    for path in ("/", "/ui"):
        response = get(system, path)
        assert response.status == 307
        assert urllib.parse.urljoin(f"http://x{path}", response.getheader("location")) == "http://x/ui/"
    for path, kind in (
        ("/ui/", "text/html"), ("/ui/app.js", "text/javascript"), ("/ui/actions.js", "text/javascript"),
        ("/ui/app.css", "text/css"),
    ):  # fmt: skip
        response = get(system, path)
        assert response.status == 200, path
        assert response.getheader("content-type").startswith(kind)
        assert response.getheader("cache-control") == "no-cache"
        assert get(system, path, {"If-None-Match": response.getheader("etag")}).status == 304
    assert get(system, "/ui/secret.py").status == 404
    status, spec = http("GET", f"{system.broker.url}/openapi.json")
    assert status == 200 and not [p for p in spec["paths"] if p == "/" or p.startswith("/ui")]


# ---- login ---------------------------------------------------------------------------------


def test_a_wrong_password_shows_the_error_and_no_data(page: Page) -> None:
    log_in(page, "admin", "wrong")
    expect(page.get_by_role("alert")).to_have_text("Invalid credentials")
    expect(page.get_by_label("Username")).to_be_visible()
    assert page.locator("table").count() == 0
    assert page.evaluate("sessionStorage.length") == 0


def test_a_login_lists_the_dags_and_logging_out_forgets_the_token(page: Page) -> None:
    log_in(page)
    expect(page.get_by_role("link", name=HELLO, exact=True)).to_be_visible()
    expect(page.get_by_role("link", name=OTHER, exact=True)).to_be_visible()
    page.get_by_role("button", name="Log out").click()
    expect(page.get_by_label("Username")).to_be_visible()
    page.reload()
    expect(page.get_by_label("Username")).to_be_visible()
    assert page.locator("table").count() == 0


def test_an_answer_401_goes_back_to_the_login_form(page: Page) -> None:
    log_in(page)
    expect(page.get_by_role("link", name=HELLO, exact=True)).to_be_visible()
    page.evaluate("sessionStorage.setItem('riir-airflow.token', 'not-a-jwt')")
    page.goto(f"/ui/#/dags/{HELLO}")
    expect(page.get_by_role("alert")).to_contain_text("log in again")
    expect(page.get_by_label("Username")).to_be_visible()
    assert page.evaluate("sessionStorage.getItem('riir-airflow.token')") is None


# ---- the DAG list ----------------------------------------------------------------------------


def test_the_dag_list_shows_a_broken_files_import_error(page: Page, system: System) -> None:
    log_in(page)
    errors = page.get_by_role("region", name="Import errors")
    expect(errors).to_contain_text(str(system.dags / "broken.py"))
    expect(errors).to_contain_text("RuntimeError: <b>boom</b> at import")


def test_values_with_html_in_them_are_shown_as_text_not_markup(page: Page) -> None:
    log_in(page)
    hello = row(page, HELLO)
    expect(hello.get_by_text("<b>x</b>", exact=True)).to_be_visible()
    expect(hello.get_by_text("<i>described</i>", exact=True)).to_be_visible()
    expect(hello.locator(".tag")).to_have_text(["<b>x</b>", "team"])
    assert page.locator("main b, main i").count() == 0


def test_the_paused_toggle_pauses_and_unpauses_the_dag(page: Page, system: System) -> None:
    log_in(page)
    toggle = page.get_by_label(f"{OTHER} paused")
    expect(toggle).not_to_be_checked()
    toggle.check()
    expect(toggle).to_be_enabled()
    assert api(system, "GET", f"dags/{OTHER}")["is_paused"] is True
    page.reload()
    expect(page.get_by_label(f"{OTHER} paused")).to_be_checked()
    page.get_by_label(f"{OTHER} paused").uncheck()
    expect(page.get_by_label(f"{OTHER} paused")).to_be_enabled()
    assert api(system, "GET", f"dags/{OTHER}")["is_paused"] is False


def test_a_refused_trigger_shows_the_apis_error_and_triggers_nothing(page: Page, system: System) -> None:
    log_in(page, "viewer", "viewer")  # viewers read; triggering needs the user role (403)
    row(page, OTHER).get_by_role("button", name="Trigger").click()  # the form is one at a time
    row(page, HELLO).get_by_role("button", name="Trigger").click()
    form = page.get_by_role("form", name=f"Trigger {HELLO}")
    form.get_by_label("Configuration JSON").fill("[1, 2]")
    form.get_by_role("button", name="Trigger run").click()
    expect(form.get_by_role("alert")).to_have_text("The configuration must be a JSON object.")
    before = api(system, "GET", f"dags/{HELLO}/dagRuns")["total_entries"]
    form.get_by_label("Configuration JSON").fill(json.dumps({"n": 2}))
    form.get_by_role("button", name="Trigger run").click()
    expect(form.get_by_role("alert")).to_have_text(
        "403: Forbidden: this needs the user role or higher; you are viewer"
    )
    assert api(system, "GET", f"dags/{HELLO}/dagRuns")["total_entries"] == before


# ---- runs: trigger, grid, run page, task instance page ----------------------------------------


def test_a_run_triggered_from_the_ui_shows_up_and_its_grid_cells_turn_success(
    page: Page, system: System
) -> None:
    log_in(page)
    row(page, HELLO).get_by_role("button", name="Trigger").click()
    form = page.get_by_role("form", name=f"Trigger {HELLO}")
    form.get_by_label("Configuration JSON").fill('{"n": 7}')
    form.get_by_role("button", name="Trigger run").click()
    expect(page).to_have_url(f"{system.broker.url}/ui/#/dags/{HELLO}")
    runs = api(system, "GET", f"dags/{HELLO}/dagRuns?order_by=-run_after&limit=1")["dag_runs"]
    run_id = runs[0]["dag_run_id"]
    assert runs[0]["conf"] == {"n": 7} and runs[0]["run_type"] == "manual"
    # As Airflow's trigger form: a logical date (now) unless emptied, so {{ ds }} renders.
    assert runs[0]["logical_date"] is not None and runs[0]["triggered_by"] == "ui"
    # The page refreshes itself while the run is active: both cells end up success.
    for task_id in ("hello", "after", "double"):  # double: its 2 mapped instances in one cell
        cell = page.locator(f'a.cell[data-task="{task_id}"][data-run="{run_id}"]')
        expect(cell).to_have_attribute("data-state", "success", timeout=45_000)
        expect(cell).to_have_css("background-color", "rgb(0, 128, 0)")  # Airflow's success green
    expect(page.locator(".grid tbody td:first-child")).to_have_text(
        ["double", "hello", "after"]
    )  # upstream first
    run_row = page.locator(f'tr[data-run-id="{run_id}"]')
    expect(run_row.locator(".state")).to_have_text("success")
    expect(run_row).to_contain_text("manual")
    # A DAG without a description shows none (not the text "null").
    page.goto(f"/ui/#/dags/{TRIES}")
    expect(page.get_by_role("heading", name=TRIES)).to_be_visible()
    expect(page.locator("main")).not_to_contain_text("null")


def test_the_run_and_task_instance_pages_show_states_and_the_printed_log_line_as_text(
    page: Page, system: System
) -> None:
    run = api(system, "POST", f"dags/{HELLO}/dagRuns", {"logical_date": None})
    run_id = run["dag_run_id"]
    system.finished_run(HELLO, run_id)
    log_in(page)
    expect(page.get_by_role("link", name=HELLO, exact=True)).to_be_visible()
    page.goto(f"/ui/#/dags/{HELLO}/runs/{urllib.parse.quote(run_id, safe='')}")
    expect(page.locator('tr[data-task="hello"] .state')).to_have_text("success")
    expect(page.locator('tr[data-task="after"] .state')).to_have_text("success")
    # Only the state badge is coloured, not the whole row (links on green were unreadable).
    expect(page.locator('tr[data-task="hello"]')).not_to_have_css("background-color", "rgb(0, 128, 0)")
    page.locator('tr[data-task="hello"]').get_by_role("link", name="hello").click()
    expect(page.get_by_role("heading", name="hello")).to_be_visible()
    expect(page.get_by_label("Log")).to_contain_text(PRINTED)
    expect(page.get_by_label("Try")).to_have_value("1")
    assert page.locator("main script").count() == 0
    assert page.evaluate("window.pwned") is None
    page.get_by_role("link", name=run_id).first.click()
    expect(page.locator('tr[data-task="double"]')).to_have_count(2)
    page.get_by_role("link", name="double [1]").click()
    expect(page).to_have_url(re.compile(r"/tasks/double\?map_index=1$"))
    expect(page.get_by_label("Log")).to_contain_text("doubled 4")


def test_the_task_instance_page_follows_a_running_try_and_selects_earlier_tries(
    page: Page, system: System
) -> None:
    run_id = api(system, "POST", f"dags/{TRIES}/dagRuns", {"logical_date": None})["dag_run_id"]
    system.wait(lambda: system.states(TRIES, run_id).get("waiting") == "running", what="waiting running")
    log_in(page)
    expect(page.get_by_role("link", name=HELLO, exact=True)).to_be_visible()
    page.goto(f"/ui/#/dags/{TRIES}/runs/{urllib.parse.quote(run_id, safe='')}/tasks/waiting")
    log = page.get_by_label("Log")
    expect(log).to_contain_text("waiting for the sentinel")
    (system.home / "sentinel").touch()
    expect(log).to_contain_text("sentinel seen")  # the page refreshed on its own, appending
    expect(page.locator("main .state")).to_have_text("success")
    assert log.inner_text().count("waiting for the sentinel") == 1
    system.finished_run(TRIES, run_id)
    page.goto(f"/ui/#/dags/{TRIES}/runs/{urllib.parse.quote(run_id, safe='')}/tasks/flaky")
    expect(page.get_by_label("Try")).to_have_value("2")
    expect(log).to_contain_text("the second try succeeds")
    page.get_by_label("Try").select_option("1")
    expect(page).to_have_url(re.compile(r"tasks/flaky\?try=1$"))
    expect(log).to_contain_text("RuntimeError: the first try fails")
    expect(log).not_to_contain_text("the second try succeeds")

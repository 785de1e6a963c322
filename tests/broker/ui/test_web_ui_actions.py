"""The web UI's actions (clear, mark success/failed on a run and on a task instance) and the DAG
list's filters, in headless Chromium against a real broker and DAG app process on SQLite, as
test_web_ui.py (whose browser and page fixtures these tests reuse). This module has a broker and
app of its own: its tests change states, and test_web_ui.py's tests read them."""

from __future__ import annotations

import re
import urllib.parse
from collections.abc import Iterator

import pytest
from playwright.sync_api import Page, expect
from runtime.app.conftest import System

from broker.ui.conftest import api, log_in, row, ui_system

ACT = "ui_act"
IDLE = "ui_act_idle"

DAG_FILE = f'''
import pendulum
from riir_airflow.sdk import DAG, task

with DAG("{ACT}", schedule=None, start_date=pendulum.datetime(2024, 1, 1, tz="UTC")):
    @task
    def first():
        print("first runs")

    @task
    def second():
        print("second runs")

    @task
    def double(x):
        print(f"doubled {{x * 2}}")

    first() >> second()
    double.expand(x=[1, 2])

with DAG("{IDLE}", schedule=None, start_date=pendulum.datetime(2024, 1, 1, tz="UTC")):
    @task
    def idle():
        pass

    idle()
'''


@pytest.fixture(scope="module")
def system(tmp_path_factory: pytest.TempPathFactory) -> Iterator[System]:
    """A broker on SQLite (users admin and viewer) with the app of one DAG file (two DAGs)."""
    with ui_system(tmp_path_factory.mktemp("ui-actions")) as system:
        system.start_app(system.write_dag("ui_actions", DAG_FILE), wait_for=ACT)
        yield system


def finished_run(system: System) -> str:
    """The run id of a new run of ACT, once it finished (every task instance success)."""
    run_id = api(system, "POST", f"dags/{ACT}/dagRuns", {"logical_date": None})["dag_run_id"]
    assert system.finished_run(ACT, run_id).state.value == "success"
    return run_id


def run_url(run_id: str) -> str:
    return f"/ui/#/dags/{ACT}/runs/{urllib.parse.quote(run_id, safe='')}"


def instances(system: System, run_id: str) -> dict[str, dict]:
    """The run's task instances by name (`task` or `task[i]`), as the API serves them."""
    found = api(system, "GET", f"dags/{ACT}/dagRuns/{urllib.parse.quote(run_id, safe='')}/taskInstances")
    return {
        (ti["task_id"] if ti["map_index"] < 0 else f"{ti['task_id']}[{ti['map_index']}]"): ti
        for ti in found["task_instances"]
    }


def open_logged_in(page: Page, url: str, username: str = "admin") -> None:
    log_in(page, username, username)
    expect(page.get_by_role("link", name=ACT, exact=True)).to_be_visible()
    page.goto(url)


# ---- a run's actions ------------------------------------------------------------------------


def test_clearing_a_finished_run_from_its_page_runs_its_task_instances_again_to_success(
    page: Page, system: System
) -> None:
    run_id = finished_run(system)
    open_logged_in(page, run_url(run_id))
    expect(page.locator('tr[data-task="second"] .state')).to_have_text("success")
    page.get_by_role("group", name="Run actions").get_by_role("button", name="Clear").click()
    dialog = page.get_by_role("dialog", name="Confirm clear")
    expect(dialog).to_contain_text("Clear 4 task instances? They run again.")  # first, second, double x2
    dialog.get_by_role("button", name="Confirm clear").click()
    # The page refreshes (the run is queued again) and follows the run until it is done again.
    second = page.locator('tr[data-task="second"]')
    expect(second.locator("td").nth(2)).to_have_text("2", timeout=45_000)
    expect(second.locator(".state")).to_have_text("success", timeout=45_000)
    expect(page.locator("dl.details .state")).to_have_text("success")
    tis = instances(system, run_id)
    assert {name: (ti["state"], ti["try_number"]) for name, ti in tis.items()} == {
        name: ("success", 2) for name in ("first", "second", "double[0]", "double[1]")
    }
    assert (
        api(system, "GET", f"dags/{ACT}/dagRuns/{urllib.parse.quote(run_id, safe='')}")["state"] == "success"
    )


def test_marking_a_run_failed_from_its_page_changes_its_state(page: Page, system: System) -> None:
    run_id = finished_run(system)
    open_logged_in(page, run_url(run_id))
    expect(page.locator("dl.details .state")).to_have_text("success")
    page.get_by_role("group", name="Run actions").get_by_role("button", name="Mark failed").click()
    expect(page.locator("dl.details .state")).to_have_text("failed")
    assert (
        api(system, "GET", f"dags/{ACT}/dagRuns/{urllib.parse.quote(run_id, safe='')}")["state"] == "failed"
    )


def test_a_viewer_clearing_a_run_sees_the_apis_403_and_nothing_is_cleared(page: Page, system: System) -> None:
    run_id = finished_run(system)
    open_logged_in(page, run_url(run_id), "viewer")
    page.get_by_role("group", name="Run actions").get_by_role("button", name="Clear").click()
    expect(page.get_by_role("alert")).to_have_text(
        "403: Forbidden: this needs the user role or higher; you are viewer"
    )
    expect(page.get_by_role("dialog")).to_have_count(0)
    assert {ti["try_number"] for ti in instances(system, run_id).values()} == {1}


# ---- a task instance's actions --------------------------------------------------------------


def test_marking_a_task_instance_failed_from_its_page_changes_its_state_and_the_run_page_shows_the_apis(
    page: Page, system: System
) -> None:
    run_id = finished_run(system)
    open_logged_in(page, f"{run_url(run_id)}/tasks/second")
    state = page.locator("dl.details .state")
    expect(state).to_have_text("success")
    page.get_by_role("group", name="Task instance actions").get_by_role("button", name="Mark failed").click()
    expect(state).to_have_text("failed")
    assert instances(system, run_id)["second"]["state"] == "failed"
    # As Airflow, marking a finished run's last task failed leaves the run's own state as it
    # was; the run page shows the run and its task instance as the API serves them.
    page.get_by_role("link", name=run_id).first.click()
    expect(page.locator('tr[data-task="second"] .state')).to_have_text("failed")
    run = api(system, "GET", f"dags/{ACT}/dagRuns/{urllib.parse.quote(run_id, safe='')}")
    expect(page.locator("dl.details .state")).to_have_text(run["state"])


def test_marking_a_success_task_instance_success_again_shows_the_apis_409(page: Page, system: System) -> None:
    run_id = finished_run(system)
    open_logged_in(page, f"{run_url(run_id)}/tasks/first")
    expect(page.locator("dl.details .state")).to_have_text("success")
    page.get_by_role("group", name="Task instance actions").get_by_role("button", name="Mark success").click()
    expect(page.get_by_role("alert")).to_have_text("409: Task id first is already in success state")
    expect(page.locator("dl.details .state")).to_have_text("success")


def test_marking_a_mapped_task_instance_failed_changes_only_its_map_index(page: Page, system: System) -> None:
    run_id = finished_run(system)
    open_logged_in(page, f"{run_url(run_id)}/tasks/double?map_index=1")
    expect(page.get_by_role("heading", name="double [1]")).to_be_visible()
    page.get_by_role("group", name="Task instance actions").get_by_role("button", name="Mark failed").click()
    expect(page.locator("dl.details .state")).to_have_text("failed")
    tis = instances(system, run_id)
    assert (tis["double[0]"]["state"], tis["double[1]"]["state"]) == ("success", "failed")


def test_clearing_a_task_instance_asks_with_the_count_its_options_select_and_runs_it_again(
    page: Page, system: System
) -> None:
    run_id = finished_run(system)
    open_logged_in(page, f"{run_url(run_id)}/tasks/double?map_index=1")
    actions = page.get_by_role("group", name="Task instance actions")
    actions.get_by_role("button", name="Clear").click()
    dialog = page.get_by_role("dialog", name="Confirm clear")
    expect(dialog).to_contain_text("Clear 1 task instance? It runs again.")
    expect(dialog.get_by_role("listitem")).to_have_text(["double [1] (success)"])
    dialog.get_by_role("button", name="Cancel").click()
    expect(dialog).to_have_count(0)

    page.goto(f"{run_url(run_id)}/tasks/first")
    expect(page.get_by_role("heading", name="first")).to_be_visible()
    actions.get_by_label("downstream").check()  # off by default: first and second
    actions.get_by_role("button", name="Clear").click()
    expect(dialog.get_by_role("listitem")).to_have_text(["first (success)", "second (success)"])
    actions.get_by_label("downstream").uncheck()  # an option changed: the question goes
    expect(dialog).to_have_count(0)
    actions.get_by_role("button", name="Clear").click()
    expect(dialog.get_by_role("listitem")).to_have_text(["first (success)"])
    dialog.get_by_role("button", name="Confirm clear").click()
    expect(page.get_by_label("Try")).to_have_value("2", timeout=45_000)  # the page shows the new try
    expect(page.get_by_label("Log")).to_contain_text("first runs", timeout=45_000)
    expect(page.locator("dl.details .state")).to_have_text("success", timeout=45_000)
    system.finished_run(ACT, run_id)
    tis = instances(system, run_id)
    assert (tis["first"]["state"], tis["first"]["try_number"]) == ("success", 2)
    assert (tis["second"]["state"], tis["second"]["try_number"]) == ("success", 1)


# ---- the DAG list's filters -----------------------------------------------------------------


def test_the_search_box_narrows_the_dag_list_and_a_reload_keeps_it(page: Page, system: System) -> None:
    log_in(page)
    expect(row(page, ACT)).to_be_visible()
    expect(row(page, IDLE)).to_be_visible()
    page.get_by_label("Search DAGs").fill("IDLE")  # the API's dag_id_pattern: any case, a part
    expect(row(page, ACT)).to_have_count(0)
    expect(row(page, IDLE)).to_be_visible()
    expect(page).to_have_url(re.compile(r"#/dags\?search=IDLE$"))
    page.reload()
    expect(page.get_by_label("Search DAGs")).to_have_value("IDLE")
    expect(row(page, IDLE)).to_be_visible()
    expect(row(page, ACT)).to_have_count(0)
    page.get_by_label("Search DAGs").fill("no such dag")
    expect(page.get_by_text("No DAG matches the filters.")).to_be_visible()


def test_the_paused_filter_lists_paused_or_active_dags_and_a_reload_keeps_it(
    page: Page, system: System
) -> None:
    api(system, "PATCH", f"dags/{IDLE}", {"is_paused": True})
    try:
        log_in(page)
        expect(row(page, ACT)).to_be_visible()
        page.get_by_label("Show").select_option("paused")
        expect(row(page, ACT)).to_have_count(0)
        expect(row(page, IDLE)).to_be_visible()
        expect(page).to_have_url(re.compile(r"#/dags\?paused=true$"))
        page.reload()
        expect(page.get_by_label("Show")).to_have_value("true")
        expect(row(page, IDLE)).to_be_visible()
        expect(row(page, ACT)).to_have_count(0)
        page.get_by_label("Show").select_option("active")
        expect(row(page, ACT)).to_be_visible()
        expect(row(page, IDLE)).to_have_count(0)
        page.get_by_label("Show").select_option("all")
        expect(row(page, IDLE)).to_be_visible()
        expect(page).to_have_url(re.compile(r"#/dags$"))
    finally:
        api(system, "PATCH", f"dags/{IDLE}", {"is_paused": False})

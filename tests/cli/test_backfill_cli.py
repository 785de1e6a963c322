"""Scheduling over time from the CLI, in subprocesses with a fresh AIRFLOW_HOME:
`dags next-execution` (DESIGN.md contract), `dags backfill`, `dags list-runs`, `tasks clear`,
and `dags test` chained over several dates. "Now" is pinned with the hidden `--now`."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path
from typing import Any

import pytest

NOW = "2024-01-05T12:00:00+00:00"

DAGS = """\
import pendulum
from riir_airflow.sdk import DAG, task
from riir_airflow.providers.standard.operators.empty import EmptyOperator
from riir_airflow.sdk.timetables import CronDataIntervalTimetable

START = pendulum.datetime(2024, 1, 1, tz="UTC")

with DAG("catching_up", schedule="@daily", start_date=START, catchup=True):
    EmptyOperator(task_id="t")

with DAG("not_catching_up", schedule=CronDataIntervalTimetable("@daily", "UTC"), start_date=START, catchup=False):
    EmptyOperator(task_id="t")

with DAG("ending", schedule="@daily", start_date=START, end_date=pendulum.datetime(2024, 1, 2, tz="UTC"), catchup=True):
    EmptyOperator(task_id="t")

with DAG("manual_only", schedule=None, start_date=START):
    EmptyOperator(task_id="t")
"""

PIPELINE = """\
import pendulum
from riir_airflow.sdk import DAG, task

FAIL_ON = {FAIL_ON!r}

with DAG("pipeline", schedule="@daily", start_date=pendulum.datetime(2024, 1, 1, tz="UTC"), catchup={CATCHUP!r}):
    @task(depends_on_past={DEPENDS_ON_PAST!r})
    def extract(ds=None):
        if ds in FAIL_ON:
            raise RuntimeError("extract fails on " + ds)
        return ds

    @task
    def load(value):
        return value

    load(extract())
"""


def _write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(textwrap.dedent(text))
    return path


def _last_json(proc: Any) -> Any:
    lines = [ln for ln in proc.stdout.splitlines() if ln.strip()]
    assert lines, f"no stdout (rc={proc.returncode}); stderr:\n{proc.stderr[-3000:]}"
    return json.loads(lines[-1])


def _pipeline(
    tmp_path: Path, fail_on: tuple[str, ...] = (), depends_on_past: bool = False, catchup: bool = True
) -> Path:
    text = (
        PIPELINE.replace("{FAIL_ON!r}", repr(set(fail_on)))
        .replace("{DEPENDS_ON_PAST!r}", repr(depends_on_past))
        .replace("{CATCHUP!r}", repr(catchup))
    )
    return _write(tmp_path, "pipeline.py", text)


def _runs(cli: Any, path: Path, *extra: str) -> list[dict[str, str]]:
    proc = cli("dags", "list-runs", str(path), "-o", "json", *extra)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return _last_json(proc)


# -- next-execution ----------------------------------------------------------------------------------
def test_next_execution_json_on_a_fresh_home_gives_the_first_runs_of_every_dag_in_the_file(
    cli, tmp_path
) -> None:
    path = _write(tmp_path, "dags.py", DAGS)
    proc = cli("dags", "next-execution", str(path), "-n", "3", "--output", "json", "--now", NOW)
    assert proc.returncode == 0, proc.stderr[-3000:]
    report = _last_json(proc)
    assert sorted(report) == ["catching_up", "ending", "manual_only", "not_catching_up"]
    assert report["catching_up"] == [
        {
            "logical_date": f"2024-01-0{d}T00:00:00+00:00",
            "data_interval_start": f"2024-01-0{d}T00:00:00+00:00",
            "data_interval_end": f"2024-01-0{d}T00:00:00+00:00",
            "run_after": f"2024-01-0{d}T00:00:00+00:00",
        }
        for d in (1, 2, 3)
    ]
    assert [(r["data_interval_start"], r["run_after"]) for r in report["not_catching_up"]] == [
        ("2024-01-04T00:00:00+00:00", "2024-01-05T00:00:00+00:00"),
        ("2024-01-05T00:00:00+00:00", "2024-01-06T00:00:00+00:00"),
        ("2024-01-06T00:00:00+00:00", "2024-01-07T00:00:00+00:00"),
    ]
    assert [r["logical_date"] for r in report["ending"]] == [
        "2024-01-01T00:00:00+00:00",
        "2024-01-02T00:00:00+00:00",
    ]
    assert report["manual_only"] == []


def test_next_execution_continues_from_the_history_in_the_store(cli, tmp_path) -> None:
    path = _write(tmp_path, "dags.py", DAGS)
    proc = cli(
        "dags",
        "backfill",
        str(path),
        "--dag-id",
        "catching_up",
        "-s",
        "2024-01-01",
        "-e",
        "2024-01-03",
        "--now",
        NOW,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    proc = cli(
        "dags",
        "next-execution",
        str(path),
        "--dag-id",
        "catching_up",
        "-n",
        "2",
        "--output",
        "json",
        "--now",
        NOW,
    )
    assert [r["logical_date"] for r in _last_json(proc)["catching_up"]] == [
        "2024-01-04T00:00:00+00:00",
        "2024-01-05T00:00:00+00:00",
    ]
    text = cli("dags", "next-execution", str(path), "--dag-id", "catching_up", "--now", NOW)
    assert text.stdout.strip() == "2024-01-04T00:00:00+00:00"


# -- backfill and list-runs -----------------------------------------------------------------------------------
def test_backfill_runs_every_date_in_order_and_list_runs_shows_them_newest_first(cli, tmp_path) -> None:
    path = _pipeline(tmp_path)
    dry = cli(
        "dags",
        "backfill",
        str(path),
        "-s",
        "2024-01-01",
        "-e",
        "2024-01-03",
        "--dry-run",
        "-o",
        "json",
        "--now",
        NOW,
    )
    assert dry.returncode == 0, dry.stderr[-3000:]
    assert [r["action"] for r in _last_json(dry)] == ["create"] * 3
    assert _runs(cli, path) == []
    proc = cli(
        "dags",
        "backfill",
        str(path),
        "--start-date",
        "2024-01-01",
        "--end-date",
        "2024-01-03",
        "-o",
        "json",
        "--now",
        NOW,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert [(r["run_id"], r["state"]) for r in _last_json(proc)] == [
        (f"backfill__2024-01-0{d}T00:00:00+00:00", "success") for d in (1, 2, 3)
    ]
    runs = _runs(cli, path)
    assert [r["logical_date"] for r in runs] == [f"2024-01-0{d}T00:00:00+00:00" for d in (3, 2, 1)]
    assert set(runs[0]) == {
        "dag_id",
        "run_id",
        "state",
        "run_after",
        "logical_date",
        "start_date",
        "end_date",
    }
    assert [r["logical_date"][:10] for r in _runs(cli, path, "-s", "2024-01-02", "-e", "2024-01-02")] == [
        "2024-01-02"
    ]
    assert _runs(cli, path, "--no-backfill") == []
    assert len(_runs(cli, path, "--state", "success")) == 3


def test_backfill_with_a_failure_exits_1_and_reprocess_failed_runs_it_again(cli, tmp_path) -> None:
    path = _pipeline(tmp_path, fail_on=("2024-01-02",))
    proc = cli(
        "dags", "backfill", str(path), "-s", "2024-01-01", "-e", "2024-01-03", "-o", "json", "--now", NOW
    )
    assert proc.returncode == 1
    assert [r["state"] for r in _last_json(proc)] == ["success", "failed", "success"]
    path = _pipeline(tmp_path)  # fixed
    again = cli(
        "dags", "backfill", str(path), "-s", "2024-01-01", "-e", "2024-01-03", "--reprocess-behavior", "failed",
        "-o", "json", "--now", NOW,
    )  # fmt: skip
    assert again.returncode == 0, again.stderr[-3000:]
    assert [(r["action"], r["state"]) for r in _last_json(again)] == [
        ("already exists", "already exists"),
        ("reprocess", "success"),
        ("already exists", "already exists"),
    ]


def test_backfill_with_depends_on_past_leaves_later_runs_waiting(cli, tmp_path) -> None:
    path = _pipeline(tmp_path, fail_on=("2024-01-02",), depends_on_past=True)
    refused = cli("dags", "backfill", str(path), "-s", "2024-01-01", "-e", "2024-01-04", "--now", NOW)
    assert refused.returncode == 1 and "reprocess behavior" in refused.stderr
    proc = cli(
        "dags", "backfill", str(path), "-s", "2024-01-01", "-e", "2024-01-04", "--reprocess-behavior", "completed",
        "--max-active-runs", "1", "-o", "json", "--now", NOW,
    )  # fmt: skip
    assert proc.returncode == 1
    assert [r["state"] for r in _last_json(proc)] == ["success", "failed", "running", "queued"]
    assert "extract waits" in proc.stderr


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["-s", "2024-01-03", "-e", "2024-01-01"], "must not be after"),
        (["-s", "2030-01-01", "-e", "2030-01-02"], "future dates"),
        (["-s", "yesterday", "-e", "2024-01-02"], "Invalid logical date"),
    ],
)
def test_backfill_bad_requests_are_errors_without_traceback(
    cli, tmp_path, args: list[str], message: str
) -> None:
    path = _pipeline(tmp_path)
    proc = cli("dags", "backfill", str(path), *args, "--now", NOW)
    assert proc.returncode == 1
    assert message in proc.stderr and "Traceback" not in proc.stderr


def test_backfill_of_an_unscheduled_dag_is_refused(cli, tmp_path) -> None:
    path = _write(tmp_path, "dags.py", DAGS)
    proc = cli(
        "dags", "backfill", str(path), "--dag-id", "manual_only", "-s", "2024-01-01", "-e", "2024-01-02"
    )
    assert proc.returncode == 1 and "non-periodic" in proc.stderr


# -- tasks clear ------------------------------------------------------------------------------------------------
def test_tasks_clear_resets_chosen_instances_keeps_tries_and_run_runs_them_again(cli, tmp_path) -> None:
    path = _pipeline(tmp_path, fail_on=("2024-01-02",))
    cli("dags", "backfill", str(path), "-s", "2024-01-01", "-e", "2024-01-03", "--now", NOW)
    asked = cli("tasks", "clear", str(path), "--only-failed", input="n\n")
    assert "You are about to delete these 2 tasks" in asked.stdout and "Cancelled" in asked.stdout
    _pipeline(tmp_path)  # fixed
    proc = cli(
        "tasks",
        "clear",
        str(path),
        "-t",
        "^extract$",
        "-d",
        "-s",
        "2024-01-02",
        "-e",
        "2024-01-02",
        "-y",
        "--run",
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "Cleared 2 task instance(s) in 1 run(s)." in proc.stdout
    runs = {r["logical_date"][:10]: r["state"] for r in _runs(cli, path)}
    assert runs == {"2024-01-01": "success", "2024-01-02": "success", "2024-01-03": "success"}


def test_tasks_clear_without_run_queues_the_run_and_a_backfill_resumes_it(cli, tmp_path) -> None:
    path = _pipeline(tmp_path)
    cli("dags", "backfill", str(path), "-s", "2024-01-01", "-e", "2024-01-01", "--now", NOW)
    proc = cli("tasks", "clear", str(path), "-t", "load", "-y")
    assert "Cleared 1 task instance(s)" in proc.stdout
    assert [r["state"] for r in _runs(cli, path)] == ["queued"]
    resumed = cli(
        "dags", "backfill", str(path), "-s", "2024-01-01", "-e", "2024-01-01", "-o", "json", "--now", NOW
    )
    assert [(r["action"], r["state"]) for r in _last_json(resumed)] == [("in flight", "success")]


# -- dags test over several dates -----------------------------------------------------------------------------------
@pytest.mark.parametrize(("catchup", "day3"), [(False, "none"), (True, "success")])
def test_dags_test_chained_over_dates_builds_history_that_depends_on_past_reads(
    cli, tmp_path, catchup: bool, day3: str
) -> None:
    """Without catchup the previous run is the previous run of any type, so day 3 waits for the
    failed day 2; with catchup only non-manual runs count, and `dags test` makes manual ones."""
    path = _pipeline(tmp_path, fail_on=("2024-01-02",), depends_on_past=True, catchup=catchup)
    states = []
    for d in ("2024-01-01", "2024-01-02", "2024-01-03"):
        proc = cli("dags", "test", str(path), d, "--output", "json")
        states.append(_last_json(proc)["tasks"]["extract"]["state"])
    assert states == ["success", "failed", day3]
    assert [r["logical_date"][:10] for r in _runs(cli, path)] == ["2024-01-03", "2024-01-02", "2024-01-01"]


def test_airflow_3_spelling_backfill_create_finds_the_dag_id_in_the_dags_folder(cli, tmp_path) -> None:
    path = _pipeline(tmp_path)
    proc = cli(
        "backfill", "create", "--dag-id", "pipeline", "--from-date", "2024-01-01", "--to-date", "2024-01-02",
        "-f", str(path), "-o", "json", "--now", NOW,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert [r["state"] for r in _last_json(proc)] == ["success", "success"]
    env = {"AIRFLOW__CORE__DAGS_FOLDER": str(tmp_path)}
    dry = cli("backfill", "create", "--dag-id", "pipeline", "--from-date", "2024-01-03", "--to-date", "2024-01-03",
              "--dry-run", "-o", "json", "--now", NOW, env=env)  # fmt: skip
    assert [r["run_id"] for r in _last_json(dry)] == ["backfill__2024-01-03T00:00:00+00:00"]

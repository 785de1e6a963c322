"""`/api/v2/backfills` through the official client, on SQLite and PostgreSQL: the broker plans a
backfill from the timetable the DAG's app registered (the engine's planner), creates its runs
queued, refuses what Airflow refuses, pauses, cancels and completes backfills. A real DAG app
running a backfill: tests/runtime/app/test_app_backfill.py."""

from __future__ import annotations

import json

import airflow_client.client as af
import pendulum
import pytest
from airflow_client.client.exceptions import ApiException

from riir_airflow.runtime.app.main import serialize_dag
from riir_airflow.sdk import DAG
from riir_airflow.sdk.state import DagRunState
from riir_airflow.sdk.timetables import Timetable

from ..conftest import T0, Broker
from .conftest import add_run, pending

DAY = pendulum.duration(days=1)


def register(broker: Broker, dag: DAG) -> None:
    """Register `dag` as its app would (its real serialization: timetable included)."""
    broker.registry.sync_dags(
        [serialize_dag(dag, f"/dags/{dag.dag_id}.py")], code_hash="h", now=broker.clock.now()
    )


def daily(dag_id: str = "bf", *, depends_on_past: bool = False, **kwargs: object) -> DAG:
    """A daily DAG of one task (`a`) starting 60 days before T0."""
    from riir_airflow.providers.standard.operators.empty import EmptyOperator

    kwargs.setdefault("schedule", "@daily")
    with DAG(dag_id, start_date=T0.subtract(days=60), **kwargs) as dag:  # type: ignore[arg-type]
        EmptyOperator(task_id="a", depends_on_past=depends_on_past)
    return dag


def body(from_day: int, to_day: int, dag_id: str = "bf", **kw: object) -> af.BackfillPostBody:
    """A backfill of `dag_id` between T0 - from_day days and T0 - to_day days."""
    return af.BackfillPostBody(
        dag_id=dag_id, from_date=T0.subtract(days=from_day), to_date=T0.subtract(days=to_day), **kw
    )


def backfill_runs(client: af.ApiClient, dag_id: str = "bf") -> dict[str, tuple[str, str]]:
    runs = af.DagRunApi(client).get_dag_runs(dag_id, run_type=["backfill"], limit=100).dag_runs
    return {r.logical_date.date().isoformat(): (r.run_type.value, r.state.value) for r in runs}


def refusal(call) -> tuple[int, object]:
    with pytest.raises(ApiException) as info:
        call()
    return info.value.status, json.loads(info.value.body)["detail"]


def test_create_backfill_queues_one_backfill_run_per_interval_and_tells_the_app(broker: Broker, api) -> None:
    register(broker, daily())
    client = api("user")
    made = af.BackfillApi(client).create_backfill(body(5, 3, dag_run_conf={"k": 1}, max_active_runs=2))
    assert (made.dag_id, made.is_paused, made.max_active_runs, made.completed_at) == ("bf", False, 2, None)
    assert (
        made.reprocess_behavior.value == "none"
        and made.dag_run_conf == {"k": 1}
        and made.dag_display_name == "bf"
    )
    assert backfill_runs(client) == {
        d: ("backfill", "queued") for d in ("2023-12-27", "2023-12-28", "2023-12-29")
    }
    run = af.DagRunApi(client).get_dag_run("bf", "backfill__2023-12-27T00:00:00+00:00")
    assert run.conf == {"k": 1} and run.triggered_by.value == "backfill"
    assert [c.kind.value for c in pending(broker, "bf")] == ["backfill"]
    events = af.EventLogApi(api()).get_event_logs(dag_id="bf", event="create_backfill").event_logs
    assert len(events) == 1 and events[0].owner == "user"
    assert af.BackfillApi(client).get_backfill(made.id) == made


def test_reprocess_behavior_decides_what_happens_to_dates_that_have_runs(broker: Broker, api) -> None:
    register(broker, daily())
    add_run(broker, "bf", "ok", day=-5, state="success", ti_states={"a": "success"})
    add_run(broker, "bf", "bad", day=-4, state="failed", ti_states={"a": "failed"})
    add_run(broker, "bf", "busy", day=-3, state="running", ti_states={"a": "running"})
    backfills = af.BackfillApi(api("user"))

    def dates(behavior: str) -> list[str]:
        dry = backfills.create_backfill_dry_run(body(5, 2, reprocess_behavior=behavior))
        assert dry.total_entries == len(dry.backfills)
        return [b.logical_date.date().isoformat() for b in dry.backfills]

    assert dates("none") == ["2023-12-30"]  # skips every date that has a run
    assert dates("failed") == ["2023-12-28", "2023-12-30"]  # runs the failed one again
    assert dates("completed") == [
        "2023-12-27",
        "2023-12-28",
        "2023-12-30",
    ]  # and the successful one; never a running one
    made = backfills.create_backfill(body(5, 2, reprocess_behavior="failed"))
    runs = {r.dag_run_id: r for r in af.DagRunApi(api()).get_dag_runs("bf").dag_runs}
    assert (runs["bad"].state.value, runs["bad"].run_type.value) == ("queued", "backfill")
    assert (runs["ok"].state.value, runs["ok"].run_type.value) == ("success", "scheduled")
    assert runs["busy"].state.value == "running"
    ti = af.TaskInstanceApi(api()).get_task_instance("bf", "bad", "a")
    assert ti.state is None  # cleared for its new try
    assert made.completed_at is None


def test_dry_run_lists_the_dates_in_backfill_order_and_writes_nothing(broker: Broker, api) -> None:
    register(broker, daily())
    backfills = af.BackfillApi(api("user"))
    dry = backfills.create_backfill_dry_run(body(4, 2, run_backwards=True))
    assert [b.logical_date.date().isoformat() for b in dry.backfills] == [
        "2023-12-30",
        "2023-12-29",
        "2023-12-28",
    ]
    assert backfills.list_backfills("bf").total_entries == 0 and backfill_runs(api()) == {}
    in_the_gap = af.BackfillPostBody(
        dag_id="bf", from_date=T0.subtract(hours=20), to_date=T0.subtract(hours=2)
    )
    assert backfills.create_backfill_dry_run(in_the_gap).total_entries == 0


def test_a_dag_has_one_active_backfill_at_a_time(broker: Broker, api) -> None:
    register(broker, daily())
    backfills = af.BackfillApi(api("user"))
    first = backfills.create_backfill(body(5, 3))
    assert refusal(lambda: backfills.create_backfill(body(10, 8))) == (
        409, "There is already a running backfill for dag bf"
    )  # fmt: skip
    backfills.cancel_backfill(first.id)
    second = backfills.create_backfill(body(10, 8))
    page = backfills.list_backfills("bf", order_by=["-id"])
    assert [b.id for b in page.backfills] == [second.id, first.id] and page.total_entries == 2
    assert [b.id for b in backfills.list_backfills("bf", limit=1, offset=1).backfills] == [second.id]
    assert backfills.list_backfills("other").total_entries == 0


def test_pause_unpause_and_cancel_a_backfill(broker: Broker, api) -> None:
    register(broker, daily())
    backfills = af.BackfillApi(api("user"))
    made = backfills.create_backfill(body(5, 3))
    assert backfills.pause_backfill(made.id).is_paused is True
    assert backfills.unpause_backfill(made.id).is_paused is False
    broker.store.update_dag_run("bf", "backfill__2023-12-27T00:00:00+00:00", state=DagRunState.RUNNING)
    cancelled = backfills.cancel_backfill(made.id)
    assert cancelled.is_paused is True and cancelled.completed_at is not None
    assert backfill_runs(api()) == {"2023-12-27": ("backfill", "running"), "2023-12-28": ("backfill", "failed"),
                                    "2023-12-29": ("backfill", "failed")}  # fmt: skip
    for change in (backfills.pause_backfill, backfills.unpause_backfill, backfills.cancel_backfill):
        assert refusal(lambda change=change: change(made.id)) == (409, "Backfill is already completed.")
    assert [c.kind.value for c in pending(broker, "bf")] == ["backfill"] * 4


def test_a_backfill_is_completed_when_all_its_runs_finished(broker: Broker, api) -> None:
    register(broker, daily())
    backfills = af.BackfillApi(api("user"))
    made = backfills.create_backfill(body(4, 3))
    ends = [T0.add(minutes=5), T0.add(minutes=9)]
    for run_id, end in zip(
        ("backfill__2023-12-28T00:00:00+00:00", "backfill__2023-12-29T00:00:00+00:00"), ends
    ):
        assert backfills.get_backfill(made.id).completed_at is None
        broker.store.update_dag_run("bf", run_id, state=DagRunState.SUCCESS, end_date=end)
    assert backfills.get_backfill(made.id).completed_at == ends[-1]
    assert backfills.create_backfill(body(10, 9)).completed_at is None  # the DAG is free again


class Fortnightly(Timetable):
    pass


@pytest.mark.parametrize(
    ("dag_kwargs", "request_kw", "status", "detail"),
    [
        ({}, {"from_day": 2, "to_day": 4}, 422, "must not be after to_date"),
        ({}, {"from_day": -2, "to_day": -4}, 422, "Backfill cannot be executed for future dates."),
        (
            {"depends_on_past": True},
            {"run_backwards": True, "reprocess_behavior": "failed"},
            422,
            "in reverse",
        ),
        ({"depends_on_past": True}, {}, 422, "You must set reprocess behavior"),
        ({"schedule": None}, {}, 422, "non-periodic schedule"),
        ({"allowed_run_types": ["manual"]}, {}, 400, "does not allow backfill runs"),
        ({"schedule": Fortnightly()}, {}, 400, "is not a built-in timetable"),
    ],
)
def test_requests_airflow_refuses_are_refused_with_its_status(
    broker: Broker, api, dag_kwargs: dict, request_kw: dict, status: int, detail: str
) -> None:
    register(broker, daily(**dag_kwargs))
    backfills = af.BackfillApi(api("user"))
    request_kw = dict(request_kw)
    days = (request_kw.pop("from_day", 5), request_kw.pop("to_day", 3))
    for call in (backfills.create_backfill, backfills.create_backfill_dry_run):
        code, message = refusal(lambda call=call: call(body(*days, **request_kw)))
        assert (code, detail in str(message)) == (status, True), message
    assert backfills.list_backfills("bf").total_entries == 0


def test_unknown_dag_or_backfill_is_404_and_viewers_cannot_create(broker: Broker, api) -> None:
    register(broker, daily())
    backfills = af.BackfillApi(api("user"))
    assert refusal(lambda: backfills.create_backfill(body(5, 3, dag_id="nope"))) == (
        404,
        "Could not find dag nope",
    )
    calls = (backfills.get_backfill, backfills.pause_backfill, backfills.unpause_backfill, backfills.cancel_backfill)
    for call in calls:
        assert refusal(lambda call=call: call(99)) == (404, "Backfill not found")
        assert refusal(lambda call=call: call(2**99)) == (404, "Backfill not found")  # beyond 64-bit ids
    viewer = af.BackfillApi(api("viewer"))
    assert refusal(lambda: viewer.create_backfill(body(5, 3)))[0] == 403
    assert viewer.list_backfills("bf").total_entries == 0

"""Task instances through the official client: listing (incl. `~`), batch, get, mapped, tries,
patch state (incl. dry run and downstream), clear, and the commands the app receives."""

from __future__ import annotations

import json

import airflow_client.client as af
import pytest
from airflow_client.client.exceptions import ApiException

from riir_airflow.sdk.state import TaskInstanceState
from riir_airflow.store.records import TaskInstanceRecord

from ..conftest import T0
from .conftest import add_run, pending, register_dag


def seed(broker):
    register_dag(broker, "d1", tasks=("a", "b", "c"))
    add_run(
        broker, "d1", "r1", state="failed", ti_states={"a": "success", "b": "failed", "c": "upstream_failed"}
    )
    add_run(broker, "d1", "r2", day=1, state="running", ti_states={"a": "running"})
    broker.store.put_task_instances([
        TaskInstanceRecord(dag_id="d1", run_id="r2", task_id="m", map_index=i, state=TaskInstanceState.SUCCESS,
                           try_number=1, operator="PythonOperator")
        for i in range(3)
    ])  # fmt: skip


def test_list_task_instances_of_a_run_and_across_runs(broker, api):
    seed(broker)
    tis = af.TaskInstanceApi(api("viewer"))
    run = tis.get_task_instances("d1", "r1", order_by=["task_id"])
    assert [(t.task_id, t.state.value) for t in run.task_instances] == [
        ("a", "success"), ("b", "failed"), ("c", "upstream_failed")]  # fmt: skip
    assert run.task_instances[0].duration == 60.0 and run.task_instances[0].dag_version.version_number == 1
    everything = tis.get_task_instances("~", "~", state=["failed", "running"], order_by=["run_id", "task_id"])
    assert [(t.dag_run_id, t.task_id) for t in everything.task_instances] == [("r1", "b"), ("r2", "a")]
    page = tis.get_task_instances("d1", "~", limit=2, offset=1, order_by=["run_id", "task_id", "map_index"])
    assert page.total_entries == 7 and [t.task_id for t in page.task_instances] == ["b", "c"]
    batch = tis.get_task_instances_batch("~", "~", af.TaskInstancesBatchBody(task_ids=["m"], page_limit=2))
    assert batch.total_entries == 3 and [t.map_index for t in batch.task_instances] == [0, 1]


def test_get_one_mapped_and_tries(broker, api):
    seed(broker)
    tis = af.TaskInstanceApi(api("viewer"))
    b = tis.get_task_instance("d1", "r1", "b")
    assert b.state.value == "failed" and b.try_number == 1 and str(b.id)
    with pytest.raises(ApiException) as err:
        tis.get_task_instance("d1", "r2", "m")
    assert err.value.status == 404 and "map_index" in json.loads(err.value.body)["detail"]
    assert tis.get_mapped_task_instance("d1", "r2", "m", 2).map_index == 2
    assert [t.map_index for t in tis.get_mapped_task_instances("d1", "r2", "m").task_instances] == [0, 1, 2]
    tries = tis.get_task_instance_tries("d1", "r1", "b")
    assert [t.try_number for t in tries.task_instances] == [1]
    assert tis.get_task_instance_try_details("d1", "r1", "b", 1).state.value == "failed"
    assert tis.get_mapped_task_instance_tries("d1", "r2", "m", 1).total_entries == 1


def test_patch_state_with_downstream_writes_it_and_queues_mark_state(broker, api):
    seed(broker)
    tis = af.TaskInstanceApi(api("user"))
    body = af.PatchTaskInstanceBody(new_state="success", include_downstream=True)
    preview = tis.patch_task_instance_dry_run("d1", "r1", "b", body)
    assert [t.task_id for t in preview.task_instances] == ["b", "c"]
    assert broker.store.get_task_instance("d1", "r1", "b").state.value == "failed"
    assert pending(broker, "d1") == []
    done = tis.patch_task_instance("d1", "r1", "b", body)
    assert {t.task_id: t.state.value for t in done.task_instances} == {"b": "success", "c": "success"}
    assert broker.store.get_task_instance("d1", "r1", "c").state.value == "success"
    [command] = pending(broker, "d1")
    assert (command.kind.value, command.run_id, command.task_ids, command.map_index, command.state) == (
        "mark_state", "r1", ["b", "c"], -1, "success")  # fmt: skip


def test_patch_note_only_and_refuse_a_state_airflow_does_not_allow(broker, api):
    seed(broker)
    tis = af.TaskInstanceApi(api("user"))
    done = tis.patch_task_instance_by_map_index("d1", "r2", "m", 1, af.PatchTaskInstanceBody(note="looked"))
    assert [t.note for t in done.task_instances] == ["looked"] and pending(broker, "d1") == []
    with pytest.raises(ApiException) as err:
        tis.patch_task_instance("d1", "r1", "b", af.PatchTaskInstanceBody(new_state="running"))
    assert err.value.status == 400


def test_clear_task_instances_dry_run_then_clear_requeues_the_run(broker, api):
    seed(broker)
    tis = af.TaskInstanceApi(api("user"))
    preview = tis.post_clear_task_instances("d1", af.ClearTaskInstancesBody(dag_run_id="r1"))
    assert [t.task_id for t in preview.task_instances] == ["b", "c"]  # only_failed is the default
    assert broker.store.get_dag_run("d1", "r1").state.value == "failed"
    body = af.ClearTaskInstancesBody(dag_run_id="r1", dry_run=False, only_failed=False, include_downstream=True,
                                     task_ids=[af.ClearTaskInstancesBodyTaskIdsInner("b")])  # fmt: skip
    cleared = tis.post_clear_task_instances("d1", body)
    assert [t.task_id for t in cleared.task_instances] == ["b", "c"]
    assert broker.store.get_dag_run("d1", "r1").state.value == "queued"
    assert broker.store.get_task_instance("d1", "r1", "b").state.value == "none"
    assert broker.store.get_task_instance("d1", "r1", "a").state.value == "success"
    [command] = pending(broker, "d1")
    assert (command.kind.value, command.run_id, command.task_ids) == ("clear_tasks", "r1", ["b", "c"])


def test_clear_a_map_index_resets_only_it_and_the_dry_run_lists_just_it(broker, api):
    seed(broker)
    tis = af.TaskInstanceApi(api("user"))
    pair = af.ClearTaskInstancesBodyTaskIdsInner(["m", 1])
    body = af.ClearTaskInstancesBody(dag_run_id="r2", only_failed=False, task_ids=[pair])
    preview = tis.post_clear_task_instances("d1", body)
    assert [(t.task_id, t.map_index) for t in preview.task_instances] == [("m", 1)]
    assert pending(broker, "d1") == []
    body.dry_run = False
    cleared = tis.post_clear_task_instances("d1", body)
    assert [(t.task_id, t.map_index) for t in cleared.task_instances] == [("m", 1)]
    states = {i: broker.store.get_task_instance("d1", "r2", "m", i).state.value for i in range(3)}
    assert states == {0: "success", 1: "none", 2: "success"}
    [command] = pending(broker, "d1")
    assert (command.kind.value, command.run_id, command.task_ids) == ("clear_tasks", "r2", ["m"])
    body.task_ids = [af.ClearTaskInstancesBodyTaskIdsInner("m")]  # a plain task id: every map index
    assert len(tis.post_clear_task_instances("d1", body).task_instances) == 3
    m_states = {ti.state.value for ti in broker.store.get_task_instances("d1", "r2") if ti.task_id == "m"}
    assert m_states == {"none"}


def test_clear_only_failed_resets_only_the_failed_map_indexes(broker, api):
    seed(broker)
    record = broker.store.get_task_instance("d1", "r2", "m", 2)
    record.state = TaskInstanceState.FAILED
    broker.store.put_task_instances([record])
    tis = af.TaskInstanceApi(api("user"))
    plain = af.ClearTaskInstancesBodyTaskIdsInner("m")
    body = af.ClearTaskInstancesBody(dag_run_id="r2", dry_run=False, task_ids=[plain])
    cleared = tis.post_clear_task_instances("d1", body)
    assert [(t.task_id, t.map_index) for t in cleared.task_instances] == [("m", 2)]
    states = {i: broker.store.get_task_instance("d1", "r2", "m", i).state.value for i in range(3)}
    assert states == {0: "success", 1: "success", 2: "none"}


@pytest.mark.parametrize(
    ("fields", "reason"),
    [
        ({"dag_run_id": "r1", "only_failed": True, "only_running": True}, "only_failed and only_running both are set to True"),
        ({"dag_run_id": "r1", "start_date": T0}, "Exactly one of dag_run_id or start_date must be provided"),
        ({"dag_run_id": "r1", "end_date": T0}, "Exactly one of dag_run_id or end_date must be provided"),
        ({"dag_run_id": "r1", "start_date": T0, "end_date": T0.add(days=1)},
         "Exactly one of dag_run_id or (start_date and end_date) must be provided"),
        ({"start_date": T0.add(days=1), "end_date": T0}, "end_date is sooner than start_date"),
        ({"dag_run_id": "r1", "task_ids": []}, "task_ids list should have at least 1 element."),
    ],
)  # fmt: skip
def test_clear_task_instances_refuses_the_options_airflow_refuses_with_its_422(broker, api, fields, reason):
    seed(broker)
    tis = af.TaskInstanceApi(api("user"))
    with pytest.raises(ApiException) as err:
        tis.post_clear_task_instances("d1", af.ClearTaskInstancesBody(dry_run=False, **fields))
    assert err.value.status == 422
    [error] = json.loads(err.value.body)["detail"]
    assert (error["type"], error["loc"], error["msg"]) == ("value_error", ["body"], f"Value error, {reason}")
    assert broker.store.get_task_instance("d1", "r1", "b").state.value == "failed"
    assert pending(broker, "d1") == []


def test_patch_state_changes_only_the_instances_not_in_it_and_the_dry_run_lists_only_those(broker, api):
    seed(broker)
    tis = af.TaskInstanceApi(api("user"))
    before = broker.store.get_task_instance("d1", "r1", "a")
    body = af.PatchTaskInstanceBody(new_state="success", include_downstream=True)
    preview = tis.patch_task_instance_dry_run("d1", "r1", "a", body)
    assert [t.task_id for t in preview.task_instances] == ["b", "c"]
    tis.patch_task_instance("d1", "r1", "a", body)
    assert broker.store.get_task_instance("d1", "r1", "a").end_date == before.end_date
    assert {ti.task_id: ti.state.value for ti in broker.store.get_task_instances("d1", "r1")} == {
        "a": "success", "b": "success", "c": "success"}  # fmt: skip
    [command] = pending(broker, "d1")
    assert (command.kind.value, command.task_ids, command.state) == ("mark_state", ["b", "c"], "success")


def test_patch_to_the_state_every_instance_has_is_airflows_409_and_writes_nothing(broker, api):
    seed(broker)
    tis = af.TaskInstanceApi(api("user"))
    body = af.PatchTaskInstanceBody(new_state="success", note="again")
    with pytest.raises(ApiException) as err:
        tis.patch_task_instance("d1", "r2", "m", body)
    assert (err.value.status, json.loads(err.value.body)) == (
        409,
        {"detail": "Task id m is already in success state"},
    )
    with pytest.raises(ApiException) as err:
        tis.patch_task_instance_by_map_index("d1", "r1", "a", -1, body)
    assert err.value.status == 409
    assert {ti.note for ti in broker.store.get_task_instances("d1", "r2")} == {None}
    assert broker.store.get_task_instance("d1", "r1", "a").note is None and pending(broker, "d1") == []
    assert tis.patch_task_instance_dry_run("d1", "r2", "m", body).task_instances == []
    noted = tis.patch_task_instance("d1", "r1", "a", af.PatchTaskInstanceBody(note="n"))
    assert [t.note for t in noted.task_instances] == ["n"]  # a note alone is no state change


def test_marking_a_failed_task_success_clears_its_failed_downstream_and_requeues_the_run(broker, api):
    # As Airflow's set_task_instance_state: the downstream failed/upstream_failed instances are
    # cleared (the finished run is requeued), so the rest of the run goes on.
    register_dag(broker, "d1", tasks=("a", "b", "c"))
    add_run(broker, "d1", "r1", state="failed", ti_states={"a": "failed", "b": "upstream_failed", "c": "upstream_failed"})
    pending(broker, "d1")  # drop what seeding queued
    af.TaskInstanceApi(api("user")).patch_task_instance("d1", "r1", "a", af.PatchTaskInstanceBody(new_state="success"))
    states = {ti.task_id: ti.state.value for ti in broker.store.get_task_instances("d1", "r1")}
    assert states == {"a": "success", "b": "none", "c": "none"}
    assert broker.store.get_dag_run("d1", "r1").state.value == "queued"
    assert [c.kind.value for c in pending(broker, "d1")] == ["mark_state", "clear_tasks"]


def test_marking_a_task_leaves_downstream_instances_that_did_not_fail_alone(broker, api):
    register_dag(broker, "d1", tasks=("a", "b"))
    add_run(broker, "d1", "r1", state="success", ti_states={"a": "success", "b": "success"})
    pending(broker, "d1")
    af.TaskInstanceApi(api("user")).patch_task_instance("d1", "r1", "a", af.PatchTaskInstanceBody(new_state="failed"))
    states = {ti.task_id: ti.state.value for ti in broker.store.get_task_instances("d1", "r1")}
    assert states == {"a": "failed", "b": "success"}
    assert broker.store.get_dag_run("d1", "r1").state.value == "success"
    assert [c.kind.value for c in pending(broker, "d1")] == ["mark_state"]

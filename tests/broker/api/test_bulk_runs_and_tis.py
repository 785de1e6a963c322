"""Operations over many runs and task instances through the official client: bulk runs,
clearing many runs, bulk task instances, deleting one task instance, task-group patches; the
commands the app receives and the event-log rows they write."""

from __future__ import annotations

import json

import airflow_client.client as af
import pytest
from airflow_client.client.exceptions import ApiException

from riir_airflow.sdk.state import TaskInstanceState
from riir_airflow.store.records import TaskInstanceRecord
from riir_airflow.wire.messages import SerializedDag, SerializedTask

from ..conftest import T0
from .conftest import add_run, pending, register_dag


def seed(broker):
    register_dag(broker, "d1", tasks=("a", "b", "c"))
    add_run(
        broker, "d1", "r1", state="failed", ti_states={"a": "success", "b": "failed", "c": "upstream_failed"}
    )
    add_run(
        broker, "d1", "r2", day=1, state="success", ti_states={"a": "success", "b": "success", "c": "success"}
    )
    add_run(broker, "d1", "r3", day=2, state="running", ti_states={"a": "running"})


def events(broker, name):
    answer = af.EventLogApi(af.ApiClient(af.Configuration(host=broker.url, access_token=broker.jwt())))
    return answer.get_event_logs(event_pattern=name).event_logs


def api_error(call, *args):
    with pytest.raises(ApiException) as err:
        call(*args)
    return err.value.status, json.loads(err.value.body or "null")


def test_bulk_update_runs_sets_state_and_note_tells_the_app_and_audits(broker, api):
    seed(broker)
    body = af.BulkBodyBulkDAGRunBody.from_dict({"actions": [{"action": "update", "entities": [
        {"dag_run_id": "r1", "state": "success", "note": "fixed"}, {"dag_run_id": "r2", "note": "seen"}]}]})  # fmt: skip
    answer = af.DagRunApi(api("user")).bulk_dag_runs("d1", body)
    assert answer.update.success == ["d1.r1", "d1.r2"] and answer.update.errors == []
    assert broker.store.get_dag_run("d1", "r1").state.value == "success"
    assert (broker.store.get_dag_run("d1", "r1").note, broker.store.get_dag_run("d1", "r2").note) == (
        "fixed",
        "seen",
    )
    [command] = pending(broker, "d1")
    assert (command.kind.value, command.run_id, command.state) == ("mark_state", "r1", "success")
    assert len(events(broker, "bulk_dag_runs")) == 1 and len(events(broker, "patch_dag_run")) == 2


def test_bulk_runs_refuses_create_405_unknown_runs_404_unless_skip_and_a_running_delete_409(broker, api):
    seed(broker)
    runs = af.DagRunApi(api("user"))
    body = af.BulkBodyBulkDAGRunBody.from_dict({"actions": [
        {"action": "create", "entities": [{"dag_run_id": "x"}]},
        {"action": "update", "entities": [{"dag_run_id": "ghost", "state": "failed"}]},
        {"action": "delete", "entities": ["r3"]},
        {"action": "delete", "entities": ["r2", "ghost"], "action_on_non_existence": "skip"},
    ]})  # fmt: skip
    answer = runs.bulk_dag_runs("d1", body)
    assert [e["status_code"] for e in answer.create.errors] == [405]
    assert answer.update.errors[0]["status_code"] == 404 and "ghost" in answer.update.errors[0]["error"]
    assert [e["status_code"] for e in answer.delete.errors] == [409] and answer.delete.success == ["d1.r2"]
    assert broker.store.get_dag_run("d1", "r2") is None and broker.store.get_dag_run("d1", "r3") is not None
    assert pending(broker, "d1") == []


def test_bulk_runs_with_tilde_needs_each_entity_to_name_its_dag(broker, api):
    seed(broker)
    body = af.BulkBodyBulkDAGRunBody.from_dict({"actions": [{"action": "delete", "entities": ["r1"]},
        {"action": "delete", "entities": [{"dag_run_id": "r1", "dag_id": "d1"}]}]})  # fmt: skip
    answer = af.DagRunApi(api("user")).bulk_dag_runs("~", body)
    assert [e["status_code"] for e in answer.delete.errors] == [400] and answer.delete.success == ["d1.r1"]


def test_clear_dag_runs_dry_run_lists_then_clear_requeues_each_run_and_tells_the_app(broker, api):
    seed(broker)
    runs = af.DagRunApi(api("user"))
    selection = [{"dag_run_id": "r1"}, {"dag_run_id": "r2", "dag_id": "d1"}]
    preview = runs.clear_dag_runs_without_preload_content(
        "d1", af.BulkDAGRunClearBody.from_dict({"dag_runs": selection, "only_failed": True}))  # fmt: skip
    listed = json.loads(preview.data)
    assert [(t["dag_run_id"], t["task_id"]) for t in listed["task_instances"]] == [("r1", "b"), ("r1", "c")]
    assert broker.store.get_dag_run("d1", "r1").state.value == "failed" and pending(broker, "d1") == []
    cleared = runs.clear_dag_runs(
        "d1", af.BulkDAGRunClearBody.from_dict({"dag_runs": selection, "dry_run": False})
    )
    assert [(r.dag_run_id, r.state.value) for r in cleared.actual_instance.dag_runs] == [("r1", "queued"),
                                                                                         ("r2", "queued")]  # fmt: skip
    assert {ti.state.value for ti in broker.store.get_task_instances("d1", "r2")} == {"none"}
    assert [(c.kind.value, c.run_id, c.task_ids) for c in pending(broker, "d1")] == [
        ("clear_tasks", "r1", ["a", "b", "c"]), ("clear_tasks", "r2", ["a", "b", "c"])]  # fmt: skip
    assert len(events(broker, "clear_dag_runs")) == 2


def test_clear_dag_runs_refuses_unknown_runs_other_dags_partitions_bad_bodies_and_viewers(broker, api):
    seed(broker)
    runs = af.DagRunApi(api("user"))
    body = af.BulkDAGRunClearBody.from_dict
    status, error = api_error(runs.clear_dag_runs, "d1", body({"dag_runs": [{"dag_run_id": "r1"},
                                                                            {"dag_run_id": "ghost"}], "dry_run": False}))  # fmt: skip
    assert status == 404 and "ghost" in error["detail"]
    assert broker.store.get_dag_run("d1", "r1").state.value == "failed"  # nothing was cleared
    assert (
        api_error(runs.clear_dag_runs, "d1", body({"dag_runs": [{"dag_run_id": "r1", "dag_id": "d2"}]}))[0]
        == 400
    )
    assert api_error(runs.clear_dag_runs, "~", body({"dag_runs": [{"dag_run_id": "r1"}]}))[0] == 400
    assert api_error(runs.clear_dag_runs, "d1", body({"partition_key": "p"}))[0] == 400
    assert api_error(runs.clear_dag_runs, "d1", body({}))[0] == 422
    viewer = af.DagRunApi(api("viewer"))
    assert api_error(viewer.clear_dag_runs, "d1", body({"dag_runs": [{"dag_run_id": "r1"}]}))[0] == 403


def test_bulk_task_instances_update_every_map_index_or_one_and_tell_the_app(broker, api):
    seed(broker)
    broker.store.put_task_instances([
        TaskInstanceRecord(dag_id="d1", run_id="r1", task_id="m", map_index=i, state=TaskInstanceState.FAILED,
                           try_number=1, operator="PythonOperator")
        for i in range(3)
    ])  # fmt: skip
    body = af.BulkBodyBulkTaskInstanceBody.from_dict({"actions": [{"action": "update", "entities": [
        {"task_id": "m", "new_state": "success"}, {"task_id": "b", "map_index": -1, "note": "looked"}]}]})  # fmt: skip
    answer = af.TaskInstanceApi(api("user")).bulk_task_instances("d1", "r1", body)
    assert answer.update.success == ["d1.r1.m[0]", "d1.r1.m[1]", "d1.r1.m[2]", "d1.r1.b[-1]"]
    assert {ti.state.value for ti in broker.store.get_task_instances("d1", "r1") if ti.task_id == "m"} == {
        "success"
    }
    assert broker.store.get_task_instance("d1", "r1", "b").note == "looked"
    assert [(c.kind.value, c.task_ids, c.map_index) for c in pending(broker, "d1")] == [
        ("mark_state", ["m"], 0), ("mark_state", ["m"], 1), ("mark_state", ["m"], 2)]  # fmt: skip
    assert len(events(broker, "bulk_task_instances")) == 1


def test_bulk_task_instances_delete_refuses_create_unknown_and_running_runs(broker, api):
    seed(broker)
    tis = af.TaskInstanceApi(api("user"))
    body = af.BulkBodyBulkTaskInstanceBody.from_dict({"actions": [
        {"action": "create", "entities": [{"task_id": "a"}]},
        {"action": "delete", "entities": [{"task_id": "zz", "map_index": 0}]},
        {"action": "delete", "entities": ["c", {"task_id": "zz"}], "action_on_non_existence": "skip"},
    ]})  # fmt: skip
    answer = tis.bulk_task_instances("d1", "r1", body)
    assert [e["status_code"] for e in answer.create.errors] == [405]
    assert [e["status_code"] for e in answer.delete.errors] == [404] and answer.delete.success == [
        "d1.r1.c[-1]"
    ]
    assert broker.store.get_task_instance("d1", "r1", "c") is None
    running = af.BulkBodyBulkTaskInstanceBody.from_dict(
        {"actions": [{"action": "delete", "entities": ["a"]}]}
    )
    assert tis.bulk_task_instances("d1", "r3", running).delete.errors[0]["status_code"] == 409


def test_delete_task_instance_removes_one_map_index_of_a_finished_run(broker, api):
    seed(broker)
    tis = af.TaskInstanceApi(api("user"))
    assert tis.delete_task_instance("d1", "r1", "b") is None
    assert broker.store.get_task_instance("d1", "r1", "b") is None
    assert events(broker, "delete_task_instance")[0].task_id == "b"
    assert api_error(tis.delete_task_instance, "d1", "r1", "b")[0] == 404
    assert api_error(tis.delete_task_instance, "d1", "r1", "a", 3)[0] == 404
    assert api_error(tis.delete_task_instance, "d1", "r3", "a")[0] == 409
    assert api_error(af.TaskInstanceApi(api("viewer")).delete_task_instance, "d1", "r1", "a")[0] == 403


def register_grouped(broker):
    """d1: a >> g.x >> g.inner.y >> z, with g and g.inner task groups."""
    groups = {"a": [], "g.x": ["g"], "g.inner.y": ["g", "g.inner"], "z": []}
    order = list(groups)
    tasks = [SerializedTask(task_id=t, operator="BashOperator", downstream_task_ids=order[i + 1 : i + 2],
                            task_group_ids=groups[t]) for i, t in enumerate(order)]  # fmt: skip
    broker.registry.sync_dags([SerializedDag(dag_id="d1", fileloc="/dags/d1.py", tasks=tasks, start_date=T0)],
                              code_hash="hash-d1", now=broker.clock.now())  # fmt: skip
    add_run(broker, "d1", "r1", state="failed",
            ti_states={"a": "success", "g.x": "failed", "g.inner.y": "upstream_failed", "z": "upstream_failed"})  # fmt: skip


def test_patch_task_group_instances_dry_run_then_patch_every_task_of_the_group(broker, api):
    register_grouped(broker)
    tis = af.TaskInstanceApi(api("user"))
    preview = tis.patch_task_group_instances_dry_run(
        "d1", "r1", "g", af.PatchTaskInstanceBody(new_state="success")
    )
    assert [t.task_id for t in preview.task_instances] == ["g.inner.y", "g.x"] and pending(broker, "d1") == []
    inner = tis.patch_task_group_instances("d1", "r1", "g.inner", af.PatchTaskInstanceBody(new_state="skipped",
                                                                                           include_downstream=True))  # fmt: skip
    assert {t.task_id: t.state.value for t in inner.task_instances} == {
        "g.inner.y": "skipped",
        "z": "skipped",
    }
    assert broker.store.get_task_instance("d1", "r1", "g.x").state.value == "failed"
    [command] = pending(broker, "d1")
    assert (command.kind.value, command.task_ids, command.state) == (
        "mark_state",
        ["g.inner.y", "z"],
        "skipped",
    )
    status, error = api_error(
        tis.patch_task_group_instances, "d1", "r1", "nope", af.PatchTaskInstanceBody(note="x")
    )
    assert status == 404 and error["detail"] == "Task group 'nope' not found in DAG 'd1'"
    assert (
        api_error(tis.patch_task_group_instances, "d1", "ghost", "g", af.PatchTaskInstanceBody(note="x"))[0]
        == 404
    )
    viewer = af.TaskInstanceApi(api("viewer"))
    assert (
        api_error(viewer.patch_task_group_instances, "d1", "r1", "g", af.PatchTaskInstanceBody(note="x"))[0]
        == 403
    )


def test_patch_task_group_to_the_state_every_instance_has_is_airflows_409(broker, api):
    register_grouped(broker)
    tis = af.TaskInstanceApi(api("user"))
    tis.patch_task_group_instances("d1", "r1", "g", af.PatchTaskInstanceBody(new_state="failed"))
    assert [t.task_id for t in tis.patch_task_group_instances_dry_run(
        "d1", "r1", "g", af.PatchTaskInstanceBody(new_state="failed")).task_instances] == []  # fmt: skip
    again = af.PatchTaskInstanceBody(new_state="failed", note="x")
    status, error = api_error(tis.patch_task_group_instances, "d1", "r1", "g", again)
    assert (status, error) == (409, {"detail": "All task instances in the group are already in failed state"})
    assert broker.store.get_task_instance("d1", "r1", "g.x").note is None
    mark, clear = pending(broker, "d1")
    assert (mark.task_ids, mark.state) == (["g.inner.y"], "failed")  # g.x was failed already
    # As Airflow: the group's failed/upstream_failed downstream (z) is cleared, to run again.
    assert (clear.kind.value, clear.task_ids) == ("clear_tasks", ["z"])


def test_bulk_task_instance_update_to_the_state_it_has_is_a_409_error_of_its_action(broker, api):
    seed(broker)
    body = af.BulkBodyBulkTaskInstanceBody.from_dict({"actions": [{"action": "update", "entities": [
        {"task_id": "b", "new_state": "success"}, {"task_id": "a", "new_state": "success"}]}]})  # fmt: skip
    answer = af.TaskInstanceApi(api("user")).bulk_task_instances("d1", "r1", body)
    assert answer.update.success == []
    assert answer.update.errors == [{"error": "Task id a is already in success state", "status_code": 409}]
    # The action is all or nothing (Airflow would have marked b before refusing a).
    assert broker.store.get_task_instance("d1", "r1", "b").state.value == "failed"
    assert pending(broker, "d1") == []

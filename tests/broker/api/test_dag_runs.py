"""`/api/v2/dags/{dag_id}/dagRuns` through the official client: list, batch, trigger, patch,
delete, clear, wait, and the commands the DAG's app receives."""

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
    register_dag(broker, "d1")
    register_dag(broker, "d2")
    for day in range(3):
        add_run(broker, "d1", f"scheduled__{day}", day=day, state="success" if day < 2 else "failed",
                ti_states={"a": "success", "b": "success" if day < 2 else "failed"})  # fmt: skip
    add_run(broker, "d2", "manual__x", state="running", run_type="manual", ti_states={"a": "running"})


def test_list_runs_of_one_dag_and_of_every_dag_with_tilde(broker, api):
    seed(broker)
    runs = af.DagRunApi(api("viewer"))
    one = runs.get_dag_runs("d1")
    assert one.total_entries == 3
    assert [r.dag_run_id for r in one.dag_runs] == ["scheduled__0", "scheduled__1", "scheduled__2"]
    assert one.dag_runs[0].dag_versions[0].version_number == 1
    assert runs.get_dag_runs("~").total_entries == 4
    assert [r.dag_run_id for r in runs.get_dag_runs("~", state=["failed", "running"]).dag_runs] == [
        "manual__x", "scheduled__2"]  # fmt: skip
    window = runs.get_dag_runs("d1", logical_date_gte=T0.add(days=1), logical_date_lt=T0.add(days=2))
    assert [r.dag_run_id for r in window.dag_runs] == ["scheduled__1"]
    page = runs.get_dag_runs("~", limit=1, offset=1, order_by=["-run_after"])
    assert page.total_entries == 4 and [r.dag_run_id for r in page.dag_runs] == ["scheduled__1"]
    batch = runs.get_list_dag_runs_batch("~", af.DAGRunsBatchBody(dag_ids=["d2"], states=["running"]))
    assert [r.dag_run_id for r in batch.dag_runs] == ["manual__x"]


def test_trigger_creates_a_queued_manual_run_and_queues_trigger_run(broker, api):
    register_dag(broker, "d1")
    body = af.TriggerDAGRunPostBody(logical_date=T0.add(days=9), conf={"x": 1}, note="hi")
    run = af.DagRunApi(api("user")).trigger_dag_run("d1", body)
    assert run.state.value == "queued" and run.run_type.value == "manual"
    assert run.triggered_by.value == "rest_api" and run.conf == {"x": 1} and run.note == "hi"
    assert run.data_interval_start == run.logical_date == T0.add(days=9)
    stored = broker.store.get_dag_run("d1", run.dag_run_id)
    assert stored.run_id.startswith("manual__") and stored.conf == {"x": 1}
    [command] = pending(broker, "d1")
    assert command.kind.value == "trigger_run" and command.run_id == run.dag_run_id


def test_trigger_with_null_logical_date_and_own_run_id_then_409_on_repeat(broker, api):
    register_dag(broker, "d1")
    runs = af.DagRunApi(api())
    run = runs.trigger_dag_run("d1", af.TriggerDAGRunPostBody(logical_date=None, dag_run_id="mine"))
    assert run.dag_run_id == "mine" and run.logical_date is None
    with pytest.raises(ApiException) as err:
        runs.trigger_dag_run("d1", af.TriggerDAGRunPostBody(logical_date=None, dag_run_id="mine"))
    assert err.value.status == 409 and "detail" in json.loads(err.value.body)


def test_trigger_unknown_dag_is_404_and_nothing_is_queued(broker, api):
    with pytest.raises(ApiException) as err:
        af.DagRunApi(api()).trigger_dag_run("ghost", af.TriggerDAGRunPostBody(logical_date=None))
    assert err.value.status == 404
    assert pending(broker, "ghost") == []


def test_trigger_is_refused_as_airflow_when_the_file_has_an_import_error_or_manual_runs_are_not_allowed(
    broker, api
):
    from riir_airflow.wire.messages import ImportErrorReport

    register_dag(broker, "d1")
    broker.registry.record_import_error(ImportErrorReport("/dags/d1.py", "SyntaxError: boom"), None)
    runs = af.DagRunApi(api())
    with pytest.raises(ApiException) as err:
        runs.trigger_dag_run("d1", af.TriggerDAGRunPostBody(logical_date=None))
    assert err.value.status == 400
    assert json.loads(err.value.body)["detail"] == "Dag with dag_id: 'd1' has import errors and cannot be triggered"
    serialized = broker.registry.serialized_dag("d1")
    serialized.fileloc, serialized.dag_id, serialized.allowed_run_types = "/dags/d2.py", "d2", ["scheduled"]
    broker.registry.sync_dags([serialized], code_hash="hash-d2", now=broker.clock.now())
    with pytest.raises(ApiException) as err:
        runs.trigger_dag_run("d2", af.TriggerDAGRunPostBody(logical_date=None))
    assert err.value.status == 400
    assert json.loads(err.value.body)["detail"] == "Dag with dag_id: 'd2' does not allow manual runs"
    assert pending(broker, "d1") == [] and pending(broker, "d2") == []
    assert broker.store.list_dag_runs("d1") == [] and broker.store.list_dag_runs("d2") == []


def test_a_trigger_sent_from_a_page_is_triggered_by_ui(broker, api):
    register_dag(broker, "d1")
    client = api()
    client.default_headers["Referer"] = "http://127.0.0.1/ui/"
    run = af.DagRunApi(client).trigger_dag_run("d1", af.TriggerDAGRunPostBody(logical_date=None))
    assert run.triggered_by.value == "ui"


def test_patch_run_state_writes_it_and_queues_mark_state(broker, api):
    seed(broker)
    run = af.DagRunApi(api("user")).patch_dag_run("d2", "manual__x", af.DAGRunPatchBody(state="failed"))
    assert run.state.value == "failed" and run.end_date is not None
    assert broker.store.get_dag_run("d2", "manual__x").state.value == "failed"
    [command] = pending(broker, "d2")
    assert (command.kind.value, command.run_id, command.task_ids, command.state) == (
        "mark_state", "manual__x", [], "failed")  # fmt: skip


def test_patch_run_note_only_changes_the_note_and_queues_nothing(broker, api):
    seed(broker)
    run = af.DagRunApi(api()).patch_dag_run(
        "d1", "scheduled__0", af.DAGRunPatchBody(note="checked"), update_mask=["note"]
    )
    assert run.note == "checked" and run.state.value == "success"
    assert pending(broker, "d1") == []


def test_clear_run_dry_run_lists_and_real_clear_requeues_and_queues_clear_tasks(broker, api):
    seed(broker)
    runs = af.DagRunApi(api("user"))
    # The client cannot decode a dry run's answer (every TaskInstanceResponse also matches its
    # oneOf alternative NewTaskResponse), so it is read raw.
    preview = runs.clear_dag_run_without_preload_content(
        "d1", "scheduled__2", af.DAGRunClearBody(dry_run=True, only_failed=True))  # fmt: skip
    assert [ti["task_id"] for ti in json.loads(preview.data)["task_instances"]] == ["b"]
    assert broker.store.get_task_instance("d1", "scheduled__2", "b").state.value == "failed"
    cleared = runs.clear_dag_run("d1", "scheduled__2", af.DAGRunClearBody(dry_run=False))
    assert cleared.actual_instance.state.value == "queued"
    assert {ti.state.value for ti in broker.store.get_task_instances("d1", "scheduled__2")} == {"none"}
    [command] = pending(broker, "d1")
    assert command.kind.value == "clear_tasks" and command.task_ids == ["a", "b"]


def test_clear_run_only_failed_resets_only_the_failed_map_indexes_of_a_task(broker, api):
    seed(broker)
    broker.store.put_task_instances([
        TaskInstanceRecord(dag_id="d1", run_id="scheduled__2", task_id="m", map_index=i, try_number=1,
                           state=TaskInstanceState.FAILED if i == 1 else TaskInstanceState.SUCCESS)
        for i in range(3)
    ])  # fmt: skip
    runs = af.DagRunApi(api("user"))
    runs.clear_dag_run("d1", "scheduled__2", af.DAGRunClearBody(dry_run=False, only_failed=True))
    states = {ti.key: ti.state.value for ti in broker.store.get_task_instances("d1", "scheduled__2")}
    assert states == {("a", -1): "success", ("b", -1): "none", ("m", 0): "success", ("m", 1): "none",
                      ("m", 2): "success"}  # fmt: skip


def test_clear_run_with_only_new_and_only_failed_is_airflows_422_and_clears_nothing(broker, api):
    seed(broker)
    runs = af.DagRunApi(api("user"))
    with pytest.raises(ApiException) as err:
        runs.clear_dag_run(
            "d1", "scheduled__2", af.DAGRunClearBody(dry_run=False, only_new=True, only_failed=True)
        )
    assert err.value.status == 422
    [error] = json.loads(err.value.body)["detail"]
    assert {k: v for k, v in error.items() if k != "input"} == {
        "type": "value_error", "loc": ["body"], "msg": "Value error, only_new and only_failed are mutually exclusive",
        "ctx": {"error": {}}}  # fmt: skip
    assert error["input"]["only_new"] is error["input"]["only_failed"] is True
    assert broker.store.get_task_instance("d1", "scheduled__2", "b").state.value == "failed"
    assert pending(broker, "d1") == []
    preview = runs.clear_dag_run_without_preload_content(
        "d1", "scheduled__2", af.DAGRunClearBody(only_new=True)
    )
    assert preview.status == 200


def test_delete_finished_run_and_refuse_a_running_one(broker, api):
    seed(broker)
    runs = af.DagRunApi(api("user"))
    runs.delete_dag_run("d1", "scheduled__0")
    assert broker.store.get_dag_run("d1", "scheduled__0") is None
    with pytest.raises(ApiException) as err:
        runs.delete_dag_run("d2", "manual__x")
    assert err.value.status == 409
    with pytest.raises(ApiException) as err:
        runs.get_dag_run("d1", "scheduled__0")
    assert err.value.status == 404


def test_wait_streams_the_final_state_with_results(broker, api):
    seed(broker)
    from riir_airflow.store.records import XComRecord

    broker.store.set_xcom(
        XComRecord(dag_id="d1", run_id="scheduled__0", task_id="a", key="return_value", value="42")
    )
    answer = af.DagRunApi(api("viewer")).wait_dag_run_until_finished_without_preload_content(
        "d1", "scheduled__0", interval=0.1, result=["a"])  # fmt: skip
    lines = [json.loads(line) for line in answer.data.decode().splitlines()]
    assert lines == [{"state": "success", "results": {"a": 42}}]

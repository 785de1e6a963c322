"""Logs, XComs, DAG versions and sources, DAG stats, event logs and import errors through the
official client."""

from __future__ import annotations

import json

import airflow_client.client as af
import pytest
from airflow_client.client.exceptions import ApiException

from riir_airflow.store.records import XComRecord
from riir_airflow.wire.messages import ImportErrorReport

from .conftest import add_run, register_dag


def test_log_is_structured_lines_with_a_continuation_token(broker, api):
    register_dag(broker, "d1")
    add_run(broker, "d1", "r1", ti_states={"a": "success"})
    broker.store.append_log("d1", "r1", "a", -1, 1, "plain line\n")
    broker.store.append_log(
        "d1", "r1", "a", -1, 1, json.dumps({"event": "structured", "level": "info"}) + "\n"
    )
    tis = af.TaskInstanceApi(api("viewer"))
    log = tis.get_log("d1", "r1", "a", 1, full_content=True)
    events = [line.event for line in log.content.actual_instance]
    assert events == ["plain line", "structured"]
    broker.store.append_log("d1", "r1", "a", -1, 1, "later\n")
    more = tis.get_log("d1", "r1", "a", 1, token=log.continuation_token)
    assert [line.event for line in more.content.actual_instance] == ["later"]
    with pytest.raises(ApiException) as err:
        tis.get_log("d1", "r1", "zzz", 1)
    assert err.value.status == 404


def test_xcom_create_list_get_update_delete(broker, api):
    register_dag(broker, "d1")
    add_run(broker, "d1", "r1", ti_states={"a": "success"})
    broker.store.set_xcom(
        XComRecord(dag_id="d1", run_id="r1", task_id="a", key="return_value", value="[1,2]")
    )
    xcoms = af.XComApi(api("user"))
    created = xcoms.create_xcom_entry("d1", "a", "r1", af.XComCreateBody(key="k", value={"x": [1, 2]}))
    assert created.value == {"x": [1, 2]}
    with pytest.raises(ApiException) as err:
        xcoms.create_xcom_entry("d1", "a", "r1", af.XComCreateBody(key="k", value=1))
    assert err.value.status == 409
    listed = xcoms.get_xcom_entries("d1", "r1", "a")
    assert [e.key for e in listed.xcom_entries] == ["k", "return_value"] and listed.total_entries == 2
    assert xcoms.get_xcom_entries("~", "~", "~", xcom_key="k").total_entries == 1
    got = xcoms.get_xcom_entry("d1", "a", "r1", "return_value")
    assert got.actual_instance.value == [1, 2]
    assert (
        xcoms.get_xcom_entry("d1", "a", "r1", "return_value", stringify=True).actual_instance.value
        == "[1, 2]"
    )
    updated = xcoms.update_xcom_entry("d1", "a", "r1", "k", af.XComUpdateBody(value="new"))
    assert updated.value == "new"
    assert broker.store.get_xcoms("d1", run_id="r1", keys=["k"])[0].value == '"new"'
    xcoms.delete_xcom_entry("d1", "a", "r1", "k")
    with pytest.raises(ApiException) as err:
        xcoms.get_xcom_entry("d1", "a", "r1", "k")
    assert err.value.status == 404


def test_dag_versions_source_and_stats(broker, api):
    register_dag(broker, "d1")
    add_run(broker, "d1", "r1", state="success")
    add_run(broker, "d1", "r2", day=1, state="failed")
    client = api("viewer")
    versions = af.DagVersionApi(client).get_dag_versions("d1")
    assert [v.version_number for v in versions.dag_versions] == [1]
    assert af.DagVersionApi(client).get_dag_version("d1", 1).dag_id == "d1"
    source = af.DagSourceApi(client).get_dag_source("d1")
    assert source.dag_id == "d1" and source.version_number == 1
    stats = af.DagStatsApi(client).get_dag_stats(dag_ids=["d1"])
    assert {s.state.value: s.count for s in stats.dags[0].stats} == {
        "queued": 0,
        "running": 0,
        "success": 1,
        "failed": 1,
    }


def test_every_api_change_leaves_an_event_log_row(broker, api):
    register_dag(broker, "d1")
    client = api(
        "user",
    )
    af.DAGApi(client).patch_dag("d1", af.DAGPatchBody(is_paused=True))
    af.DagRunApi(client).trigger_dag_run("d1", af.TriggerDAGRunPostBody(logical_date=None, dag_run_id="m1"))
    logs = af.EventLogApi(api("viewer")).get_event_logs(dag_id="d1")
    assert [(e.event, e.owner, e.run_id) for e in logs.event_logs] == [
        ("patch_dag", "user", None), ("trigger_dag_run", "user", "m1")]  # fmt: skip
    one = af.EventLogApi(api("viewer")).get_event_log(logs.event_logs[1].event_log_id)
    assert json.loads(one.extra)["conf"] == {}
    assert af.EventLogApi(api()).get_event_logs(event_pattern="trigger").total_entries == 1


def test_import_errors_list_and_get(broker, api):
    broker.registry.record_import_error(
        ImportErrorReport(fileloc="/dags/broken.py", stacktrace="SyntaxError")
    )
    errors = af.ImportErrorApi(api("viewer")).get_import_errors()
    assert errors.total_entries == 1 and errors.import_errors[0].filename == "/dags/broken.py"
    one = af.ImportErrorApi(api("viewer")).get_import_error(errors.import_errors[0].import_error_id)
    assert one.stack_trace == "SyntaxError"
    with pytest.raises(ApiException) as err:
        af.ImportErrorApi(api()).get_import_error(999)
    assert err.value.status == 404


def test_tasks_of_a_dag_from_its_registration(broker, api):
    register_dag(broker, "d1", tasks=("extract", "load"))
    tasks = af.TaskApi(api("viewer"))
    listed = tasks.get_tasks("d1")
    assert [(t.task_id, t.downstream_task_ids) for t in listed.tasks] == [("extract", ["load"]), ("load", [])]
    one = tasks.get_task("d1", "load")
    assert one.operator_name == "BashOperator" and one.retry_delay.seconds == 300
    with pytest.raises(ApiException) as err:
        tasks.get_task("d1", "nope")
    assert err.value.status == 404

"""A task instance's dependencies (why it is not running), external log URL and extra links
through the official client."""

from __future__ import annotations

import json

import airflow_client.client as af
import pytest
from airflow_client.client.exceptions import ApiException

from riir_airflow.wire.messages import SerializedDag, SerializedTask

from ..conftest import T0
from .conftest import add_run, register_dag


def register(broker, *, paused=False, links=()):
    """d1: a >> c, b >> c with c `all_done`; b has extra links `links`."""
    tasks = [SerializedTask(task_id="a", downstream_task_ids=["c"]),
             SerializedTask(task_id="b", downstream_task_ids=["c"], extra_links=list(links)),
             SerializedTask(task_id="c", trigger_rule="all_done")]  # fmt: skip
    broker.registry.sync_dags([SerializedDag(dag_id="d1", fileloc="/dags/d1.py", tasks=tasks, start_date=T0,
                                             is_paused_upon_creation=paused)],
                              code_hash="hash-d1", now=broker.clock.now())  # fmt: skip


def status_of(call, *args, **kwargs):
    with pytest.raises(ApiException) as err:
        call(*args, **kwargs)
    return err.value.status, json.loads(err.value.body)["detail"]


def test_a_task_waiting_on_a_running_upstream_is_held_by_its_trigger_rule(broker, api):
    register(broker)
    add_run(broker, "d1", "r1", state="running", ti_states={"a": "failed", "b": "running", "c": "none"})
    tis = af.TaskInstanceApi(api("viewer"))
    [dep] = tis.get_task_instance_dependencies("d1", "r1", "c").dependencies
    assert dep.name == "Trigger Rule" and "all_done" in dep.reason
    assert (
        tis.get_task_instance_dependencies("d1", "r1", "b").dependencies == []
    )  # running: nothing blocks it


def test_a_finished_upstream_leaves_nothing_blocking_but_a_queued_run_and_a_paused_dag(broker, api):
    register(broker, paused=True)
    add_run(broker, "d1", "r1", state="queued", ti_states={"a": "success", "b": "failed", "c": "none"})
    deps = af.TaskInstanceApi(api("viewer")).get_task_instance_dependencies_by_map_index("d1", "r1", "c", -1)
    assert [(d.name, d.reason) for d in deps.dependencies] == [
        ("Dag Not Paused", "Task's DAG 'd1' is paused."),
        ("Dagrun Running", "Task instance's dagrun was not in the 'running' state but in the state 'queued'."),
    ]  # fmt: skip


def test_dependencies_of_unknown_instances_are_404_and_a_bad_map_index_is_422(broker, api):
    register(broker)
    add_run(broker, "d1", "r1", state="running", ti_states={"a": "none"})
    tis = af.TaskInstanceApi(api("viewer"))
    assert status_of(tis.get_task_instance_dependencies, "d1", "r1", "zz")[0] == 404
    assert status_of(tis.get_task_instance_dependencies, "d1", "ghost", "a")[0] == 404
    answer = tis.api_client.call_api("GET", f"{tis.api_client.configuration.host}/api/v2/dags/d1/dagRuns/r1/"
                                     "taskInstances/a/x/dependencies", header_params={
                                         "Authorization": f"Bearer {broker.jwt('viewer')}"})  # fmt: skip
    assert answer.status == 422


def test_external_log_url_answers_as_airflow_without_an_external_log_handler(broker, api):
    register(broker)
    add_run(broker, "d1", "r1", ti_states={"a": "success"})
    tis = af.TaskInstanceApi(api("viewer"))
    assert status_of(tis.get_external_log_url, "d1", "r1", "a", 1) == (
        400, "Task log handler does not support external logs.")  # fmt: skip
    assert status_of(af.TaskInstanceApi(api(token="")).get_external_log_url, "d1", "r1", "a", 1)[0] == 401


def test_extra_links_are_the_registered_names_with_null_urls(broker, api):
    register(broker, links=("Job", "Console"))
    add_run(broker, "d1", "r1", ti_states={"a": "success", "b": "success"})
    links = af.ExtraLinksApi(api("viewer"))
    # The client cannot decode a null URL (its model wants strings), which is what Airflow answers
    # for a link nothing was pushed for, so this answer is read raw.
    answer = json.loads(links.get_extra_links_without_preload_content("d1", "r1", "b").data)
    assert answer == {"extra_links": {"Console": None, "Job": None}, "total_entries": 2}
    empty = af.TaskInstanceApi(api("viewer")).get_extra_links("d1", "r1", "a")
    assert (empty.extra_links, empty.total_entries) == ({}, 0)
    assert status_of(links.get_extra_links, "d1", "r1", "c") == (404, "TaskInstance not found")
    assert status_of(links.get_extra_links, "d1", "r1", "b", try_number=7)[0] == 404


def test_extra_links_of_a_task_the_dag_no_longer_has_is_404(broker, api):
    register_dag(broker, "d2", tasks=("a",))
    add_run(broker, "d2", "r1", ti_states={"a": "success", "gone": "success"})
    links = af.ExtraLinksApi(api("viewer"))
    assert status_of(links.get_extra_links, "d2", "r1", "gone") == (404, "Task with ID = gone not found")

"""`/api/v2/dags` through the official client: listing, filters, pagination, pause, delete."""

from __future__ import annotations

import airflow_client.client as af
import pytest
from airflow_client.client.exceptions import ApiException

from .conftest import add_run, pending, register_dag


def test_list_dags_filters_by_pattern_tags_and_paused_and_pages(broker, api):
    for i in range(5):
        register_dag(broker, f"etl_{i}", tags=("etl", f"n{i % 2}"), paused=i == 0)
    register_dag(broker, "other", tags=("misc",))
    dags = af.DAGApi(api("viewer"))
    everything = dags.get_dags()
    assert everything.total_entries == 6
    assert [d.dag_id for d in everything.dags] == ["etl_0", "etl_1", "etl_2", "etl_3", "etl_4", "other"]
    assert dags.get_dags(dag_id_pattern="etl").total_entries == 5
    assert dags.get_dags(dag_id_pattern="other|etl_1").total_entries == 2
    assert [d.dag_id for d in dags.get_dags(tags=["n1"]).dags] == ["etl_1", "etl_3"]
    assert dags.get_dags(tags=["n1", "misc"]).total_entries == 3
    assert dags.get_dags(tags=["n1", "etl"], tags_match_mode="all").total_entries == 2
    assert [d.dag_id for d in dags.get_dags(paused=True).dags] == ["etl_0"]
    page = dags.get_dags(limit=2, offset=2, order_by=["-dag_id"])
    assert page.total_entries == 6 and [d.dag_id for d in page.dags] == ["etl_3", "etl_2"]
    one = dags.get_dag("etl_1")
    assert one.owners == ["airflow"] and {t.name for t in one.tags} == {"etl", "n1"}
    details = dags.get_dag_details("etl_1")
    assert details.latest_dag_version.version_number == 1 and details.start_date is not None


def test_unknown_dag_is_404_with_detail(broker, api):
    with pytest.raises(ApiException) as err:
        af.DAGApi(api()).get_dag("nope")
    assert err.value.status == 404 and "nope" in err.value.body


def test_patch_dag_pauses_and_queues_a_command_for_the_app(broker, api):
    register_dag(broker, "p1")
    dag = af.DAGApi(api("user")).patch_dag("p1", af.DAGPatchBody(is_paused=True))
    assert dag.is_paused is True
    assert broker.registry.get_dag("p1").is_paused is True
    assert [c.kind.value for c in pending(broker, "p1")] == ["pause"]


def test_patch_dags_unpauses_every_selected_dag(broker, api):
    for name in ("x1", "x2", "y1"):
        register_dag(broker, name, paused=True)
    result = af.DAGApi(api()).patch_dags(af.DAGPatchBody(is_paused=False), dag_id_pattern="x")
    assert sorted(d.dag_id for d in result.dags) == ["x1", "x2"]
    assert all(not d.is_paused for d in result.dags)
    assert broker.registry.get_dag("y1").is_paused is True


def test_delete_dag_removes_its_runs(broker, api):
    register_dag(broker, "gone")
    add_run(broker, "gone", "r1", ti_states={"a": "success"})
    af.DAGApi(api("op")).delete_dag("gone")
    assert broker.registry.get_dag("gone") is None
    assert broker.store.get_dag_run("gone", "r1") is None

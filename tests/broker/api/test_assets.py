"""Assets, asset events and queued events through the official client, on SQLite and PostgreSQL;
an event created through the API triggers the asset-scheduled DAG in its real app."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import airflow_client.client as af
import pytest
from airflow_client.client.exceptions import ApiException

from riir_airflow.sdk.assets import Asset, condition_to_json
from riir_airflow.store.records import AssetEventRecord
from riir_airflow.wire.messages import SerializedDag, SerializedTask

from ..conftest import T0
from .conftest import register_dag
from .test_app_end_to_end import wait_for

RAW = Asset("raw", "s3://bucket/raw")
CLEAN = Asset("clean", "s3://bucket/clean")


def _status(call, *args, **kwargs) -> int:  # type: ignore[no-untyped-def]
    with pytest.raises(ApiException) as err:
        call(*args, **kwargs)
    return err.value.status


def _asset_id(assets: af.AssetApi, uri: str) -> int:
    [found] = [a for a in assets.get_assets(uri_pattern=uri).assets if a.uri == uri]
    return found.id


def test_assets_list_what_dags_wait_on_and_events_queue_the_waiting_dags(broker, api):
    register_dag(broker, "consumer")
    register_dag(broker, "both")
    broker.store.register_dag_schedule("consumer", condition_to_json(RAW))
    broker.store.register_dag_schedule("both", condition_to_json([RAW, CLEAN]))
    assets = af.AssetApi(api("user"))
    listed = assets.get_assets(order_by=["name"])
    assert [(a.name, a.uri) for a in listed.assets] == [("clean", CLEAN.uri), ("raw", RAW.uri)]
    raw = listed.assets[1]
    assert [d.dag_id for d in raw.scheduled_dags] == ["both", "consumer"] and raw.last_asset_event is None
    assert [a.name for a in assets.get_assets(dag_ids=["consumer"]).assets] == ["raw"]
    assert assets.get_assets(name_pattern="cle").total_entries == 1
    assert assets.get_asset(raw.id).uri == RAW.uri
    assert _status(assets.get_asset, 999_999) == 404

    event = assets.create_asset_event(af.CreateAssetEventsBody(asset_id=raw.id, extra={"rows": 3}))
    assert (event.asset_id, event.uri, event.extra) == (raw.id, RAW.uri, {"rows": 3, "from_rest_api": True})
    assert event.created_dagruns == [] and event.source_dag_id is None
    assert broker.store.dags_triggered_by() == ["consumer"]  # what the apps ask on their next tick
    assert assets.get_asset(raw.id).last_asset_event.id == event.id
    queued = assets.get_asset_queued_events(raw.id)
    assert (
        sorted(q.dag_id for q in queued.queued_events) == ["both", "consumer"] and queued.total_entries == 2
    )
    assert [q.asset_id for q in assets.get_dag_asset_queued_events("both").queued_events] == [raw.id]
    one = assets.get_dag_asset_queued_event("consumer", raw.id)
    assert (one.dag_id, one.dag_display_name) == ("consumer", "consumer")
    assert _status(assets.get_dag_asset_queued_event, "consumer", 999_999) == 404
    assert assets.get_dag_asset_queued_events("nobody").total_entries == 0

    assets.delete_dag_asset_queued_event("both", raw.id)
    assert assets.get_dag_asset_queued_events("both").total_entries == 0
    assert _status(assets.delete_dag_asset_queued_event, "both", raw.id) == 404
    assets.delete_asset_queued_events(raw.id)
    assert broker.store.dags_triggered_by() == []
    assert _status(assets.delete_asset_queued_events, raw.id) == 404
    assets.create_asset_event(af.CreateAssetEventsBody(asset_id=raw.id))
    assets.delete_dag_asset_queued_events("consumer")
    assert _status(assets.delete_dag_asset_queued_events, "consumer") == 404
    events = {e.event for e in af.EventLogApi(api()).get_event_logs(event_pattern="asset").event_logs}
    assert events == {"create_asset_event", "delete_dag_asset_queued_event", "delete_asset_queued_events",
                      "delete_dag_asset_queued_events"}  # fmt: skip


def test_asset_event_list_filters_refusals_and_roles(broker, api):
    broker.store.record_asset_event(AssetEventRecord(name="raw", uri=RAW.uri, source_dag_id="producer",
                                                     source_run_id="r1", source_task_id="t"))  # fmt: skip
    broker.store.record_asset_event(AssetEventRecord(name="clean", uri=CLEAN.uri, source_dag_id="other"))
    assets = af.AssetApi(api("viewer"))
    listed = assets.get_asset_events()
    assert [e.name for e in listed.asset_events] == ["raw", "clean"] and listed.total_entries == 2
    assert [e.source_task_id for e in assets.get_asset_events(source_dag_id="producer").asset_events] == ["t"]
    raw_id = _asset_id(assets, RAW.uri)
    assert assets.get_asset_events(asset_id=raw_id).total_entries == 1
    assert assets.get_asset_events(order_by=["-timestamp"]).asset_events[0].name == "clean"
    assert assets.get_asset_events(name_pattern="CLE").total_entries == 1
    assert _status(assets.get_asset_events, order_by=["nope"]) == 400
    assert _status(assets.create_asset_event, af.CreateAssetEventsBody(asset_id=raw_id)) == 403
    editor = af.AssetApi(api("user"))
    assert _status(editor.create_asset_event, af.CreateAssetEventsBody(asset_id=999_999)) == 404
    assert (
        _status(editor.create_asset_event, af.CreateAssetEventsBody(asset_id=raw_id, partition_key="p"))
        == 400
    )
    assert assets.get_asset_events().total_entries == 2  # refusals wrote nothing


DAG_FILE = """
from riir_airflow.sdk import Asset, dag, task
import pendulum

@dag(dag_id="on_raw", schedule=[Asset("raw", "s3://bucket/raw")],
     start_date=pendulum.datetime(2024, 1, 1, tz="UTC"), catchup=False)
def on_raw():
    @task
    def consume(triggering_asset_events=None):
        return sorted(e.uri for events in triggering_asset_events.values() for e in events)

    consume()

on_raw()
"""


def test_an_event_created_through_the_client_triggers_the_waiting_dag_in_its_app(broker, api, tmp_path: Path):
    dag_file = tmp_path / "on_raw.py"
    dag_file.write_text(DAG_FILE)
    env = {k: v for k, v in os.environ.items() if not k.startswith("AIRFLOW__")}
    env.update(
        {"AIRFLOW_HOME": str(tmp_path / "home"), "AIRFLOW__CORE__DAGS_ARE_PAUSED_AT_CREATION": "False"}
    )
    log_path = tmp_path / "app.log"
    app = subprocess.Popen(
        [sys.executable, "-m", "riir_airflow", "app", str(dag_file), "--broker", broker.url,
         "--token", broker.app_token("on_raw"), "--parallelism", "2"],
        env=env, stdout=log_path.open("wb"), stderr=subprocess.STDOUT,
    )  # fmt: skip
    try:
        client = api("user")
        assets, runs = af.AssetApi(client), af.DagRunApi(client)
        dags = af.DAGApi(client)
        wait_for(lambda: "on_raw" in {d.dag_id for d in dags.get_dags().dags}, what="the app to register")
        dags.patch_dag("on_raw", af.DAGPatchBody(is_paused=False))
        raw_id = wait_for(
            lambda: next((a.id for a in assets.get_assets().assets if a.uri == RAW.uri), None),
            what="the app to register its asset schedule",
        )
        event = assets.create_asset_event(af.CreateAssetEventsBody(asset_id=raw_id, extra={"n": 1}))
        run = wait_for(
            lambda: next(
                (r for r in runs.get_dag_runs("on_raw").dag_runs if r.state.value == "success"), None
            ),
            what=f"the asset-triggered run to succeed: {log_path.read_text()[-3000:]}",
        )
        assert run.run_type.value == "asset_triggered"
        upstream = runs.get_upstream_asset_events("on_raw", run.dag_run_id)
        assert [e.id for e in upstream.asset_events] == [event.id]
        [listed] = assets.get_asset_events(asset_id=raw_id).asset_events
        assert [(r.dag_id, r.run_id, r.triggering) for r in listed.created_dagruns] == [
            ("on_raw", run.dag_run_id, True)]  # fmt: skip
        xcom = af.XComApi(client).get_xcom_entry("on_raw", "consume", run.dag_run_id, "return_value")
        assert xcom.actual_instance.value == [RAW.uri]
    except AssertionError:
        print(log_path.read_text()[-4000:])
        raise
    finally:
        app.terminate()
        app.wait(timeout=30)


def _register_outlets(broker, dag_id: str, outlets: dict[str, list[Asset]]) -> None:  # type: ignore[no-untyped-def]
    """Register `dag_id` as an app would, its tasks (`outlets` keys, in order) with those outlets."""
    tasks = [SerializedTask(task_id=task_id, outlets=condition_to_json(assets) if assets else None)
             for task_id, assets in outlets.items()]  # fmt: skip
    dag = SerializedDag(
        dag_id=dag_id, fileloc=f"/dags/{dag_id}.py", schedule=None, start_date=T0, tasks=tasks
    )
    broker.registry.sync_dags([dag], code_hash=f"hash-{dag_id}", now=broker.clock.now())


def test_producing_tasks_are_the_registered_tasks_with_the_asset_in_their_outlets(broker, api):
    _register_outlets(broker, "load", {"write_raw": [RAW], "write_both": [RAW, CLEAN], "report": []})
    _register_outlets(broker, "backfill_raw", {"copy": [RAW]})
    assets = af.AssetApi(api("viewer"))
    listed = {a.name: a for a in assets.get_assets().assets}
    assert [(p.dag_id, p.task_id) for p in listed["raw"].producing_tasks] == [
        ("backfill_raw", "copy"), ("load", "write_both"), ("load", "write_raw")]  # fmt: skip
    assert [(p.dag_id, p.task_id) for p in listed["clean"].producing_tasks] == [("load", "write_both")]
    one = assets.get_asset(listed["clean"].id)
    [ref] = one.producing_tasks
    assert (ref.dag_id, ref.task_id, ref.created_at, ref.updated_at) == (
        "load", "write_both", one.created_at, one.created_at)  # fmt: skip
    assert one.consuming_tasks == [] and listed["raw"].consuming_tasks == []  # riir registers no inlets


def test_producing_tasks_follow_the_newest_registration_and_a_page_of_assets(broker, api):
    _register_outlets(broker, "load", {"write_raw": [RAW], "write_clean": [CLEAN]})
    _register_outlets(broker, "load", {"write_raw": [], "write_clean": [CLEAN]})  # registered again
    broker.store.record_asset_event(AssetEventRecord(name="other", uri="s3://bucket/other"))
    assets = af.AssetApi(api("viewer"))
    page = assets.get_assets(order_by=["name"], limit=2).assets
    assert [(a.name, [p.task_id for p in a.producing_tasks]) for a in page] == [
        ("clean", ["write_clean"]), ("other", [])]  # fmt: skip
    assert assets.get_asset(_asset_id(assets, RAW.uri)).producing_tasks == []

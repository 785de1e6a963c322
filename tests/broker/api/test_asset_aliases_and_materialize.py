"""Asset aliases (`/assets/aliases`) and asset materialization (`/assets/{asset_id}/materialize`)
through the official client, on SQLite and PostgreSQL: aliases get stable ids from whatever names
them (a schedule, a registered task's outlets, an event); materializing triggers a run of the one
DAG whose task produces the asset, through the manual-trigger path."""

from __future__ import annotations

import airflow_client.client as af
import pytest
from airflow_client.client.exceptions import ApiException

from riir_airflow.sdk.assets import Asset, AssetAlias, condition_to_json
from riir_airflow.store.records import AssetEventRecord
from riir_airflow.wire.messages import CommandKind, SerializedDag, SerializedTask

from ..conftest import T0
from .conftest import pending, register_dag
from .test_assets import _asset_id, _status

TABLE = Asset("table", "s3://bucket/table")
OTHER = Asset("other", "s3://bucket/other")


def _register_producer(broker, dag_id: str, outlets: list, *, allowed_run_types: list[str] | None = None) -> None:  # type: ignore[no-untyped-def]
    """Register `dag_id` as an app would: task `extract` (no outlets), then `load` with `outlets`."""
    serialized = SerializedDag(
        dag_id=dag_id, fileloc=f"/dags/{dag_id}.py", schedule=None, start_date=T0, is_paused_upon_creation=False,
        tasks=[SerializedTask(task_id="extract", downstream_task_ids=["load"]),
               SerializedTask(task_id="load", outlets=condition_to_json(outlets) if outlets else None)],
        allowed_run_types=allowed_run_types,
    )  # fmt: skip
    broker.registry.sync_dags([serialized], code_hash=f"hash-{dag_id}", now=broker.clock.now())


def test_aliases_named_by_a_schedule_task_outlets_or_an_event_are_listed_with_stable_ids(broker, api):
    register_dag(broker, "consumer")
    broker.store.register_dag_schedule("consumer", condition_to_json([TABLE, AssetAlias("scheduled")]))
    _register_producer(broker, "producer", [TABLE, AssetAlias("emitted", group="etl")])
    broker.store.record_asset_event(AssetEventRecord(name="other", uri=OTHER.uri, source_aliases=["from_event"]))
    aliases = af.AssetApi(api("viewer"))
    listed = aliases.get_asset_aliases(order_by=["name"])
    assert [(a.name, a.group) for a in listed.asset_aliases] == [
        ("emitted", "etl"), ("from_event", "asset"), ("scheduled", "asset")]  # fmt: skip
    assert listed.total_entries == 3
    ids = {a.name: a.id for a in listed.asset_aliases}
    # Airflow's spec gives get_asset_alias no response model: the client answers the JSON object
    assert aliases.get_asset_alias(ids["emitted"]) == {"id": ids["emitted"], "name": "emitted", "group": "etl"}

    _register_producer(broker, "producer", [TABLE, AssetAlias("emitted", group="etl")])  # registers again
    broker.store.record_asset_event(AssetEventRecord(name="other", uri=OTHER.uri, source_aliases=["emitted"]))
    assert {a.name: a.id for a in aliases.get_asset_aliases().asset_aliases} == ids


def test_alias_list_pages_sorts_and_filters_by_name_as_airflow(broker, api):
    broker.store.register_dag_schedule(
        "consumer", condition_to_json([AssetAlias("orders_daily"), AssetAlias("orders_hourly"), AssetAlias("users")])
    )
    aliases = af.AssetApi(api("viewer"))
    assert [a.name for a in aliases.get_asset_aliases(order_by=["-name"]).asset_aliases] == [
        "users", "orders_hourly", "orders_daily"]  # fmt: skip
    page = aliases.get_asset_aliases(order_by=["name"], limit=1, offset=1)
    assert [a.name for a in page.asset_aliases] == ["orders_hourly"] and page.total_entries == 3
    assert aliases.get_asset_aliases(name_pattern="HOUR").total_entries == 1
    assert aliases.get_asset_aliases(name_prefix_pattern="orders_").total_entries == 2
    assert _status(aliases.get_asset_aliases, order_by=["uri"]) == 400


def test_unknown_alias_id_is_404_with_airflows_detail(broker, api):
    with pytest.raises(ApiException) as err:
        af.AssetApi(api("viewer")).get_asset_alias(999_999)
    assert err.value.status == 404
    assert "The Asset Alias with ID: `999999` was not found" in err.value.body


def test_materialize_triggers_a_queued_asset_materialization_run_of_the_producing_dag(broker, api):
    _register_producer(broker, "producer", [TABLE])
    assets = af.AssetApi(api("user"))
    table_id = _asset_id(assets, TABLE.uri)  # registering the producer made the asset exist
    run = assets.materialize_asset(table_id)
    assert (run.dag_id, run.run_type.value, run.state.value) == ("producer", "asset_materialization", "queued")
    assert run.dag_run_id.startswith("asset_materialization__") and run.logical_date is None
    assert run.triggered_by.value == "rest_api"
    [command] = [c for c in pending(broker, "producer") if c.kind is CommandKind.TRIGGER_RUN]
    assert command.run_id == run.dag_run_id  # the app is told, as for a manual trigger

    named = assets.materialize_asset(
        table_id, af.MaterializeAssetBody(dag_run_id="rebuild", conf={"full": True}, note="by hand")
    )
    assert (named.dag_run_id, named.conf, named.note) == ("rebuild", {"full": True}, "by hand")
    assert _status(assets.materialize_asset, table_id, af.MaterializeAssetBody(dag_run_id="rebuild")) == 409
    listed = af.DagRunApi(api("viewer")).get_dag_runs("producer")
    assert listed.total_entries == 2


def test_materialize_is_404_for_an_unknown_asset_or_one_no_dag_produces(broker, api):
    register_dag(broker, "consumer")
    broker.store.register_dag_schedule("consumer", condition_to_json(OTHER))
    assets = af.AssetApi(api("user"))
    with pytest.raises(ApiException) as err:
        assets.materialize_asset(999_999)
    assert err.value.status == 404 and "No Dag materializes asset with ID: 999999" in err.value.body
    assert _status(assets.materialize_asset, _asset_id(assets, OTHER.uri)) == 404  # scheduled on, produced by none


def test_materialize_is_409_when_several_dags_produce_the_asset(broker, api):
    _register_producer(broker, "first", [TABLE])
    _register_producer(broker, "second", [TABLE, AssetAlias("a")])
    assets = af.AssetApi(api("user"))
    with pytest.raises(ApiException) as err:
        assets.materialize_asset(_asset_id(assets, TABLE.uri))
    assert err.value.status == 409 and "More than one Dag materializes asset" in err.value.body
    _register_producer(broker, "second", [])  # the second DAG's new version produces nothing
    assert assets.materialize_asset(_asset_id(assets, TABLE.uri)).dag_id == "first"


def test_materialize_is_400_when_the_dag_does_not_allow_asset_materialization_runs(broker, api):
    _register_producer(broker, "producer", [TABLE], allowed_run_types=["manual", "scheduled"])
    assets = af.AssetApi(api("user"))
    with pytest.raises(ApiException) as err:
        assets.materialize_asset(_asset_id(assets, TABLE.uri))
    assert err.value.status == 400 and "does not allow asset materialization runs" in err.value.body
    assert af.DagRunApi(api("viewer")).get_dag_runs("producer").total_entries == 0


def test_viewers_may_not_materialize(broker, api):
    _register_producer(broker, "producer", [TABLE])
    assets = af.AssetApi(api("viewer"))
    assert _status(assets.materialize_asset, _asset_id(assets, TABLE.uri)) == 403
    assert af.DagRunApi(api("viewer")).get_dag_runs("producer").total_entries == 0


def test_retiring_the_producing_dag_forgets_what_it_produced(broker, api):
    _register_producer(broker, "producer", [TABLE])
    broker.registry.retire_dag("producer")
    assets = af.AssetApi(api("user"))
    assert _status(assets.materialize_asset, _asset_id(assets, TABLE.uri)) == 404

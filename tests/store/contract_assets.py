"""Store contract, assets: events, the registry of asset-scheduled DAGs, and their run queue.

Mixed into `StoreContract`. Triggering is pinned as Airflow's scheduler does it: an event
queues news of its asset for each registered DAG whose condition mentions it; a DAG is
triggered when its condition holds over its queued news; consuming the queue (what creating
an asset-triggered run does) starts the count again. Conditions are given as
`sdk.assets.condition_to_json` writes them.
"""

from __future__ import annotations

import datetime

import pytest

from riir_airflow.sdk.assets import Asset, AssetAlias, condition_to_json
from riir_airflow.store import Store
from riir_airflow.store.records import AssetEventRecord

from .contract_support import assert_utc, at, run

__all__ = ["AssetContract"]

A, B, C = Asset("s3://bucket/a"), Asset("s3://bucket/b"), Asset("s3://bucket/c")


def event(asset: Asset = A, *, hour: int | None = 0, **fields: object) -> AssetEventRecord:
    """An event of `asset` at 2024-01-01 `hour`:00 UTC (None: let the store stamp it)."""
    return AssetEventRecord(
        name=asset.name,
        uri=asset.uri,
        timestamp=None if hour is None else at(1, hour),
        **fields,  # type: ignore[arg-type]
    )


class AssetContract:
    # -- events ---------------------------------------------------------------------------
    def test_recorded_event_comes_back_with_an_id_and_every_field(self, store: Store) -> None:
        stored = store.record_asset_event(
            event(
                A,
                hour=3,
                group="sales",
                extra={"rows": 3, "nested": {"k": [1, None]}},
                source_dag_id="producer",
                source_run_id="r1",
                source_task_id="t1",
                source_map_index=2,
                source_aliases=["al"],
            )
        )
        assert stored.id is not None
        (got,) = store.get_asset_events()
        assert got == stored
        assert (got.name, got.uri, got.group, got.extra) == (
            A.name, A.uri, "sales", {"rows": 3, "nested": {"k": [1, None]}},
        )  # fmt: skip
        assert (got.source_dag_id, got.source_run_id, got.source_task_id, got.source_map_index) == (
            "producer", "r1", "t1", 2,
        )  # fmt: skip
        assert got.source_aliases == ["al"]
        assert got.timestamp == at(1, 3)
        assert_utc(got.timestamp)

    def test_event_ids_increase_in_recording_order(self, store: Store) -> None:
        ids = [store.record_asset_event(event(hour=5 - i)).id for i in range(3)]
        assert ids == sorted(ids) and len(set(ids)) == 3

    def test_event_without_timestamp_is_stamped_now_in_utc(self, store: Store) -> None:
        before = datetime.datetime.now(datetime.UTC)
        stored = store.record_asset_event(event(hour=None))
        assert_utc(stored.timestamp)
        assert (
            before - datetime.timedelta(seconds=1)
            <= stored.timestamp
            <= datetime.datetime.now(datetime.UTC) + datetime.timedelta(seconds=1)
        )

    def test_event_with_naive_timestamp_is_refused(self, store: Store) -> None:
        with pytest.raises(ValueError, match="naive"):
            store.record_asset_event(
                AssetEventRecord(name="a", uri="a", timestamp=datetime.datetime(2024, 1, 1))
            )
        assert store.get_asset_events() == []

    def test_get_asset_events_filters_by_name_uri_source_and_alias(self, store: Store) -> None:
        store.record_asset_event(event(A, source_dag_id="p1", source_run_id="r1"))
        store.record_asset_event(event(B, hour=1, source_dag_id="p1", source_run_id="r2"))
        store.record_asset_event(
            event(A, hour=2, source_dag_id="p2", source_run_id="r1", source_aliases=["al"])
        )
        uris = lambda events: [(e.uri, e.timestamp.hour) for e in events]
        assert uris(store.get_asset_events(uri=A.uri)) == [(A.uri, 0), (A.uri, 2)]
        assert uris(store.get_asset_events(name=B.name)) == [(B.uri, 1)]
        assert uris(store.get_asset_events(source_dag_id="p1")) == [(A.uri, 0), (B.uri, 1)]
        assert uris(store.get_asset_events(source_dag_id="p1", source_run_id="r1")) == [(A.uri, 0)]
        assert uris(store.get_asset_events(source_alias="al")) == [(A.uri, 2)]
        assert store.get_asset_events(uri="s3://nope") == []
        assert store.get_asset_events(uri=A.uri, source_dag_id="p9") == []

    def test_get_asset_events_orders_by_timestamp_then_id_and_limit_cuts_after_ordering(
        self, store: Store
    ) -> None:
        late = store.record_asset_event(event(hour=5))
        early = store.record_asset_event(event(hour=1))
        tie = store.record_asset_event(event(hour=5))
        ids = lambda events: [e.id for e in events]
        assert ids(store.get_asset_events()) == [early.id, late.id, tie.id]
        assert ids(store.get_asset_events(descending=True)) == [tie.id, late.id, early.id]
        assert ids(store.get_asset_events(descending=True, limit=1)) == [tie.id]
        assert ids(store.get_asset_events(limit=2)) == [early.id, late.id]
        assert store.get_asset_events(limit=0) == []
        with pytest.raises(ValueError):
            store.get_asset_events(limit=-1)

    def test_get_asset_events_after_and_before_are_exclusive(self, store: Store) -> None:
        for hour in (1, 2, 3, 4):
            store.record_asset_event(event(hour=hour))
        got = store.get_asset_events(after=at(1, 1), before=at(1, 4))
        assert [e.timestamp.hour for e in got] == [2, 3]

    def test_mutating_an_event_record_does_not_change_the_store(self, store: Store) -> None:
        record = event(extra={"a": [1]})
        stored = store.record_asset_event(record)
        record.extra["a"].append(2)
        stored.extra["a"].append(3)
        store.get_asset_events()[0].extra["b"] = 1
        assert store.get_asset_events()[0].extra == {"a": [1]}

    def test_asset_events_outlive_the_run_that_emitted_them(self, store: Store) -> None:
        store.create_dag_run(run("r1"))
        store.record_asset_event(event(source_dag_id="dag_a", source_run_id="r1"))
        store.delete_dag_run("dag_a", "r1")
        assert [e.source_run_id for e in store.get_asset_events()] == ["r1"]

    # -- the registry -----------------------------------------------------------------------
    def test_registered_condition_is_kept_per_dag_and_none_forgets_it(self, store: Store) -> None:
        text = condition_to_json(A | B)
        store.register_dag_schedule("consumer", text)
        assert store.get_dag_schedule("consumer") == text
        assert store.get_dag_schedule("other") is None
        store.register_dag_schedule("consumer", None)
        assert store.get_dag_schedule("consumer") is None
        store.register_dag_schedule("consumer", None)  # forgetting twice is harmless

    def test_registering_text_that_is_no_condition_raises_value_error(self, store: Store) -> None:
        for bad in ("not json", '{"what": 1}', '{"asset": {}}'):
            with pytest.raises(ValueError):
                store.register_dag_schedule("consumer", bad)
        assert store.get_dag_schedule("consumer") is None

    # -- triggering -----------------------------------------------------------------------
    def test_any_condition_is_triggered_by_the_first_event_of_either_asset(self, store: Store) -> None:
        store.register_dag_schedule("consumer", condition_to_json(A | B))
        assert store.dags_triggered_by() == []
        b_event = store.record_asset_event(event(B))
        assert store.dags_triggered_by(b_event) == ["consumer"]
        assert store.dags_triggered_by() == ["consumer"]

    def test_all_condition_waits_until_every_asset_has_an_event(self, store: Store) -> None:
        store.register_dag_schedule("consumer", condition_to_json([A, B]))
        first = store.record_asset_event(event(A))
        again = store.record_asset_event(event(A, hour=1))
        assert store.dags_triggered_by(first) == [] and store.dags_triggered_by(again) == []
        last = store.record_asset_event(event(B, hour=2))
        assert store.dags_triggered_by(last) == ["consumer"]

    def test_nested_condition_evaluates_over_the_queued_assets(self, store: Store) -> None:
        store.register_dag_schedule("consumer", condition_to_json((A | B) & C))
        store.record_asset_event(event(B))
        assert store.dags_triggered_by() == []
        store.record_asset_event(event(C, hour=1))
        assert store.dags_triggered_by() == ["consumer"]

    def test_triggered_by_an_event_lists_only_dags_whose_condition_mentions_it(self, store: Store) -> None:
        store.register_dag_schedule("on_a", condition_to_json(A))
        store.register_dag_schedule("on_b", condition_to_json(B))
        store.register_dag_schedule("on_a_or_b", condition_to_json(A | B))
        store.record_asset_event(event(B))
        a_event = store.record_asset_event(event(A, hour=1))
        assert store.dags_triggered_by(a_event) == ["on_a", "on_a_or_b"]
        assert store.dags_triggered_by() == ["on_a", "on_a_or_b", "on_b"]

    def test_events_recorded_before_a_dag_registered_do_not_count_for_it(self, store: Store) -> None:
        store.record_asset_event(event(A))
        store.register_dag_schedule("consumer", condition_to_json(A))
        assert store.dags_triggered_by() == []
        store.record_asset_event(event(A, hour=1))
        assert store.dags_triggered_by() == ["consumer"]

    def test_unregistered_dags_are_never_triggered(self, store: Store) -> None:
        store.register_dag_schedule("consumer", condition_to_json(A))
        store.record_asset_event(event(A))
        store.register_dag_schedule("consumer", None)
        assert store.dags_triggered_by() == []
        store.register_dag_schedule("consumer", condition_to_json(A))
        assert store.dags_triggered_by() == []  # its queue went with it

    def test_alias_condition_is_triggered_by_events_emitted_through_the_alias(self, store: Store) -> None:
        store.register_dag_schedule("consumer", condition_to_json(AssetAlias("daily")))
        store.record_asset_event(event(A))
        assert store.dags_triggered_by() == []
        through = store.record_asset_event(event(B, hour=1, source_aliases=["daily"]))
        assert store.dags_triggered_by(through) == ["consumer"]

    def test_asset_condition_is_triggered_by_its_asset_even_through_an_alias(self, store: Store) -> None:
        store.register_dag_schedule("consumer", condition_to_json(B))
        through = store.record_asset_event(event(B, source_aliases=["daily"]))
        assert store.dags_triggered_by(through) == ["consumer"]

    def test_reregistering_drops_queued_news_of_assets_no_longer_mentioned(self, store: Store) -> None:
        store.register_dag_schedule("consumer", condition_to_json(A | B))
        store.record_asset_event(event(A))
        store.record_asset_event(event(B, hour=1))
        store.register_dag_schedule("consumer", condition_to_json([A, C]))
        assert store.dags_triggered_by() == []  # A is still queued, B's news is gone
        store.record_asset_event(event(C, hour=2))
        assert store.dags_triggered_by() == ["consumer"]
        assert [e.uri for e in store.consume_asset_dag_run_queue("consumer")] == [A.uri, C.uri]

    # -- consuming ------------------------------------------------------------------------
    def test_consuming_returns_the_events_since_queued_and_starts_the_count_again(self, store: Store) -> None:
        store.record_asset_event(event(A))  # before registration: not the DAG's
        store.register_dag_schedule("consumer", condition_to_json([A, B]))
        store.register_dag_schedule("bystander", condition_to_json(A))
        a1 = store.record_asset_event(event(A, hour=1))
        a2 = store.record_asset_event(event(A, hour=2))
        b1 = store.record_asset_event(event(B, hour=3))
        assert store.dags_triggered_by() == ["bystander", "consumer"]
        consumed = store.consume_asset_dag_run_queue("consumer")
        assert [e.id for e in consumed] == [a1.id, a2.id, b1.id]
        assert store.dags_triggered_by() == ["bystander"]  # other DAGs' queues are untouched
        assert store.consume_asset_dag_run_queue("consumer") == []
        store.record_asset_event(event(B, hour=4))
        assert store.dags_triggered_by() == ["bystander"]  # A needs news again
        a3 = store.record_asset_event(event(A, hour=5))
        assert store.dags_triggered_by(a3) == ["bystander", "consumer"]

    def test_consuming_for_a_run_makes_the_events_that_runs_triggering_events(self, store: Store) -> None:
        store.register_dag_schedule("dag_a", condition_to_json(A | AssetAlias("daily")))
        a1 = store.record_asset_event(event(A))
        via = store.record_asset_event(event(C, hour=1, source_aliases=["daily"]))
        store.create_dag_run(run("r1", day=None, run_type="asset_triggered"))
        consumed = store.consume_asset_dag_run_queue("dag_a", run_id="r1")
        assert [e.id for e in consumed] == [a1.id, via.id]
        assert [e.id for e in store.get_dag_run_asset_events("dag_a", "r1")] == [a1.id, via.id]
        assert store.get_dag_run_asset_events("dag_a", "other") == []
        store.delete_dag_run("dag_a", "r1")
        assert store.get_dag_run_asset_events("dag_a", "r1") == []
        assert len(store.get_asset_events()) == 2  # the events themselves stay

    def test_consuming_for_a_missing_run_raises_key_error_and_keeps_the_queue(self, store: Store) -> None:
        store.register_dag_schedule("dag_a", condition_to_json(A))
        store.record_asset_event(event(A))
        with pytest.raises(KeyError):
            store.consume_asset_dag_run_queue("dag_a", run_id="nope")
        assert store.dags_triggered_by() == ["dag_a"]

"""Store contract, DAG runs: create, uniqueness, get, update, list (filters, order, limit), delete.

Mixed into `StoreContract`; every test receives an empty store from the subclass's `store`
fixture.
"""

from __future__ import annotations

import pendulum
import pytest

from riir_airflow.sdk.state import DagRunState, TaskInstanceState
from riir_airflow.store import DagRunAlreadyExists, Store

from .contract_support import assert_utc, at, run, ti, xcom

__all__ = ["RunContract"]


class RunContract:
    # -- create / get ---------------------------------------------------------------------
    def test_create_dag_run_round_trips_every_field(self, store: Store) -> None:
        record = run(
            "r1",
            state=DagRunState.RUNNING,
            data_interval_start=at(1),
            data_interval_end=at(2),
            start_date=at(2, 1),
            end_date=at(2, 2),
            conf={"a": [1, 2, {"b": None}], "s": "x"},
            triggered_by="cli",
            note="hello",
            clear_number=2,
        )
        created = store.create_dag_run(record)
        assert created == record
        assert store.get_dag_run("dag_a", "r1") == record

    def test_create_dag_run_returns_states_as_enums(self, store: Store) -> None:
        created = store.create_dag_run(run("r1", state=DagRunState.SUCCESS))
        assert created.state is DagRunState.SUCCESS
        assert store.get_dag_run("dag_a", "r1").state is DagRunState.SUCCESS

    def test_get_dag_run_of_unknown_run_is_none(self, store: Store) -> None:
        store.create_dag_run(run("r1"))
        assert store.get_dag_run("dag_a", "nope") is None
        assert store.get_dag_run("other_dag", "r1") is None

    def test_create_dag_run_with_taken_run_id_raises_and_keeps_the_first(self, store: Store) -> None:
        store.create_dag_run(run("r1", day=1, note="first"))
        with pytest.raises(DagRunAlreadyExists):
            store.create_dag_run(run("r1", day=2, note="second"))
        assert store.get_dag_run("dag_a", "r1").note == "first"
        assert len(store.list_dag_runs("dag_a")) == 1

    def test_create_dag_run_with_taken_logical_date_raises(self, store: Store) -> None:
        store.create_dag_run(run("r1", day=1))
        with pytest.raises(DagRunAlreadyExists):
            store.create_dag_run(run("r2", day=1))
        assert store.get_dag_run("dag_a", "r2") is None

    def test_taken_logical_date_is_the_same_instant_in_any_timezone(self, store: Store) -> None:
        store.create_dag_run(run("r1", day=1))
        same_instant = at(1).in_timezone("Europe/Paris")
        with pytest.raises(DagRunAlreadyExists):
            store.create_dag_run(run("r2", logical_date=same_instant))

    def test_same_run_id_and_logical_date_in_another_dag_are_allowed(self, store: Store) -> None:
        store.create_dag_run(run("r1", day=1))
        store.create_dag_run(run("r1", day=1, dag_id="dag_b"))
        assert store.get_dag_run("dag_b", "r1") is not None

    def test_runs_without_logical_date_never_clash(self, store: Store) -> None:
        for i in range(3):
            store.create_dag_run(run(f"manual_{i}", day=None, run_after=at(5, i)))
        assert [r.run_id for r in store.list_dag_runs("dag_a")] == ["manual_0", "manual_1", "manual_2"]
        assert all(r.logical_date is None for r in store.list_dag_runs("dag_a"))

    # -- update ---------------------------------------------------------------------------
    def test_update_dag_run_sets_only_the_given_fields(self, store: Store) -> None:
        store.create_dag_run(run("r1", note="keep", start_date=at(1, 1)))
        store.update_dag_run("dag_a", "r1", state=DagRunState.RUNNING, end_date=at(1, 5))
        got = store.get_dag_run("dag_a", "r1")
        assert got.state is DagRunState.RUNNING
        assert got.end_date == at(1, 5)
        assert got.start_date == at(1, 1)
        assert got.note == "keep"
        store.update_dag_run("dag_a", "r1", start_date=at(1, 2), note="changed")
        got = store.get_dag_run("dag_a", "r1")
        assert (got.state, got.start_date, got.end_date, got.note) == (
            DagRunState.RUNNING,
            at(1, 2),
            at(1, 5),
            "changed",
        )

    def test_update_dag_run_with_no_fields_changes_nothing(self, store: Store) -> None:
        created = store.create_dag_run(run("r1"))
        store.update_dag_run("dag_a", "r1")
        assert store.get_dag_run("dag_a", "r1") == created

    def test_update_dag_run_touches_only_that_run(self, store: Store) -> None:
        store.create_dag_run(run("r1", day=1))
        store.create_dag_run(run("r2", day=2))
        store.update_dag_run("dag_a", "r1", state=DagRunState.FAILED)
        assert store.get_dag_run("dag_a", "r2").state is DagRunState.QUEUED

    # -- list -----------------------------------------------------------------------------
    def _mixed_runs(self, store: Store) -> None:
        """Scheduled runs on days 1..4 (r1..r4) and a manual run without logical date whose
        run_after (day 2, 12:00) sorts it between r2 and r3; plus a run of another DAG."""
        for day in (3, 1, 4, 2):  # inserted out of order on purpose
            state = DagRunState.SUCCESS if day % 2 else DagRunState.FAILED
            store.create_dag_run(run(f"r{day}", day=day, state=state))
        store.create_dag_run(run("m", day=None, run_after=at(2, 12), run_type="manual"))
        store.create_dag_run(run("r1", day=1, dag_id="dag_b"))

    def test_list_dag_runs_orders_by_logical_date_or_run_after(self, store: Store) -> None:
        self._mixed_runs(store)
        assert [r.run_id for r in store.list_dag_runs("dag_a")] == ["r1", "r2", "m", "r3", "r4"]

    def test_list_dag_runs_breaks_ties_by_run_id(self, store: Store) -> None:
        for run_id in ("b", "c", "a"):
            store.create_dag_run(run(run_id, day=None, run_after=at(3)))
        assert [r.run_id for r in store.list_dag_runs("dag_a")] == ["a", "b", "c"]
        assert [r.run_id for r in store.list_dag_runs("dag_a", descending=True)] == ["c", "b", "a"]

    def test_list_dag_runs_descending_reverses_the_order(self, store: Store) -> None:
        self._mixed_runs(store)
        runs = store.list_dag_runs("dag_a", descending=True)
        assert [r.run_id for r in runs] == ["r4", "r3", "m", "r2", "r1"]

    def test_list_dag_runs_limit_keeps_the_first_n_in_the_requested_order(self, store: Store) -> None:
        self._mixed_runs(store)
        assert [r.run_id for r in store.list_dag_runs("dag_a", limit=2)] == ["r1", "r2"]
        assert [r.run_id for r in store.list_dag_runs("dag_a", limit=2, descending=True)] == ["r4", "r3"]
        assert store.list_dag_runs("dag_a", limit=0) == []
        assert len(store.list_dag_runs("dag_a", limit=50)) == 5

    def test_list_dag_runs_returns_only_runs_of_that_dag(self, store: Store) -> None:
        self._mixed_runs(store)
        assert [(r.dag_id, r.run_id) for r in store.list_dag_runs("dag_b")] == [("dag_b", "r1")]
        assert store.list_dag_runs("no_such_dag") == []

    def test_list_dag_runs_filters_by_states(self, store: Store) -> None:
        self._mixed_runs(store)
        runs = store.list_dag_runs("dag_a", states=[DagRunState.SUCCESS])
        assert [r.run_id for r in runs] == ["r1", "r3"]
        runs = store.list_dag_runs("dag_a", states=[DagRunState.FAILED, DagRunState.QUEUED])
        assert [r.run_id for r in runs] == ["r2", "m", "r4"]

    def test_list_dag_runs_filters_by_run_types(self, store: Store) -> None:
        self._mixed_runs(store)
        assert [r.run_id for r in store.list_dag_runs("dag_a", run_types=["manual"])] == ["m"]
        runs = store.list_dag_runs("dag_a", run_types=["scheduled", "backfill"])
        assert [r.run_id for r in runs] == ["r1", "r2", "r3", "r4"]

    def test_an_empty_filter_sequence_matches_no_run(self, store: Store) -> None:
        self._mixed_runs(store)
        assert store.list_dag_runs("dag_a", states=[]) == []
        assert store.list_dag_runs("dag_a", run_types=[]) == []

    def test_logical_date_bounds_are_exclusive(self, store: Store) -> None:
        self._mixed_runs(store)
        assert [r.run_id for r in store.list_dag_runs("dag_a", logical_date_before=at(3))] == ["r1", "r2"]
        assert [r.run_id for r in store.list_dag_runs("dag_a", logical_date_after=at(3))] == ["r4"]
        runs = store.list_dag_runs("dag_a", logical_date_after=at(1), logical_date_before=at(4))
        assert [r.run_id for r in runs] == ["r2", "r3"]

    def test_logical_date_bounds_compare_instants_across_timezones(self, store: Store) -> None:
        self._mixed_runs(store)
        # 2024-01-03T00:30+01:00 is 2024-01-02T23:30Z: r3 (day 3, 00:00Z) is after it.
        bound = pendulum.datetime(2024, 1, 3, 0, 30, tz=pendulum.fixed_timezone(3600))
        assert [r.run_id for r in store.list_dag_runs("dag_a", logical_date_after=bound)] == ["r3", "r4"]

    def test_logical_date_bounds_exclude_runs_without_logical_date(self, store: Store) -> None:
        self._mixed_runs(store)
        runs = store.list_dag_runs("dag_a", logical_date_after=at(1))
        assert "m" not in [r.run_id for r in runs]

    def test_list_dag_runs_filters_combine(self, store: Store) -> None:
        self._mixed_runs(store)
        runs = store.list_dag_runs(
            "dag_a",
            states=[DagRunState.SUCCESS, DagRunState.FAILED],
            run_types=["scheduled"],
            logical_date_before=at(4),
            limit=2,
            descending=True,
        )
        assert [r.run_id for r in runs] == ["r3", "r2"]

    # -- delete ---------------------------------------------------------------------------
    def _populate(self, store: Store, run_id: str, day: int) -> None:
        store.create_dag_run(run(run_id, day=day))
        store.put_task_instances([ti("t1", run_id=run_id, state=TaskInstanceState.SUCCESS, try_number=1)])
        store.set_xcom(xcom("t1", run_id=run_id, value='"v"'))
        store.set_rendered_fields("dag_a", run_id, "t1", -1, {"bash_command": "echo"})
        store.append_log("dag_a", run_id, "t1", -1, 1, "line\n")

    def test_delete_dag_run_cascades_to_everything_of_the_run(self, store: Store) -> None:
        self._populate(store, "r1", 1)
        store.delete_dag_run("dag_a", "r1")
        assert store.get_dag_run("dag_a", "r1") is None
        assert store.get_task_instances("dag_a", "r1") == []
        # Recreating the run proves nothing was left behind under the same keys.
        store.create_dag_run(run("r1", day=1))
        assert store.get_task_instances("dag_a", "r1") == []
        assert store.get_task_instance_tries("dag_a", "r1", "t1") == []
        assert store.get_xcoms("dag_a", run_id="r1") == []
        assert store.get_rendered_fields("dag_a", "r1", "t1") is None
        assert store.read_log("dag_a", "r1", "t1", -1, 1) == ""

    def test_delete_dag_run_leaves_other_runs_untouched(self, store: Store) -> None:
        self._populate(store, "r1", 1)
        self._populate(store, "r2", 2)
        store.delete_dag_run("dag_a", "r1")
        assert store.get_dag_run("dag_a", "r2") is not None
        assert len(store.get_task_instances("dag_a", "r2")) == 1
        assert len(store.get_task_instance_tries("dag_a", "r2", "t1")) == 1
        assert len(store.get_xcoms("dag_a", run_id="r2")) == 1
        assert store.get_rendered_fields("dag_a", "r2", "t1") == {"bash_command": "echo"}
        assert store.read_log("dag_a", "r2", "t1", -1, 1) == "line\n"

    def test_delete_dag_run_frees_its_logical_date(self, store: Store) -> None:
        store.create_dag_run(run("r1", day=1))
        store.delete_dag_run("dag_a", "r1")
        store.create_dag_run(run("r1_again", day=1))
        assert [r.run_id for r in store.list_dag_runs("dag_a")] == ["r1_again"]

    def test_delete_unknown_dag_run_is_a_no_op(self, store: Store) -> None:
        store.create_dag_run(run("r1"))
        store.delete_dag_run("dag_a", "nope")
        store.delete_dag_run("other", "r1")
        assert store.get_dag_run("dag_a", "r1") is not None

    def test_returned_run_datetimes_are_utc_pendulum(self, store: Store) -> None:
        paris = "Europe/Paris"
        store.create_dag_run(
            run(
                "r1",
                logical_date=at(1).in_timezone(paris),
                run_after=at(1).in_timezone(paris),
                data_interval_start=at(1).in_timezone(paris),
                data_interval_end=at(2).in_timezone(paris),
                start_date=at(2).in_timezone(paris),
                end_date=at(3).in_timezone(paris),
            )
        )
        got = store.get_dag_run("dag_a", "r1")
        for value in (got.logical_date, got.run_after, got.data_interval_start, got.data_interval_end,
                      got.start_date, got.end_date):  # fmt: skip
            assert_utc(value)
        assert got.logical_date == at(1)
        assert got.end_date == at(3)

    # -- requeue --------------------------------------------------------------------------
    def test_requeue_dag_run_makes_a_finished_run_queued_again_and_counts_the_clear(self, store: Store) -> None:
        store.create_dag_run(
            run("r1", state=DagRunState.FAILED, start_date=at(1, 1), end_date=at(1, 2), conf={"a": 1}, clear_number=1)
        )
        store.put_task_instances([ti("t1", state=TaskInstanceState.FAILED, try_number=2)])
        got = store.requeue_dag_run("dag_a", "r1")
        assert (got.state, got.start_date, got.end_date, got.clear_number) == (DagRunState.QUEUED, None, None, 2)
        assert (got.run_type, got.conf, got.logical_date) == ("scheduled", {"a": 1}, at(1))
        assert store.get_dag_run("dag_a", "r1") == got
        assert store.get_task_instance("dag_a", "r1", "t1").state is TaskInstanceState.FAILED  # left alone

    def test_requeue_dag_run_replaces_run_type_triggered_by_and_conf_when_given(self, store: Store) -> None:
        store.create_dag_run(run("r1", run_type="manual", state=DagRunState.SUCCESS, triggered_by="cli"))
        got = store.requeue_dag_run("dag_a", "r1", run_type="backfill", triggered_by="backfill", conf={"x": [1]})
        assert (got.run_type, got.triggered_by, got.conf, got.run_id) == ("backfill", "backfill", {"x": [1]}, "r1")

    def test_requeue_unknown_dag_run_raises_key_error(self, store: Store) -> None:
        with pytest.raises(KeyError):
            store.requeue_dag_run("dag_a", "missing")

"""Store contract, XCom: set/replace, filters, ordering, include_prior_dates, delete.

Mixed into `StoreContract`. `include_prior_dates` is what `xcom_pull(include_prior_dates=True)`
and templates reading earlier runs rest on: every run of the DAG whose logical date is not after
this run's, newest run first; a run without a logical date sees only itself.
"""

from __future__ import annotations

from riir_airflow.store import Store

from .contract_support import assert_utc, at, run, xcom

__all__ = ["XComContract"]


def _keys(xcoms: list) -> list[tuple[str, str, int, str]]:
    return [(x.run_id, x.task_id, x.map_index, x.key) for x in xcoms]


class XComContract:
    def test_set_xcom_then_get_xcoms_returns_it_with_the_run_logical_date(self, store: Store) -> None:
        store.create_dag_run(run("r1", day=1))
        store.set_xcom(xcom("t1", "k", '{"a": 1}', timestamp=at(1, 5)))
        (got,) = store.get_xcoms("dag_a", run_id="r1")
        assert (got.dag_id, got.run_id, got.task_id, got.map_index, got.key, got.value) == (
            "dag_a", "r1", "t1", -1, "k", '{"a": 1}',
        )  # fmt: skip
        assert got.timestamp == at(1, 5)
        assert got.logical_date == at(1)
        assert_utc(got.timestamp)
        assert_utc(got.logical_date)

    def test_set_xcom_fills_a_missing_timestamp(self, store: Store) -> None:
        store.create_dag_run(run("r1"))
        store.set_xcom(xcom("t1"))
        (got,) = store.get_xcoms("dag_a", run_id="r1")
        assert_utc(got.timestamp)

    def test_xcom_logical_date_is_none_for_a_run_without_logical_date(self, store: Store) -> None:
        store.create_dag_run(run("m", day=None))
        store.set_xcom(xcom("t1", run_id="m"))
        (got,) = store.get_xcoms("dag_a", run_id="m")
        assert got.logical_date is None

    def test_set_xcom_replaces_the_value_of_the_same_key(self, store: Store) -> None:
        store.create_dag_run(run("r1"))
        store.set_xcom(xcom("t1", "k", "1"))
        store.set_xcom(xcom("t1", "k", "2"))
        assert [x.value for x in store.get_xcoms("dag_a", run_id="r1")] == ["2"]

    def test_xcoms_are_keyed_by_task_map_index_and_key(self, store: Store) -> None:
        store.create_dag_run(run("r1"))
        for x in (xcom("t1", "k"), xcom("t1", "k", map_index=0), xcom("t1", "k2"), xcom("t2", "k")):
            store.set_xcom(x)
        assert len(store.get_xcoms("dag_a", run_id="r1")) == 4

    def test_get_xcoms_orders_by_task_id_map_index_then_key(self, store: Store) -> None:
        store.create_dag_run(run("r1"))
        for x in (xcom("b", "z"), xcom("a", "y", map_index=1), xcom("b", "a"), xcom("a", "x", map_index=0),
                  xcom("a", "z")):  # fmt: skip
            store.set_xcom(x)
        assert _keys(store.get_xcoms("dag_a", run_id="r1")) == [
            ("r1", "a", -1, "z"), ("r1", "a", 0, "x"), ("r1", "a", 1, "y"), ("r1", "b", -1, "a"),
            ("r1", "b", -1, "z"),
        ]  # fmt: skip

    def test_get_xcoms_filters_by_task_ids_keys_and_map_indexes(self, store: Store) -> None:
        store.create_dag_run(run("r1"))
        for task_id in ("t1", "t2"):
            for key in ("k1", "k2"):
                for map_index in (-1, 0, 1):
                    store.set_xcom(xcom(task_id, key, map_index=map_index))
        got = store.get_xcoms("dag_a", run_id="r1", task_ids=["t2"])
        assert {x.task_id for x in got} == {"t2"} and len(got) == 6
        got = store.get_xcoms("dag_a", run_id="r1", keys=["k1"])
        assert {x.key for x in got} == {"k1"} and len(got) == 6
        got = store.get_xcoms("dag_a", run_id="r1", map_indexes=[0, 1])
        assert {x.map_index for x in got} == {0, 1} and len(got) == 8
        got = store.get_xcoms("dag_a", run_id="r1", task_ids=["t1"], keys=["k2"], map_indexes=[-1])
        assert _keys(got) == [("r1", "t1", -1, "k2")]

    def test_an_empty_xcom_filter_sequence_matches_nothing(self, store: Store) -> None:
        store.create_dag_run(run("r1"))
        store.set_xcom(xcom("t1"))
        assert store.get_xcoms("dag_a", run_id="r1", task_ids=[]) == []
        assert store.get_xcoms("dag_a", run_id="r1", keys=[]) == []
        assert store.get_xcoms("dag_a", run_id="r1", map_indexes=[]) == []

    def test_get_xcoms_of_an_unknown_run_is_empty(self, store: Store) -> None:
        store.create_dag_run(run("r1"))
        store.set_xcom(xcom("t1"))
        assert store.get_xcoms("dag_a", run_id="nope") == []
        assert store.get_xcoms("dag_a", run_id="nope", include_prior_dates=True) == []
        assert store.get_xcoms("dag_b", run_id="r1") == []

    # -- include_prior_dates --------------------------------------------------------------
    def _history(self, store: Store) -> None:
        """Runs on days 1, 2, 3 (r1..r3) and a manual run without logical date, each with one
        XCom from t1; dag_b has a run on day 1 with an XCom too."""
        for day in (1, 2, 3):
            store.create_dag_run(run(f"r{day}", day=day))
            store.set_xcom(xcom("t1", value=str(day), run_id=f"r{day}"))
        store.create_dag_run(run("m", day=None, run_after=at(2, 12)))
        store.set_xcom(xcom("t1", value='"manual"', run_id="m"))
        store.create_dag_run(run("r1", day=1, dag_id="dag_b"))
        store.set_xcom(xcom("t1", value='"b"', dag_id="dag_b"))

    def test_without_include_prior_dates_only_this_run_is_read(self, store: Store) -> None:
        self._history(store)
        assert [x.value for x in store.get_xcoms("dag_a", run_id="r2")] == ["2"]

    def test_include_prior_dates_reads_runs_not_after_this_one_newest_first(self, store: Store) -> None:
        self._history(store)
        got = store.get_xcoms("dag_a", run_id="r2", include_prior_dates=True)
        assert [(x.run_id, x.value) for x in got] == [("r2", "2"), ("r1", "1")]
        assert [x.logical_date for x in got] == [at(2), at(1)]
        got = store.get_xcoms("dag_a", run_id="r3", include_prior_dates=True)
        assert [x.run_id for x in got] == ["r3", "r2", "r1"]

    def test_include_prior_dates_ignores_runs_without_logical_date_and_other_dags(self, store: Store) -> None:
        self._history(store)
        got = store.get_xcoms("dag_a", run_id="r3", include_prior_dates=True)
        assert "m" not in {x.run_id for x in got}
        assert {x.dag_id for x in got} == {"dag_a"}

    def test_include_prior_dates_for_a_run_without_logical_date_reads_only_it(self, store: Store) -> None:
        self._history(store)
        got = store.get_xcoms("dag_a", run_id="m", include_prior_dates=True)
        assert [(x.run_id, x.value) for x in got] == [("m", '"manual"')]

    def test_include_prior_dates_orders_each_run_by_task_map_index_key_and_filters(
        self, store: Store
    ) -> None:
        self._history(store)
        store.set_xcom(xcom("a_task", "k", run_id="r1"))
        store.set_xcom(xcom("t1", "other", run_id="r2"))
        got = store.get_xcoms("dag_a", run_id="r2", include_prior_dates=True)
        assert _keys(got) == [
            ("r2", "t1", -1, "other"), ("r2", "t1", -1, "return_value"),
            ("r1", "a_task", -1, "k"), ("r1", "t1", -1, "return_value"),
        ]  # fmt: skip
        got = store.get_xcoms("dag_a", run_id="r3", include_prior_dates=True, keys=["return_value"],
                              task_ids=["t1"])  # fmt: skip
        assert [x.run_id for x in got] == ["r3", "r2", "r1"]

    # -- delete ---------------------------------------------------------------------------
    def test_delete_xcoms_removes_every_key_of_that_task_instance_only(self, store: Store) -> None:
        store.create_dag_run(run("r1", day=1))
        store.create_dag_run(run("r2", day=2))
        for x in (xcom("t1", "a"), xcom("t1", "b"), xcom("t1", "a", map_index=0), xcom("t2", "a"),
                  xcom("t1", "a", run_id="r2")):  # fmt: skip
            store.set_xcom(x)
        store.delete_xcoms("dag_a", "r1", "t1")
        assert _keys(store.get_xcoms("dag_a", run_id="r1")) == [("r1", "t1", 0, "a"), ("r1", "t2", -1, "a")]
        store.delete_xcoms("dag_a", "r1", "t1", 0)
        assert _keys(store.get_xcoms("dag_a", run_id="r1")) == [("r1", "t2", -1, "a")]
        assert len(store.get_xcoms("dag_a", run_id="r2")) == 1

    def test_delete_xcoms_of_unknown_task_instance_is_a_no_op(self, store: Store) -> None:
        store.create_dag_run(run("r1"))
        store.set_xcom(xcom("t1"))
        store.delete_xcoms("dag_a", "r1", "nope")
        store.delete_xcoms("dag_a", "nope", "t1")
        assert len(store.get_xcoms("dag_a", run_id="r1")) == 1

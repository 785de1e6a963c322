"""Store contract, deferred tasks' triggers: set/replace, read back per run, delete, and what
removes them with their run or task instance.

Mixed into `StoreContract`. A deferral is what a DAG app needs to rebuild the trigger a task
deferred on after a restart (classpath + serde kwargs) and to resume the task when it fires
(method name + serde kwargs), with the deferral's timeout. One per task instance.
"""

from __future__ import annotations

import datetime
from typing import Any

import pendulum
import pytest

from riir_airflow.sdk.state import TaskInstanceState as S
from riir_airflow.store import DeferralRecord, Store

from .contract_support import DAG, assert_utc, at, run, ti, xcom

__all__ = ["DeferralContract"]

CLASSPATH = "riir_airflow.providers.standard.triggers.temporal.DateTimeTrigger"


def deferral(
    task_id: str = "t1", *, run_id: str = "r1", dag_id: str = DAG, map_index: int = -1, **fields: Any
) -> DeferralRecord:
    """A deferral of `run_id` on a DateTimeTrigger, resuming `execute_complete`."""
    values: dict[str, Any] = {
        "classpath": CLASSPATH,
        "trigger_kwargs": '{"moment": {"__type": "datetime", "__var": 1704067200.0}}',
        "method_name": "execute_complete",
        "try_number": 1,
    }
    values.update(fields)
    return DeferralRecord(dag_id=dag_id, run_id=run_id, task_id=task_id, map_index=map_index, **values)


def _keys(records: list[DeferralRecord]) -> list[tuple[str, int]]:
    return [(d.task_id, d.map_index) for d in records]


class DeferralContract:
    def test_set_deferral_then_get_deferrals_returns_every_field(self, store: Store) -> None:
        store.create_dag_run(run("r1"))
        written = deferral("t1", map_index=3, try_number=2, kwargs='{"event": null}', timeout_at=at(2, 5))
        store.set_deferral(written)
        (got,) = store.get_deferrals("dag_a", "r1")
        assert got == written
        assert_utc(got.timeout_at)

    def test_a_deferral_without_kwargs_or_timeout_reads_back_none(self, store: Store) -> None:
        store.create_dag_run(run("r1"))
        store.set_deferral(deferral("t1"))
        (got,) = store.get_deferrals("dag_a", "r1")
        assert (got.kwargs, got.timeout_at, got.map_index) == (None, None, -1)

    def test_timeout_at_written_in_any_timezone_reads_back_as_the_same_utc_instant(
        self, store: Store
    ) -> None:
        store.create_dag_run(run("r1"))
        tokyo = pendulum.datetime(2024, 1, 2, 9, 30, 0, 123456, tz="Asia/Tokyo")
        store.set_deferral(deferral("t1", timeout_at=tokyo))
        (got,) = store.get_deferrals("dag_a", "r1")
        assert got.timeout_at == tokyo
        assert_utc(got.timeout_at)

    def test_set_deferral_replaces_the_deferral_of_the_same_task_instance(self, store: Store) -> None:
        store.create_dag_run(run("r1"))
        store.set_deferral(deferral("t1", try_number=1, method_name="first"))
        second = deferral(
            "t1", try_number=2, classpath="x.Other", trigger_kwargs="{}", method_name="second", kwargs="[1]"
        )
        store.set_deferral(second)
        assert store.get_deferrals("dag_a", "r1") == [second]

    def test_setting_the_same_deferral_twice_keeps_one(self, store: Store) -> None:
        store.create_dag_run(run("r1"))
        store.set_deferral(deferral("t1"))
        store.set_deferral(deferral("t1"))
        assert len(store.get_deferrals("dag_a", "r1")) == 1

    def test_deferrals_are_keyed_by_task_and_map_index_and_ordered_by_them(self, store: Store) -> None:
        store.create_dag_run(run("r1"))
        for task_id, map_index in (("b", -1), ("a", 2), ("a", 0), ("a", 10), ("A", -1)):
            store.set_deferral(deferral(task_id, map_index=map_index))
        assert _keys(store.get_deferrals("dag_a", "r1")) == [
            ("A", -1), ("a", 0), ("a", 2), ("a", 10), ("b", -1),
        ]  # fmt: skip

    def test_get_deferrals_returns_only_that_runs_deferrals(self, store: Store) -> None:
        store.create_dag_run(run("r1", day=1))
        store.create_dag_run(run("r2", day=2))
        store.create_dag_run(run("r1", dag_id="dag_b", day=1))
        store.set_deferral(deferral("t1", run_id="r1"))
        store.set_deferral(deferral("t2", run_id="r2"))
        store.set_deferral(deferral("t3", run_id="r1", dag_id="dag_b"))
        assert _keys(store.get_deferrals("dag_a", "r1")) == [("t1", -1)]
        assert _keys(store.get_deferrals("dag_a", "r2")) == [("t2", -1)]
        assert _keys(store.get_deferrals("dag_b", "r1")) == [("t3", -1)]

    def test_get_deferrals_of_an_unknown_run_or_a_run_without_any_is_empty(self, store: Store) -> None:
        assert store.get_deferrals("dag_a", "nope") == []
        store.create_dag_run(run("r1"))
        assert store.get_deferrals("dag_a", "r1") == []

    def test_set_deferral_for_a_missing_run_raises_key_error_and_writes_nothing(self, store: Store) -> None:
        with pytest.raises(KeyError):
            store.set_deferral(deferral("t1", run_id="nope"))
        store.create_dag_run(run("nope"))
        assert store.get_deferrals("dag_a", "nope") == []

    def test_set_deferral_with_a_naive_timeout_is_refused(self, store: Store) -> None:
        store.create_dag_run(run("r1"))
        with pytest.raises(ValueError, match="naive"):
            store.set_deferral(deferral("t1", timeout_at=datetime.datetime(2024, 1, 2)))
        assert store.get_deferrals("dag_a", "r1") == []

    def test_delete_deferral_removes_only_that_task_instances_deferral(self, store: Store) -> None:
        store.create_dag_run(run("r1"))
        for task_id, map_index in (("t1", -1), ("t1", 0), ("t2", -1)):
            store.set_deferral(deferral(task_id, map_index=map_index))
        store.delete_deferral("dag_a", "r1", "t1")
        assert _keys(store.get_deferrals("dag_a", "r1")) == [("t1", 0), ("t2", -1)]
        store.delete_deferral("dag_a", "r1", "t1", 0)
        assert _keys(store.get_deferrals("dag_a", "r1")) == [("t2", -1)]

    def test_delete_deferral_of_a_missing_deferral_or_run_is_not_an_error(self, store: Store) -> None:
        store.delete_deferral("dag_a", "nope", "t1")
        store.create_dag_run(run("r1"))
        store.set_deferral(deferral("t1"))
        store.delete_deferral("dag_a", "r1", "t2")
        store.delete_deferral("dag_a", "r1", "t1")
        store.delete_deferral("dag_a", "r1", "t1")
        assert store.get_deferrals("dag_a", "r1") == []

    def test_deleting_the_run_deletes_its_deferrals(self, store: Store) -> None:
        store.create_dag_run(run("r1", day=1))
        store.create_dag_run(run("r2", day=2))
        store.set_deferral(deferral("t1", run_id="r1"))
        store.set_deferral(deferral("t1", run_id="r2"))
        store.delete_dag_run("dag_a", "r1")
        assert store.get_deferrals("dag_a", "r1") == []
        store.create_dag_run(run("r1", day=1))  # a new run of the same id starts without any
        assert store.get_deferrals("dag_a", "r1") == []
        assert _keys(store.get_deferrals("dag_a", "r2")) == [("t1", -1)]

    def test_deleting_a_task_instance_deletes_its_deferral(self, store: Store) -> None:
        store.create_dag_run(run("r1"))
        store.put_task_instances([ti("t1", state=S.DEFERRED, try_number=1), ti("t2", state=S.DEFERRED)])
        store.set_deferral(deferral("t1"))
        store.set_deferral(deferral("t2"))
        store.delete_task_instance("dag_a", "r1", "t1")
        assert _keys(store.get_deferrals("dag_a", "r1")) == [("t2", -1)]

    def test_clearing_task_instances_drops_their_deferrals_every_map_index(self, store: Store) -> None:
        store.create_dag_run(run("r1"))
        store.put_task_instances([ti("t1", map_index=0, state=S.DEFERRED), ti("t2", state=S.DEFERRED)])
        for task_id, map_index in (("t1", 0), ("t1", 1), ("t2", -1)):
            store.set_deferral(deferral(task_id, map_index=map_index))
        store.set_xcom(xcom("t2"))
        store.clear_task_instances("dag_a", "r1", ["t1"])
        assert _keys(store.get_deferrals("dag_a", "r1")) == [("t2", -1)]
        assert len(store.get_xcoms("dag_a", run_id="r1")) == 1

    def test_returned_deferrals_are_copies_and_written_records_are_not_kept(self, store: Store) -> None:
        store.create_dag_run(run("r1"))
        written = deferral("t1")
        store.set_deferral(written)
        written.method_name = "changed after writing"
        (got,) = store.get_deferrals("dag_a", "r1")
        got.method_name = "changed after reading"
        assert store.get_deferrals("dag_a", "r1")[0].method_name == "execute_complete"

"""What a task may know of, and do to, *other* DAGs: counts, a run's state, a triggered run.

ExternalTaskSensor counts another DAG's runs or task instances in some states;
TriggerDagRunOperator creates a run of another DAG and may wait for its state. A DAG app's token
covers only its own DAGs (it may not read another DAG's rows), so these travel as their own
narrow operations: the broker answers them with counts and states only, and a triggered run
also goes to the app serving the target DAG at once.

The functions here are the one implementation of those operations over any `Store`: the local
store calls them on itself, the broker on its metastore store. `CrossDagAccess` is what the
runtime needs of a store for them (`LocalStore` and `BrokerStore` have it).
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Sequence
from typing import Any, Protocol, runtime_checkable

from riir_airflow.sdk.state import DagRunState
from riir_airflow.store.records import DagRunAlreadyExists, DagRunRecord

__all__ = [
    "CrossDagAccess",
    "count_dag_runs",
    "count_task_instances",
    "dag_run_state",
    "trigger_dag_run",
]


@runtime_checkable
class CrossDagAccess(Protocol):
    runs_triggered_dags: bool
    """True when something runs the runs this store triggers (a broker and its apps), so a
    task may wait for them; False for the local store of `dags test`, where none would."""

    def count_dag_runs(
        self, dag_id: str, *, logical_dates: Sequence[datetime.datetime] | None = None,
        run_ids: Sequence[str] | None = None, states: Sequence[str] | None = None,
    ) -> int: ...  # fmt: skip

    def count_task_instances(
        self, dag_id: str, *, task_ids: Sequence[str] | None = None, task_group_id: str | None = None,
        logical_dates: Sequence[datetime.datetime] | None = None, run_ids: Sequence[str] | None = None,
        states: Sequence[str] | None = None,
    ) -> int: ...  # fmt: skip

    def dag_run_state(self, dag_id: str, run_id: str) -> DagRunState | None: ...

    def trigger_dag_run(self, run: DagRunRecord, *, replace: bool = False) -> DagRunRecord: ...


def _runs_of(
    store: Any, dag_id: str, logical_dates: Iterable[datetime.datetime] | None, run_ids: Iterable[str] | None
) -> list[DagRunRecord]:
    if run_ids is not None:
        return [r for rid in run_ids if (r := store.get_dag_run(dag_id, rid)) is not None]
    if logical_dates is None:
        return store.list_dag_runs(dag_id)
    tiny = datetime.timedelta(microseconds=1)
    runs: list[DagRunRecord] = []
    for when in logical_dates:
        runs += store.list_dag_runs(dag_id, logical_date_after=when - tiny, logical_date_before=when + tiny)
    return runs


def count_dag_runs(
    store: Any, dag_id: str, *, logical_dates: Sequence[datetime.datetime] | None = None,
    run_ids: Sequence[str] | None = None, states: Sequence[str] | None = None,
) -> int:  # fmt: skip
    """Runs of `dag_id` at those logical dates (or with those ids; all when neither) whose state
    is one of `states` (any when empty)."""
    wanted = set(states or ())
    return sum(1 for r in _runs_of(store, dag_id, logical_dates, run_ids) if not wanted or r.state.value in wanted)


def count_task_instances(
    store: Any, dag_id: str, *, task_ids: Sequence[str] | None = None, task_group_id: str | None = None,
    logical_dates: Sequence[datetime.datetime] | None = None, run_ids: Sequence[str] | None = None,
    states: Sequence[str] | None = None,
) -> int:  # fmt: skip
    """Task instances of those runs (as `count_dag_runs` picks them), of `task_ids` and/or inside
    `task_group_id`, whose state is one of `states` (any when empty)."""
    wanted = set(states or ())
    ids = set(task_ids) if task_ids else None
    count = 0
    for run in _runs_of(store, dag_id, logical_dates, run_ids):
        for ti in store.get_task_instances(dag_id, run.run_id):
            in_scope = (ids is None or ti.task_id in ids) and (
                task_group_id is None or ti.task_id.startswith(f"{task_group_id}.")
            )
            if in_scope and (not wanted or ti.state.value in wanted):
                count += 1
    return count


def dag_run_state(store: Any, dag_id: str, run_id: str) -> DagRunState | None:
    run = store.get_dag_run(dag_id, run_id)
    return DagRunState(run.state) if run is not None else None


def trigger_dag_run(store: Any, run: DagRunRecord, *, replace: bool = False) -> DagRunRecord:
    """Create `run` (queued); with `replace`, an existing run of that id is deleted first (what
    TriggerDagRunOperator's reset_dag_run does). DagRunAlreadyExists otherwise."""
    try:
        return store.create_dag_run(run)
    except DagRunAlreadyExists:
        if not replace:
            raise
    store.delete_dag_run(run.dag_id, run.run_id)
    return store.create_dag_run(run)

"""Making DAG runs queued: new ones of every type, and finished ones again.

Manual runs (`create_manual_run`, what `dag.test()` makes), the scheduled and backfill runs the
engine plans (`create_planned_run`, `create_scheduled_runs`), and a run made runnable again
(`requeue_run`: cleared, as a backfill reprocessing it does). Each returns the run record as
the store holds it; nothing here starts a run (`DagRunner.run` does). `DagRunner`'s
`create_*`/`requeue_run` methods call these with its DAG, store and clock.

Contract: a new run's conf is validated against the DAG's params before anything is written
(a bad conf raises and creates nothing); a new run is queued.
"""

from __future__ import annotations

import datetime
from typing import TYPE_CHECKING, Any

from riir_airflow.sdk.run_type import DagRunType, generate_run_id
from riir_airflow.sdk.state import DagRunState
from riir_airflow.store.records import DagRunRecord

if TYPE_CHECKING:
    from riir_airflow.engine import PlannedRun
    from riir_airflow.sdk.dag import DAG
    from riir_airflow.store.protocol import Store

__all__ = ["create_manual_run", "create_planned_run", "create_scheduled_runs", "requeue_run"]


def create_manual_run(
    dag: DAG,
    store: Store,
    *,
    logical_date: datetime.datetime | None,
    run_after: datetime.datetime,
    conf: dict[str, Any] | None = None,
    run_id: str | None = None,
    triggered_by: str = "test",
    replace_existing: bool = True,
) -> DagRunRecord:
    """A manual run as `dag.test()` makes it: run_id from run_after (now), data interval
    inferred by the timetable from the logical date. An existing run at the same logical
    date is replaced, as `dag.test()` does."""
    import pendulum

    from riir_airflow.sdk.params import merge_params
    from riir_airflow.sdk.timezone import coerce_datetime

    merge_params(dag.params, None, conf or {}).validate()  # bad conf: refuse the run
    # Naive dates are in `[core] default_timezone`, as Airflow's coerce_datetime reads them.
    run_after = coerce_datetime(run_after).in_timezone("UTC")
    interval_start = interval_end = None
    if logical_date is not None:
        logical_date = coerce_datetime(logical_date).in_timezone("UTC")
        interval = dag.timetable.infer_manual_data_interval(run_after=logical_date)
        interval_start = pendulum.instance(interval.start).in_timezone("UTC")
        interval_end = pendulum.instance(interval.end).in_timezone("UTC")
        if replace_existing:
            _delete_runs_at(dag, store, logical_date)
    record = DagRunRecord(
        dag_id=dag.dag_id,
        run_id=run_id
        or generate_run_id(run_type=DagRunType.MANUAL, logical_date=logical_date, run_after=run_after),
        run_type=DagRunType.MANUAL.value,
        state=DagRunState.QUEUED,
        run_after=run_after,
        logical_date=logical_date,
        data_interval_start=interval_start,
        data_interval_end=interval_end,
        conf=dict(conf or {}),
        triggered_by=triggered_by,
    )
    return store.create_dag_run(record)


def _delete_runs_at(dag: DAG, store: Store, logical_date: datetime.datetime) -> None:
    tiny = datetime.timedelta(microseconds=1)
    for existing in store.list_dag_runs(
        dag.dag_id, logical_date_after=logical_date - tiny, logical_date_before=logical_date + tiny
    ):
        store.delete_dag_run(existing.dag_id, existing.run_id)


def create_planned_run(
    dag: DAG,
    store: Store,
    planned: PlannedRun,
    *,
    conf: dict[str, Any] | None = None,
    triggered_by: str | None = None,
) -> DagRunRecord:
    """A scheduled or backfill run the engine planned (`runs_to_schedule`, `backfill_runs`),
    queued. triggered_by defaults to Airflow's: `timetable` for scheduled runs, `backfill`
    for backfill runs."""
    from riir_airflow.sdk.params import merge_params

    merge_params(dag.params, None, conf or {}).validate()
    interval = planned.data_interval
    record = DagRunRecord(
        dag_id=dag.dag_id,
        run_id=planned.run_id,
        run_type=planned.run_type.value,
        state=DagRunState.QUEUED,
        run_after=planned.run_after,
        logical_date=planned.logical_date,
        data_interval_start=interval.start if interval is not None else None,
        data_interval_end=interval.end if interval is not None else None,
        conf=dict(conf or {}),
        triggered_by=triggered_by
        or ("backfill" if planned.run_type is DagRunType.BACKFILL_JOB else "timetable"),
    )
    return store.create_dag_run(record)


def create_scheduled_runs(
    dag: DAG, store: Store, now: datetime.datetime, *, runs: list[DagRunRecord] | None = None
) -> list[DagRunRecord]:
    """The scheduled runs due at `now`, created queued, in order: what one scheduler pass
    creates for this DAG (`engine.runs_to_schedule`: catchup, start/end dates,
    max_active_runs, dates already taken). `runs` is the DAG's history when the caller
    already read it (listed from the store otherwise)."""
    from riir_airflow.engine import runs_to_schedule

    history = runs if runs is not None else store.list_dag_runs(dag.dag_id)
    planned = runs_to_schedule(dag, history, now=now)
    return [create_planned_run(dag, store, p) for p in planned]


def requeue_run(
    store: Store,
    run: DagRunRecord,
    *,
    task_ids: list[str] | None = None,
    run_type: DagRunType | None = None,
    triggered_by: str | None = None,
    conf: dict[str, Any] | None = None,
) -> DagRunRecord:
    """Clear `task_ids` (all tasks when None) of `run` and queue the run again, as Airflow's
    clear does: task instances go back to state none, keeping their try history (each gets
    its retries again when it next runs); the run, if it had finished, becomes queued with
    its dates unset. run_type/triggered_by/conf replace the run's when given."""
    ids = (
        task_ids
        if task_ids is not None
        else [ti.task_id for ti in store.get_task_instances(run.dag_id, run.run_id)]
    )
    store.clear_task_instances(run.dag_id, run.run_id, sorted(set(ids)))
    finished = DagRunState(run.state) in (DagRunState.SUCCESS, DagRunState.FAILED)
    if not finished and run_type is None and triggered_by is None and conf is None:
        return store.get_dag_run(run.dag_id, run.run_id) or run
    return store.requeue_dag_run(
        run.dag_id,
        run.run_id,
        run_type=run_type.value if run_type is not None else None,
        triggered_by=triggered_by,
        conf=conf,
    )

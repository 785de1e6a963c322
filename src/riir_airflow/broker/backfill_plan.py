"""Planning a backfill in the broker, from the DAG its app registered, with the engine's planner.

The broker never imports DAG code. What a backfill plan needs of a DAG is its timetable, whether
some task has depends_on_past, and its allowed_run_types; the app registers them with the DAG
(`SerializedDag.timetable` is `{"type": Timetable.type_name, "value": Timetable.serialize()}`).
Built-in timetables are rebuilt here from that (Airflow's own serialization contract); a custom
timetable (a class from the DAG's file or its packages) is not imported: `UnknownTimetable`.
Then `engine.backfill_runs` plans against the DAG's runs in the metastore, exactly as the local
`riir-airflow dags backfill` does, and `write_runs` carries the plan out through the Store: a
queued backfill run per free date, finished runs to reprocess cleared and queued again as
backfill runs (Airflow's `dag.clear` + run_type/triggered_by/conf update).

Errors are the engine's `BackfillError` subclasses (Airflow's exceptions) plus `UnknownTimetable`.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from riir_airflow.engine import BackfillAction, BackfillError, BackfillPlan, backfill_runs
from riir_airflow.metastore.backfills import BackfillEntryRow
from riir_airflow.sdk.run_type import DagRunType
from riir_airflow.sdk.state import DagRunState
from riir_airflow.store.records import DagRunAlreadyExists, DagRunRecord

if TYPE_CHECKING:
    from riir_airflow.sdk.timetables import Timetable
    from riir_airflow.store.protocol import Store
    from riir_airflow.wire.messages import SerializedDag

__all__ = ["RegisteredSchedule", "UnknownTimetable", "plan_backfill", "write_runs"]


class UnknownTimetable(BackfillError):
    """The DAG's timetable cannot be rebuilt in the broker (a custom class, or an app too old to
    register its timetable)."""


@dataclass(frozen=True)
class _TaskFlags:
    depends_on_past: bool


@dataclass
class RegisteredSchedule:
    """The engine's `ScheduleLike` view of a registered DAG (what `backfill_runs` reads)."""

    dag_id: str
    timetable: Timetable
    start_date: datetime.datetime | None = None
    end_date: datetime.datetime | None = None
    catchup: bool = False
    max_active_runs: int = 16
    allowed_run_types: list[str] | None = None
    task_dict: dict[str, _TaskFlags] = field(default_factory=dict)
    """One stand-in task carrying the DAG's depends_on_past flag (all the planner asks of tasks)."""

    @classmethod
    def of(cls, dag: SerializedDag) -> RegisteredSchedule:
        return cls(
            dag_id=dag.dag_id,
            timetable=_timetable(dag),
            start_date=dag.start_date,
            end_date=dag.end_date,
            catchup=dag.catchup,
            max_active_runs=dag.max_active_runs or 16,
            allowed_run_types=dag.allowed_run_types,
            task_dict={"depends_on_past": _TaskFlags(dag.depends_on_past)},
        )


def _builtin_class(type_name: str) -> type[Timetable]:
    from riir_airflow.sdk import timetables

    cls = getattr(timetables, type_name, None) if "." not in type_name else None
    if not isinstance(cls, type) or not issubclass(cls, timetables.Timetable):
        raise UnknownTimetable(
            f"the timetable {type_name!r} is not a built-in timetable: the broker does not import DAG code, "
            "so it cannot plan a backfill of this Dag"
        )
    return cls


def _timetable(dag: SerializedDag) -> Timetable:
    from riir_airflow.sdk.timetables import AssetOrTimeSchedule, NullTimetable

    data = dag.timetable
    if data is None:
        if dag.schedule is None:
            return NullTimetable()
        raise UnknownTimetable(
            f"the app of Dag {dag.dag_id!r} registered no timetable (an older riir-airflow): restart it to backfill"
        )
    cls = _builtin_class(str(data.get("type", "")))
    value = dict(data.get("value") or {})
    if cls is AssetOrTimeSchedule:  # its inner timetable must be a built-in too
        _builtin_class(str(value.get("timetable", {}).get("type", "")))
    return cls.deserialize(value)


def plan_backfill(
    store: Store,
    dag: SerializedDag,
    *,
    from_date: datetime.datetime,
    to_date: datetime.datetime,
    reprocess_behavior: str | None,
    run_backwards: bool,
    now: datetime.datetime,
) -> BackfillPlan:
    """The engine's plan for the registered DAG against its runs in `store` (BackfillError)."""
    schedule = RegisteredSchedule.of(dag)
    existing = store.list_dag_runs(dag.dag_id)
    return backfill_runs(
        schedule, from_date, to_date, reprocess_behavior, existing, now=now, reverse=run_backwards
    )


def write_runs(store: Store, plan: BackfillPlan, conf: dict[str, Any] | None) -> list[BackfillEntryRow]:
    """Carry `plan` out through `store` (see the module docstring); one entry per date, in order."""
    rows = []
    for entry in plan.entries:
        made = entry.action.runs
        if entry.action is BackfillAction.CREATE:
            interval = entry.info.data_interval
            try:
                store.create_dag_run(
                    DagRunRecord(
                        dag_id=plan.dag_id, run_id=entry.run_id, run_type=DagRunType.BACKFILL_JOB.value,
                        state=DagRunState.QUEUED, run_after=entry.info.run_after, logical_date=entry.logical_date,
                        data_interval_start=interval.start if interval is not None else None,
                        data_interval_end=interval.end if interval is not None else None,
                        conf=dict(conf or {}), triggered_by="backfill",
                    )
                )  # fmt: skip
            except DagRunAlreadyExists:  # a run took the date since the plan was made (Airflow: in flight)
                made = False
        elif entry.action is BackfillAction.REPROCESS:
            task_ids = {ti.task_id for ti in store.get_task_instances(plan.dag_id, entry.run_id)}
            store.clear_task_instances(plan.dag_id, entry.run_id, sorted(task_ids))
            store.requeue_dag_run(
                plan.dag_id, entry.run_id, run_type=DagRunType.BACKFILL_JOB.value, triggered_by="backfill",
                conf=conf,
            )  # fmt: skip
        rows.append(
            BackfillEntryRow(
                sort_ordinal=entry.sort_ordinal, logical_date=entry.logical_date,
                run_id=entry.run_id if made else None,
                exception_reason=None if made else _reason(entry.action),
            )
        )  # fmt: skip
    return rows


def _reason(action: BackfillAction) -> str:
    """Airflow's `exception_reason` of a date the backfill made no run for."""
    return action.value if not action.runs else BackfillAction.IN_FLIGHT.value

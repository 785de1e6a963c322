"""The `ti` / `task_instance` and `dag_run` objects a running task sees in its context.

They are views over store records plus the running task: XCom reads and writes go to the
store, skip requests go through the engine (so `dags test` and the app decide skips the same
way), and nothing here touches SQL.
"""

from __future__ import annotations

import datetime
import socket
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from riir_airflow.engine import branch_skips, short_circuit_skips
from riir_airflow.sdk.exceptions import DownstreamTasksSkipped
from riir_airflow.sdk.lazy_sequence import LazyXComSequence
from riir_airflow.sdk.run_type import DagRunType
from riir_airflow.sdk.serde import deserialize_value, serialize_value
from riir_airflow.sdk.state import TaskInstanceState
from riir_airflow.store.records import DagRunRecord, TaskInstanceRecord, XComRecord

if TYPE_CHECKING:
    from riir_airflow.runtime.clock import Clock
    from riir_airflow.sdk.baseoperator import BaseOperator
    from riir_airflow.store.protocol import Store

__all__ = ["DagRunView", "RuntimeTaskInstance"]

XCOM_RETURN_KEY = "return_value"


class DagRunView:
    """Read-only view of a DAG run, shaped like Airflow's `dag_run` context object."""

    def __init__(self, record: DagRunRecord, store: Store | None = None) -> None:
        self._record = record
        self._store = store

    def __getattr__(self, name: str) -> Any:
        return getattr(self._record, name)

    @property
    def run_type(self) -> DagRunType:
        return DagRunType(self._record.run_type)

    @property
    def data_interval(self) -> Any:
        from riir_airflow.sdk.timetables import DataInterval

        if self._record.data_interval_start is None or self._record.data_interval_end is None:
            return None
        return DataInterval(self._record.data_interval_start, self._record.data_interval_end)

    @property
    def execution_date(self) -> datetime.datetime | None:  # 2.x name
        return self._record.logical_date

    @property
    def external_trigger(self) -> bool:  # 2.x name
        return self._record.run_type == DagRunType.MANUAL.value

    def get_task_instances(self, state: Any = None) -> list[TaskInstanceRecord]:
        assert self._store is not None
        tis = self._store.get_task_instances(self._record.dag_id, self._record.run_id)
        return [ti for ti in tis if state is None or ti.state == state]

    def __repr__(self) -> str:
        return f"<DagRun {self._record.dag_id} @ {self._record.logical_date}: {self._record.run_id}, state:{self._record.state.value}>"


class RuntimeTaskInstance:
    """The running task instance: identity, XCom access, and skip requests."""

    def __init__(
        self,
        *,
        task: BaseOperator,
        record: TaskInstanceRecord,
        dag_run: DagRunRecord,
        store: Store,
        clock: Clock,
    ) -> None:
        self.task = task
        self._record = record
        self._dag_run = dag_run
        self._store = store
        self._clock = clock
        self.rendered_fields: dict[str, str] = {}
        self.hostname = socket.gethostname()

    # -- identity ---------------------------------------------------------------------------
    dag_id = property(lambda self: self._record.dag_id)
    task_id = property(lambda self: self._record.task_id)
    run_id = property(lambda self: self._record.run_id)
    map_index = property(lambda self: self._record.map_index)
    try_number = property(lambda self: self._record.try_number)
    max_tries = property(lambda self: self._record.max_tries)
    start_date = property(lambda self: self._record.start_date)
    end_date = property(lambda self: self._record.end_date)
    state = property(lambda self: self._record.state)
    pool = property(lambda self: self._record.pool)
    queue = property(lambda self: self._record.queue)
    priority_weight = property(lambda self: self._record.priority_weight)
    operator = property(lambda self: self.task.task_type)

    @property
    def logical_date(self) -> datetime.datetime | None:
        return self._dag_run.logical_date

    execution_date = logical_date  # 2.x name

    @property
    def dag_run(self) -> DagRunView:
        return DagRunView(self._dag_run, self._store)

    def get_dagrun(self) -> DagRunView:
        return self.dag_run

    def now(self) -> datetime.datetime:
        return self._clock.now()

    def sleep(self, seconds: float) -> None:
        """Wait inside the task (poke-mode sensors) on the runtime's clock."""
        self._clock.sleep_until(self._clock.now() + datetime.timedelta(seconds=seconds))

    # Set by the runner for reschedule-mode sensors: when this try first poked, and how often
    # it was rescheduled since.
    first_reschedule_date: datetime.datetime | None = None
    # A mapped instance's name from `map_index_template`, once rendered.
    rendered_map_index: str | None = None
    reschedule_count: int = 0

    def get_first_reschedule_date(self, context: Any = None) -> datetime.datetime | None:
        return self.first_reschedule_date

    @property
    def key(self) -> tuple[str, str, str, int, int]:
        return (self.dag_id, self.task_id, self.run_id, self.try_number, self.map_index)

    # -- XCom -------------------------------------------------------------------------------
    def xcom_push(self, key: str, value: Any) -> None:
        """Store `value` under `key` for this task instance (JSON-serializable values)."""
        self._store.set_xcom(
            XComRecord(
                dag_id=self.dag_id,
                run_id=self.run_id,
                task_id=self.task_id,
                map_index=self.map_index,
                key=key,
                value=serialize_value(value),
                timestamp=self._clock.now(),
            )
        )

    def xcom_pull(
        self,
        task_ids: str | Iterable[str] | None = None,
        dag_id: str | None = None,
        key: str = XCOM_RETURN_KEY,
        include_prior_dates: bool = False,
        map_indexes: int | Iterable[int] | None = None,
        default: Any = None,
        run_id: str | None = None,
    ) -> Any:
        """Airflow 3 semantics: `task_ids=None` means this task; a str gives one value (or
        `default`); a list gives a list with one value (or `default`) per task id."""
        single = task_ids is None or isinstance(task_ids, str)
        ids = (
            [self.task_id]
            if task_ids is None
            else ([task_ids] if isinstance(task_ids, str) else list(task_ids))
        )
        if task_ids is None and map_indexes is None:
            map_indexes = self.map_index  # this instance's own XCom
        if map_indexes is None:
            indexes: list[int] | None = None
        elif isinstance(map_indexes, int):
            indexes = [map_indexes]
        else:
            indexes = list(map_indexes)
        records = self._store.get_xcoms(
            dag_id or self.dag_id,
            run_id=run_id or self.run_id,
            task_ids=ids,
            keys=[key] if key is not None else None,
            map_indexes=indexes,
            include_prior_dates=include_prior_dates,
        )
        if indexes is not None and not isinstance(map_indexes, int):
            # Several map indexes asked for: one value (or default) per (task, index), in order.
            by_key: dict[tuple[str, int], Any] = {}
            for record in records:
                by_key.setdefault((record.task_id, record.map_index), deserialize_value(record.value))
            return [by_key.get((tid, mi), default) for tid in ids for mi in indexes]
        if include_prior_dates:
            # Airflow 3.3: every value up to this run's date, in the order they were pushed;
            # one value alone comes back as itself.
            ordered = sorted(records, key=lambda r: (r.timestamp is None, r.timestamp))
            values_of = {tid: [deserialize_value(r.value) for r in ordered if r.task_id == tid] for tid in ids}
            if single:
                values = values_of[ids[0]]
                return default if not values else (values[0] if len(values) == 1 else values)
            return [v for tid in ids for v in (values_of[tid] or [default])]
        found: dict[str, Any] = {}
        for record in records:  # newest run first: keep the first seen per task
            found.setdefault(record.task_id, deserialize_value(record.value))
        dag = self.task.dag
        for tid in ids:
            # A mapped task's values, all instances in map-index order, read when used.
            upstream = dag.task_dict.get(tid) if dag_id in (None, self.dag_id) else None
            if upstream is None or map_indexes is not None:
                continue
            group = upstream.mapped_task_group_id
            if group is not None and group == self.task.mapped_task_group_id and self.map_index >= 0:
                # Inside one mapped task group, instance i reads instance i of the others.
                own = self._store.get_xcoms(
                    self.dag_id, run_id=run_id or self.run_id, task_ids=[tid], keys=[key], map_indexes=[self.map_index]
                )
                found[tid] = deserialize_value(own[0].value) if own else default
            elif upstream.is_mapped:
                found[tid] = self._mapped_values(tid, key, run_id or self.run_id)
            elif group is not None:  # a mapped task group's member, seen from outside: a list
                found[tid] = list(self._mapped_values(tid, key, run_id or self.run_id))
        values = [found.get(tid, default) for tid in ids]
        return values[0] if single else values

    def _mapped_values(self, task_id: str, key: str, run_id: str) -> LazyXComSequence:
        def load() -> list[Any]:
            records = self._store.get_xcoms(self.dag_id, run_id=run_id, task_ids=[task_id], keys=[key])
            return [deserialize_value(r.value) for r in sorted(records, key=lambda r: r.map_index) if r.map_index >= 0]

        return LazyXComSequence(load)

    # -- skipping (called by SkipMixin) -----------------------------------------------------
    def skip_all_except(self, followed: Iterable[str]) -> None:
        skips = branch_skips(self.task.dag, self.task_id, set(followed))
        self.skip_tasks(sorted(skips))

    def downstream_to_skip(self, *, transitive: bool) -> set[str]:
        return short_circuit_skips(self.task.dag, self.task_id, transitive)

    def skip_tasks(self, task_ids: Iterable[str]) -> None:
        """Ends the running task as success, with these downstream tasks skipped."""
        task_ids = list(task_ids)
        if task_ids:
            raise DownstreamTasksSkipped(tasks=task_ids)

    # -- rendered fields --------------------------------------------------------------------
    def record_rendered_field(self, name: str, value: Any) -> None:
        from riir_airflow.runtime.rendering import rendered_text

        self.rendered_fields[name] = rendered_text(value, name)

    # -- environment ------------------------------------------------------------------------
    def context_env_vars(self) -> dict[str, str]:
        """AIRFLOW_CTX_* variables exported to the task's environment (and bash commands)."""
        env = {
            "AIRFLOW_CTX_DAG_OWNER": str(self.task.owner),
            "AIRFLOW_CTX_DAG_ID": self.dag_id,
            "AIRFLOW_CTX_TASK_ID": self.task_id,
            "AIRFLOW_CTX_TRY_NUMBER": str(self.try_number),
            "AIRFLOW_CTX_DAG_RUN_ID": self.run_id,
        }
        if self.logical_date is not None:
            env["AIRFLOW_CTX_LOGICAL_DATE"] = self.logical_date.isoformat()
            # The Airflow 2.x name, kept like the 2.x context keys so 2.x scripts keep working.
            env["AIRFLOW_CTX_EXECUTION_DATE"] = self.logical_date.isoformat()
        if self.task.email:
            email = self.task.email
            env["AIRFLOW_CTX_DAG_EMAIL"] = email if isinstance(email, str) else ",".join(email)
        return env

    # -- other runs and DAGs (ExternalTaskSensor, ...): see store.cross_dag ----------------------
    def get_dr_count(
        self, dag_id: str, logical_dates: Iterable[datetime.datetime] | None = None,
        run_ids: Iterable[str] | None = None, states: Iterable[str] | None = None,
    ) -> int:  # fmt: skip
        return self._store.count_dag_runs(
            dag_id, logical_dates=_listed(logical_dates), run_ids=_listed(run_ids), states=_listed(states)
        )

    def get_ti_count(
        self, dag_id: str, task_ids: Iterable[str] | None = None, task_group_id: str | None = None,
        logical_dates: Iterable[datetime.datetime] | None = None, run_ids: Iterable[str] | None = None,
        states: Iterable[str] | None = None,
    ) -> int:  # fmt: skip
        return self._store.count_task_instances(
            dag_id, task_ids=_listed(task_ids), task_group_id=task_group_id,
            logical_dates=_listed(logical_dates), run_ids=_listed(run_ids), states=_listed(states),
        )  # fmt: skip

    def dag_exists(self, dag_id: str) -> bool:
        return self._store.count_dag_runs(dag_id) > 0

    # -- history ----------------------------------------------------------------------------
    def get_previous_dagrun(self, state: Any = None) -> DagRunView | None:
        if self.logical_date is None:
            return None
        runs = self._store.list_dag_runs(
            self.dag_id,
            states=[state] if state else None,
            logical_date_before=self.logical_date,
            limit=1,
            descending=True,
        )
        return DagRunView(runs[0], self._store) if runs else None

    def get_previous_ti(self, state: Any = None) -> TaskInstanceRecord | None:
        previous = self.get_previous_dagrun(state=None)
        if previous is None:
            return None
        ti = self._store.get_task_instance(self.dag_id, previous.run_id, self.task_id, self.map_index)
        if ti is None or (state is not None and ti.state != TaskInstanceState(state)):
            return None
        return ti

    def __repr__(self) -> str:
        return f"<TaskInstance: {self.dag_id}.{self.task_id} {self.run_id} [{self.state.value}]>"


def _listed(values: Iterable[Any] | None) -> list[Any] | None:
    return list(values) if values is not None else None

"""The Store: everything the runtime needs to persist, as one Protocol.

Two implementations satisfy it: `LocalStore` (SQLite under $AIRFLOW_HOME, for `dags test` and
local history) and, later, the broker client (production). The runtime only ever talks to this
interface, so `dags test` and a deployed DAG app cannot diverge. Every implementation passes the
same contract test suite (tests/store/contract.py).

Contract notes:
- Writes are idempotent: putting the same task-instance record twice changes nothing more.
- `put_task_instances` also keeps the try history: the latest record of each try_number.
- Reads return copies; mutating a returned record does not change the store.
"""

from __future__ import annotations

import datetime
from collections.abc import Mapping, Sequence
from typing import Any, Protocol, runtime_checkable

from riir_airflow.sdk.state import DagRunState
from riir_airflow.store.records import (
    AssetEventRecord,
    ConnectionRecord,
    DagRunRecord,
    DeferralRecord,
    TaskInstanceRecord,
    VariableRecord,
    XComRecord,
)

__all__ = ["Store"]


@runtime_checkable
class Store(Protocol):
    # -- DAG runs -------------------------------------------------------------------------
    def create_dag_run(self, run: DagRunRecord) -> DagRunRecord:
        """Insert a run; DagRunAlreadyExists if its run_id or (non-null) logical_date is taken."""
        ...

    def get_dag_run(self, dag_id: str, run_id: str) -> DagRunRecord | None: ...

    def update_dag_run(
        self,
        dag_id: str,
        run_id: str,
        *,
        state: DagRunState | None = None,
        start_date: datetime.datetime | None = None,
        end_date: datetime.datetime | None = None,
        note: str | None = None,
    ) -> None: ...

    def list_dag_runs(
        self,
        dag_id: str,
        *,
        states: Sequence[DagRunState] | None = None,
        run_types: Sequence[str] | None = None,
        logical_date_before: datetime.datetime | None = None,
        logical_date_after: datetime.datetime | None = None,
        limit: int | None = None,
        descending: bool = False,
    ) -> list[DagRunRecord]:
        """Runs of one DAG ordered by (logical_date or run_after, run_id); bounds are exclusive."""
        ...

    def delete_dag_run(self, dag_id: str, run_id: str) -> None:
        """Delete the run with its task instances, their history, XComs, rendered fields, logs
        and deferrals."""
        ...

    def requeue_dag_run(
        self,
        dag_id: str,
        run_id: str,
        *,
        run_type: str | None = None,
        triggered_by: str | None = None,
        conf: dict[str, Any] | None = None,
    ) -> DagRunRecord:
        """Make a run runnable again, as clearing it does in Airflow: state queued, start_date
        and end_date unset, clear_number + 1; run_type, triggered_by and conf replaced when
        given (a backfill that reprocesses a run makes it a backfill run). Its task instances
        are left alone (see clear_task_instances). Returns the run as stored; KeyError if the
        run does not exist."""
        ...

    # -- task instances -------------------------------------------------------------------
    def put_task_instances(self, records: Sequence[TaskInstanceRecord]) -> None: ...

    def get_task_instances(self, dag_id: str, run_id: str) -> list[TaskInstanceRecord]: ...

    def get_task_instance(
        self, dag_id: str, run_id: str, task_id: str, map_index: int = -1
    ) -> TaskInstanceRecord | None: ...

    def get_task_instance_tries(
        self, dag_id: str, run_id: str, task_id: str, map_index: int = -1
    ) -> list[TaskInstanceRecord]:
        """One record per try, in try order (the latest state each try reached)."""
        ...

    def delete_task_instance(self, dag_id: str, run_id: str, task_id: str, map_index: int = -1) -> None:
        """Remove one task instance with its try history, XComs, rendered fields, logs and
        deferral (a mapped task's placeholder once it is expanded). A missing one is not an error."""
        ...

    def clear_task_instances(
        self,
        dag_id: str,
        run_id: str,
        task_ids: Sequence[str],
        map_indexes: Mapping[str, Sequence[int]] | None = None,
    ) -> None:
        """Reset those task instances to state none (keeping try history) and drop their XComs
        and deferrals (a cleared task runs anew, as Airflow drops its next_method).

        A task id of `task_ids` clears every map index of the task, unless `map_indexes` names
        it: then only those map indexes of it are cleared (Airflow's `[task_id, map_index]`).
        Keys of `map_indexes` not in `task_ids` are ignored."""
        ...

    # -- XCom -----------------------------------------------------------------------------
    def set_xcom(self, xcom: XComRecord) -> None:
        """Insert or replace the value for (dag_id, run_id, task_id, map_index, key)."""
        ...

    def get_xcoms(
        self,
        dag_id: str,
        *,
        run_id: str,
        task_ids: Sequence[str] | None = None,
        keys: Sequence[str] | None = None,
        map_indexes: Sequence[int] | None = None,
        include_prior_dates: bool = False,
    ) -> list[XComRecord]:
        """XComs of the run (or, with include_prior_dates, of every run whose logical date is
        not after this run's), newest run first, then task_id, map_index, key."""
        ...

    def delete_xcoms(
        self, dag_id: str, run_id: str, task_id: str, map_index: int = -1
    ) -> None: ...

    # -- rendered template fields ---------------------------------------------------------
    def set_rendered_fields(
        self, dag_id: str, run_id: str, task_id: str, map_index: int, fields: dict[str, str]
    ) -> None: ...

    def get_rendered_fields(
        self, dag_id: str, run_id: str, task_id: str, map_index: int = -1
    ) -> dict[str, str] | None: ...

    # -- task logs ------------------------------------------------------------------------
    def append_log(
        self, dag_id: str, run_id: str, task_id: str, map_index: int, try_number: int, text: str
    ) -> None: ...

    def read_log(
        self, dag_id: str, run_id: str, task_id: str, map_index: int, try_number: int
    ) -> str: ...

    # -- variables and connections --------------------------------------------------------
    def get_variable(self, key: str) -> VariableRecord | None: ...

    def set_variable(self, record: VariableRecord) -> None: ...

    def delete_variable(self, key: str) -> bool: ...

    def get_connection(self, conn_id: str) -> ConnectionRecord | None: ...

    def set_connection(self, record: ConnectionRecord) -> None: ...

    def delete_connection(self, conn_id: str) -> bool: ...

    # -- assets ---------------------------------------------------------------------------
    def record_asset_event(self, event: AssetEventRecord) -> AssetEventRecord:
        """Store an event (a missing timestamp becomes now) and return it with its id; queue it
        for every registered DAG whose condition mentions its uri or one of its source aliases."""
        ...

    def get_asset_events(
        self,
        *,
        name: str | None = None,
        uri: str | None = None,
        source_dag_id: str | None = None,
        source_run_id: str | None = None,
        source_alias: str | None = None,
        after: datetime.datetime | None = None,
        before: datetime.datetime | None = None,
        limit: int | None = None,
        descending: bool = False,
    ) -> list[AssetEventRecord]:
        """Events matching every given filter, ordered by (timestamp, id), reversed if
        descending, then cut to `limit`. `after`/`before` are exclusive bounds on timestamp."""
        ...

    def register_dag_schedule(self, dag_id: str, condition_json: str | None) -> None:
        """Record (replace) the asset condition of an asset-scheduled DAG, as written by
        `sdk.assets.condition_to_json`; None forgets the DAG. Queued news of assets the new
        condition no longer mentions is dropped. ValueError for text that is no condition."""
        ...

    def get_dag_schedule(self, dag_id: str) -> str | None:
        """The registered condition JSON of the DAG, None if it is not asset-scheduled."""
        ...

    def dags_triggered_by(self, event: AssetEventRecord | None = None) -> list[str]:
        """Sorted ids of registered DAGs whose condition holds for the assets queued for them
        since their last asset-triggered run (their queue was last consumed); with `event`,
        only DAGs whose condition mentions that event's asset or one of its aliases."""
        ...

    def consume_asset_dag_run_queue(
        self, dag_id: str, *, run_id: str | None = None
    ) -> list[AssetEventRecord]:
        """Empty the DAG's queue and return the events it stood for, ordered by (timestamp, id).
        With `run_id` (an existing run of the DAG, else KeyError) they become that run's
        triggering events."""
        ...

    def get_dag_run_asset_events(self, dag_id: str, run_id: str) -> list[AssetEventRecord]:
        """The events a run consumed (its triggering asset events), ordered by (timestamp, id)."""
        ...

    # -- deferred tasks' triggers --------------------------------------------------------
    def set_deferral(self, record: DeferralRecord) -> None:
        """Insert or replace the deferral of the record's task instance (dag_id, run_id,
        task_id, map_index); KeyError if its run does not exist."""
        ...

    def get_deferrals(self, dag_id: str, run_id: str) -> list[DeferralRecord]:
        """Every deferral of the run, ordered by (task_id, map_index); [] for an unknown run."""
        ...

    def delete_deferral(self, dag_id: str, run_id: str, task_id: str, map_index: int = -1) -> None:
        """Forget the task instance's deferral (its trigger fired, timed out or was given up);
        a missing one is not an error."""
        ...

    def close(self) -> None: ...



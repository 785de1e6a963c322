"""`tasks clear` against a store: choose task instances as Airflow does, reset them, queue runs.

`select_to_clear(dag, store, ...)` picks, per run (in logical-date order), the task instances
to clear: tasks chosen by the engine's `tasks_to_clear` (`-t` regex, `-u` upstream, `-d`
downstream, setups/teardowns kept together), runs whose logical date is within
`[start_date, end_date]` (inclusive; a bound leaves out runs without a logical date), and
`only_failed` / `only_running` narrowing by state. `clear(...)` then resets them: state none,
try history kept, XComs dropped, each instance gets its retries again when it next runs, and a
finished run goes back to queued (`DagRunner.requeue_run`). Nothing runs them here: in Airflow
the scheduler would; locally `rerun_cleared` (or a backfill over their dates) does.

The store clears a task's instances together, so with `only_failed` a mapped task with one
failed map index is cleared as a whole.
"""

from __future__ import annotations

import datetime
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

from riir_airflow.engine import instances_to_clear, tasks_to_clear
from riir_airflow.runtime.clock import Clock
from riir_airflow.runtime.dag_runner import DagRunner
from riir_airflow.sdk.state import DagRunState

if TYPE_CHECKING:
    from riir_airflow.sdk.dag import DAG
    from riir_airflow.store.protocol import Store
    from riir_airflow.store.records import DagRunRecord, TaskInstanceRecord

__all__ = ["RunToClear", "clear", "rerun_cleared", "select_to_clear"]

_TINY = datetime.timedelta(microseconds=1)


@dataclass
class RunToClear:
    run: DagRunRecord
    instances: list[TaskInstanceRecord]

    @property
    def task_ids(self) -> list[str]:
        return sorted({ti.task_id for ti in self.instances})


def select_to_clear(
    dag: DAG,
    store: Store,
    *,
    task_regex: str | re.Pattern[str] | None = None,
    upstream: bool = False,
    downstream: bool = False,
    start_date: datetime.datetime | None = None,
    end_date: datetime.datetime | None = None,
    only_failed: bool = False,
    only_running: bool = False,
) -> list[RunToClear]:
    """The task instances `tasks clear` would reset, grouped by run (see the module docstring)."""
    task_ids = tasks_to_clear(dag, task_regex, upstream=upstream, downstream=downstream)
    runs = store.list_dag_runs(
        dag.dag_id,
        logical_date_after=start_date - _TINY if start_date is not None else None,
        logical_date_before=end_date + _TINY if end_date is not None else None,
    )
    out: list[RunToClear] = []
    for run in runs:
        tis = {ti.key: ti for ti in store.get_task_instances(dag.dag_id, run.run_id)}
        keys = instances_to_clear(
            {key: ti.state for key, ti in tis.items()},
            task_ids,
            only_failed=only_failed,
            only_running=only_running,
        )
        if keys:
            out.append(RunToClear(run, [tis[key] for key in keys]))
    return out


def clear(dag: DAG, store: Store, selection: list[RunToClear], clock: Clock | None = None) -> int:
    """Reset the selected instances and queue their runs again; how many instances were cleared."""
    runner = DagRunner(dag, store, clock)
    for item in selection:
        item.run = runner.requeue_run(item.run, task_ids=item.task_ids)
    return sum(len(item.instances) for item in selection)


def rerun_cleared(
    dag: DAG, store: Store, selection: list[RunToClear], clock: Clock | None = None
) -> list[DagRunRecord]:
    """Run the cleared runs again, oldest first, in this process (what a scheduler would do).
    A run whose remaining tasks wait on depends_on_past is left running."""
    runner = DagRunner(dag, store, clock)
    finals = []
    for item in selection:
        run = store.get_dag_run(dag.dag_id, item.run.run_id)
        if run is None or DagRunState(run.state) in (DagRunState.SUCCESS, DagRunState.FAILED):
            continue
        finals.append(runner.run(run, leave_blocked=True))
    return finals

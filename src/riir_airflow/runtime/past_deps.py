"""depends_on_past for the runs of one DAG: which instances their previous run holds back, and why.

The verdict itself is the engine's (`past_depends_verdict`, Airflow's PrevDagrunDep); what is
here reads what it needs from the store: the previous run (`previous_run`), its task instances,
and whether the task ran in any earlier run.

Contract: a verdict is worked out once per (run_id, task_id, map_index) and kept in `verdicts`
(None when met, else why not): earlier runs do not change while a run runs. `begin` drops a
run's verdicts when it starts; whoever learns that the store changed a run drops them too
(`forget`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from riir_airflow.engine import past_depends_verdict
from riir_airflow.engine.past import previous_run_types
from riir_airflow.sdk.state import TaskInstanceState

if TYPE_CHECKING:
    from riir_airflow.sdk.dag import DAG
    from riir_airflow.store.protocol import Store
    from riir_airflow.store.records import DagRunRecord, TaskInstanceRecord

__all__ = ["PastDeps"]

_S = TaskInstanceState


class PastDeps:
    """The depends_on_past checks of one DAG's runs against a store, with their verdicts."""

    def __init__(self, dag: DAG, store: Store) -> None:
        self.dag = dag
        self.store = store
        self.verdicts: dict[tuple[str, str, int], str | None] = {}
        """Per (run_id, task_id, map_index): None when depends_on_past is met, else why not."""
        self._first_in_backfill: set[str] = set()

    def begin(self, run_id: str, *, first_in_backfill: bool) -> None:
        """A run starts (or resumes): its verdicts are worked out again. The first run of a
        backfill passes depends_on_past (as in Airflow)."""
        if first_in_backfill:
            self._first_in_backfill.add(run_id)
        else:
            self._first_in_backfill.discard(run_id)
        self.forget(run_id)

    def forget(self, run_id: str) -> None:
        """Drop the verdicts of `run_id`'s instances."""
        self.verdicts = {k: v for k, v in self.verdicts.items() if k[0] != run_id}

    def why(self, run_id: str, key: tuple[str, int]) -> str | None:
        """Why depends_on_past holds the instance `key` of `run_id` (None when it does not)."""
        return self.verdicts.get((run_id, *key))

    def held(self, run: DagRunRecord, tis: dict[tuple[str, int], TaskInstanceRecord]) -> set[tuple[str, int]]:
        """Schedulable instances of depends_on_past tasks whose previous run does not allow them."""
        held: set[tuple[str, int]] = set()
        for key, ti in tis.items():
            if ti.state not in (_S.NONE, _S.UP_FOR_RETRY, _S.UP_FOR_RESCHEDULE):
                continue
            task = self.dag.task_dict.get(key[0])
            if task is None or not getattr(task, "depends_on_past", False):
                continue
            cache_key = (run.run_id, *key)
            if cache_key not in self.verdicts:
                self.verdicts[cache_key] = self._failure(run, task, key[1])
            if self.verdicts[cache_key] is not None:
                held.add(key)
        return held

    def previous_run(self, run: DagRunRecord) -> DagRunRecord | None:
        """Airflow's previous run for depends_on_past: the latest earlier non-manual run when
        the DAG catches up, else the latest earlier run of any type (by logical date)."""
        if run.logical_date is None:
            return None
        runs = self.store.list_dag_runs(
            self.dag.dag_id,
            run_types=previous_run_types(self.dag.catchup),
            logical_date_before=run.logical_date,
            limit=1,
            descending=True,
        )
        return runs[0] if runs else None

    def _failure(self, run: DagRunRecord, task: Any, map_index: int) -> str | None:
        """None when depends_on_past (and wait_for_downstream) allow the instance to run, else
        why not: the engine's `past_depends_verdict` (Airflow's PrevDagrunDep) on the previous
        run read from the store. Every map index of the task counts, as in Airflow."""
        previous = self.previous_run(run)
        previous_states = None
        if previous is not None:
            previous_states = {
                ti.key: ti.state for ti in self.store.get_task_instances(self.dag.dag_id, previous.run_id)
            }
        verdict = past_depends_verdict(
            task,
            catchup=self.dag.catchup,
            previous_logical_date=previous.logical_date if previous is not None else None,
            previous_states=previous_states,
            has_earlier_instances=lambda: self._has_earlier_instance(run, task.task_id),
            first_in_backfill=run.run_id in self._first_in_backfill,
        )
        if verdict.kind.value == "run":
            return None
        return (
            f"{verdict.reason} (previous run {previous.run_id})" if previous is not None else verdict.reason
        )

    def _has_earlier_instance(self, run: DagRunRecord, task_id: str) -> bool:
        return any(
            ti.task_id == task_id
            for earlier in self.store.list_dag_runs(self.dag.dag_id, logical_date_before=run.logical_date)
            for ti in self.store.get_task_instances(self.dag.dag_id, earlier.run_id)
        )

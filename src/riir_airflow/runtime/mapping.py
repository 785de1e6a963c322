"""Expanding mapped tasks at run time, and what mapping asks of the tasks feeding it.

A mapped task's placeholder instance (map_index -1) becomes ready like any task; instead of
running it the runner expands it: the expand input is resolved against the upstream XComs, and
the placeholder is replaced by instances 0..n-1 (or ends `skipped` when n is 0, as in Airflow).
Each instance later runs the plain operator `MappedOperator.unmap` builds for its index.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from riir_airflow.runtime.task_instance import RuntimeTaskInstance
from riir_airflow.sdk.exceptions import UnmappableXComTypePushed, XComForMappingNotPushed
from riir_airflow.sdk.expandinput import is_mappable_value
from riir_airflow.store.records import TaskInstanceRecord

if TYPE_CHECKING:
    from riir_airflow.runtime.clock import Clock
    from riir_airflow.sdk.baseoperator import BaseOperator
    from riir_airflow.sdk.mappedoperator import MappedOperator
    from riir_airflow.store.protocol import Store
    from riir_airflow.store.records import DagRunRecord

__all__ = ["check_result_for_mapping", "expanded_instances", "operator_for_instance", "resolve_expand_input"]


def _resolution_context(
    mapped: MappedOperator, map_index: int, run: DagRunRecord, store: Store, clock: Clock
) -> dict[str, Any]:
    record = TaskInstanceRecord(
        dag_id=run.dag_id, run_id=run.run_id, task_id=mapped.task_id, map_index=map_index
    )
    ti = RuntimeTaskInstance(task=mapped, record=record, dag_run=run, store=store, clock=clock)  # type: ignore[arg-type]
    return {"ti": ti, "task_instance": ti, "dag_run": ti.dag_run, "run_id": run.run_id, "params": {}}


def resolve_expand_input(mapped: MappedOperator, run: DagRunRecord, store: Store, clock: Clock) -> Any:
    return mapped.expand_input.resolve(_resolution_context(mapped, -1, run, store, clock))


def expanded_instances(
    mapped: MappedOperator, placeholder: TaskInstanceRecord, run: DagRunRecord, store: Store, clock: Clock
) -> list[TaskInstanceRecord]:
    """The instances the placeholder expands into (empty: the mapped task is skipped)."""
    from riir_airflow.compat.config import conf

    resolved = resolve_expand_input(mapped, run, store, clock)
    length = mapped.expand_input.length(resolved)
    limit = conf.getint("core", "max_map_length", fallback=1024)
    if length > limit:
        raise ValueError(
            f"Mapped task {mapped.task_id} would have {length} instances, over [core] max_map_length={limit}"
        )
    return [
        TaskInstanceRecord(
            dag_id=placeholder.dag_id,
            run_id=placeholder.run_id,
            task_id=placeholder.task_id,
            map_index=index,
            max_tries=placeholder.max_tries,
            operator=placeholder.operator,
            pool=placeholder.pool,
            queue=placeholder.queue,
            priority_weight=placeholder.priority_weight,
        )
        for index in range(length)
    ]


def operator_for_instance(
    mapped: MappedOperator, map_index: int, run: DagRunRecord, store: Store, clock: Clock
) -> BaseOperator:
    """The plain operator instance `map_index` runs: fixed arguments plus its mapped ones."""
    resolved = resolve_expand_input(mapped, run, store, clock)
    return mapped.unmap(mapped.expand_input.kwargs_at(resolved, map_index))


def check_result_for_mapping(task: BaseOperator, result: Any) -> None:
    """A task whose return value some mapped task expands over must return a list or dict."""
    if not task.has_dag:
        return
    dag = task.dag
    for downstream_id in task.downstream_task_ids:
        downstream = dag.task_dict.get(downstream_id)
        if downstream is None or not downstream.is_mapped:
            continue
        for arg in downstream.expand_input.iter_references():
            for operator, key in arg.iter_references():
                if operator.task_id == task.task_id and key == "return_value":
                    if result is None:
                        raise XComForMappingNotPushed()
                    if not is_mappable_value(result):
                        raise UnmappableXComTypePushed(result)

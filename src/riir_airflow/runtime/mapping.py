"""Expanding mapped tasks at run time, and what mapping asks of the tasks feeding it.

A mapped task's placeholder instance (map_index -1) becomes ready like any task; instead of
running it the runner expands it: the expand input is resolved against the upstream XComs, and
the placeholder is replaced by instances 0..n-1 (or ends `skipped` when n is 0, as in Airflow).
Each instance later runs the plain operator `MappedOperator.unmap` builds for its index. Tasks
of a mapped task group expand the same way, over the group's input.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from riir_airflow.runtime.task_instance import RuntimeTaskInstance
from riir_airflow.sdk.exceptions import UnmappableXComTypePushed, XComForMappingNotPushed
from riir_airflow.sdk.expandinput import is_mappable_value
from riir_airflow.sdk.mappedtaskgroup import mapped_task_group_of
from riir_airflow.store.records import TaskInstanceRecord

if TYPE_CHECKING:
    from riir_airflow.runtime.clock import Clock
    from riir_airflow.sdk.baseoperator import BaseOperator
    from riir_airflow.sdk.mappedoperator import MappedOperator
    from riir_airflow.store.protocol import Store
    from riir_airflow.store.records import DagRunRecord

__all__ = ["check_result_for_mapping", "expanded_instances", "expansion_length", "operator_for_instance"]


def _resolution_context(task: Any, map_index: int, run: DagRunRecord, store: Store, clock: Clock) -> dict[str, Any]:
    record = TaskInstanceRecord(dag_id=run.dag_id, run_id=run.run_id, task_id=task.task_id, map_index=map_index)
    ti = RuntimeTaskInstance(task=task, record=record, dag_run=run, store=store, clock=clock)
    return {"ti": ti, "task_instance": ti, "dag_run": ti.dag_run, "run_id": run.run_id, "params": {}}


def _expand_source(task: Any) -> Any:
    """What defines a task's instances: the mapped task itself, or its mapped task group."""
    return task if task.is_mapped else mapped_task_group_of(task)


def expansion_length(task: Any, run: DagRunRecord, store: Store, clock: Clock) -> int:
    """How many instances a mapped task (or every task of its mapped task group) gets."""
    source = _expand_source(task)
    resolved = source.expand_input.resolve(_resolution_context(task, -1, run, store, clock))
    return source.expand_input.length(resolved)


def expanded_instances(
    task: Any, placeholder: TaskInstanceRecord, run: DagRunRecord, store: Store, clock: Clock
) -> list[TaskInstanceRecord]:
    """The instances the placeholder expands into (empty: the mapped task is skipped)."""
    import dataclasses

    from riir_airflow.compat.config import conf

    length = expansion_length(task, run, store, clock)
    limit = conf.getint("core", "max_map_length", fallback=1024)
    if length > limit:
        raise ValueError(f"Mapped task {task.task_id} would have {length} instances, over [core] max_map_length={limit}")
    return [
        dataclasses.replace(placeholder, map_index=index, try_number=0, start_date=None, end_date=None)
        for index in range(length)
    ]


def operator_for_instance(
    mapped: MappedOperator, map_index: int, run: DagRunRecord, store: Store, clock: Clock
) -> BaseOperator:
    """The plain operator instance `map_index` runs: fixed arguments plus its mapped ones."""
    resolved = mapped.expand_input.resolve(_resolution_context(mapped, -1, run, store, clock))
    return mapped.unmap(mapped.expand_input.kwargs_at(resolved, map_index))


def check_result_for_mapping(task: BaseOperator, result: Any) -> None:
    """A task whose return value something expands over must return a list or dict."""
    if not task.has_dag:
        return
    node = task.dag.task_dict.get(task.task_id)
    if node is not None and node.is_mapped:
        return  # each instance returns one item; the downstream maps over all of them
    own_group = mapped_task_group_of(task)
    for downstream_id in task.downstream_task_ids:
        downstream = task.dag.task_dict.get(downstream_id)
        source = _expand_source(downstream) if downstream is not None else None
        if source is None or source is own_group:
            continue
        for arg in source.expand_input.iter_references():
            for operator, key in arg.iter_references():
                if operator.task_id == task.task_id and key == "return_value":
                    if result is None:
                        raise XComForMappingNotPushed()
                    if not is_mappable_value(result):
                        raise UnmappableXComTypePushed(result)

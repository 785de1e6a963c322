"""Which tasks a branch or a short circuit skips directly (spec 4.3, 4.4).

These functions only name the tasks the operator itself sets to skipped; everything further
downstream is left to the trigger rules, which `scheduling.decide` applies. They take task
ids, not task-group ids: expanding a group id to its root tasks is the caller's job. The
runner applies the result to the instances with the operator's own map index (Airflow skips
`(task_id, ti.map_index)`), so both return plain task ids.
"""

from __future__ import annotations

from collections.abc import Iterable

from riir_airflow.engine.graph import DagLike, Topology, topology_of

__all__ = ["branch_followed", "branch_skips", "short_circuit_skips"]


def _check_task(topo: Topology, task_id: str) -> None:
    if task_id not in topo.tasks:
        raise ValueError(f"task {task_id!r} is not in DAG {topo.dag.dag_id!r}")


def _followed_closure(topo: Topology, branch_task_id: str, followed: Iterable[str] | str | None) -> set[str]:
    if followed is None:
        chosen: set[str] = set()
    elif isinstance(followed, str):
        chosen = {followed}
    else:
        chosen = set(followed)
    bad_types = sorted(repr(x) for x in chosen if not isinstance(x, str))
    if bad_types:
        raise ValueError(
            f"Branch {branch_task_id!r} returned non-str task ids {bad_types}; return a task id, "
            "a list of task ids, or None"
        )
    unknown = sorted(chosen - set(topo.tasks))
    if unknown:
        raise ValueError(
            f"Branch {branch_task_id!r} chose task ids that are not in DAG {topo.dag.dag_id!r}: {unknown}. "
            f"Its direct downstream tasks are {topo.sort_ids(topo.downstream[branch_task_id])}."
        )
    closure = set(chosen)
    for tid in chosen:
        closure |= topo.flat_relatives(tid, upstream=False)
    return closure


def branch_skips(
    dag: DagLike | Topology, branch_task_id: str, followed: Iterable[str] | str | None
) -> set[str]:
    """The direct downstream tasks of `branch_task_id` that the branch sets to skipped.

    A direct downstream task is kept when it was chosen or is downstream (transitively) of a
    chosen task, so `branch >> join` plus `branch >> b1 >> join` keeps `join` when `b1` is
    chosen. `followed=None` or empty skips every direct downstream task.

    Raises ValueError for a chosen id that is not a task of the DAG, or that is not a str.
    As in Airflow (2.10 and 3.3 alike), a chosen id need not be a direct downstream task; it
    then keeps only the direct downstream tasks that are also downstream of it (usually none),
    and the branch does not skip anything beyond its direct downstream tasks.
    """
    topo = topology_of(dag)
    _check_task(topo, branch_task_id)
    keep = _followed_closure(topo, branch_task_id, followed)
    return {tid for tid in topo.downstream[branch_task_id] if tid not in keep}


def branch_followed(
    dag: DagLike | Topology, branch_task_id: str, followed: Iterable[str] | str | None
) -> list[str]:
    """The direct downstream tasks the branch keeps, in task order: what Airflow stores in the
    `skipmixin_key` XCom as `{"followed": [...]}`."""
    topo = topology_of(dag)
    _check_task(topo, branch_task_id)
    keep = _followed_closure(topo, branch_task_id, followed)
    return topo.sort_ids(tid for tid in topo.downstream[branch_task_id] if tid in keep)


def short_circuit_skips(
    dag: DagLike | Topology, task_id: str, ignore_downstream_trigger_rules: bool
) -> set[str]:
    """The tasks a short circuit with a falsy result sets to skipped.

    `ignore_downstream_trigger_rules=True` (Airflow's default): every task downstream of
    `task_id`, transitively, regardless of its trigger rule. False: only the direct downstream
    tasks; the rest follow their trigger rules. Teardowns are never skipped by a short circuit.
    """
    topo = topology_of(dag)
    _check_task(topo, task_id)
    if ignore_downstream_trigger_rules:
        targets = topo.flat_relatives(task_id, upstream=False)
    else:
        targets = topo.downstream[task_id]
    return {tid for tid in targets if not topo.tasks[tid].is_teardown}

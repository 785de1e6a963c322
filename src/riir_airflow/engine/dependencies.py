"""Why a task instance is not running: the unmet dependencies of Airflow's "task instance
dependencies" view (`GET .../taskInstances/{task_id}/dependencies`), made pure.

Airflow answers with the failed statuses of its scheduler's queueing dependencies, only for a
task instance that is waiting to be scheduled (state none or scheduled; any other state has no
blocking dependency). The ones that mean something here, by Airflow's names:
- "Dagrun Running": the run is not running (queued, finished);
- "Dag Not Paused": the DAG is paused;
- "Trigger Rule": the engine's own verdict (`scheduling.evaluate_ti`) is not "run now", with
  its reason (also for setup/teardown constraints).
Pools, concurrency limits and executor slots are the app's business at run time and are not
reported.

`GraphTask`/`graph_dag` build a `DagLike` from plain data (the structure a DAG app registered),
so a caller holding no DAG object can ask the engine.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import timedelta

from riir_airflow.engine.graph import DagLike, TIKey, Topology
from riir_airflow.engine.scheduling import StatesIn, evaluate_ti
from riir_airflow.engine.trigger_rules import VerdictKind
from riir_airflow.sdk.state import TaskInstanceState

__all__ = ["BlockingDependency", "GraphDag", "GraphTask", "blocking_dependencies", "graph_dag"]

_WAITING = frozenset({TaskInstanceState.NONE, TaskInstanceState.SCHEDULED})


@dataclass(frozen=True, slots=True)
class GraphTask:
    """A task as plain data, with the attributes the engine reads (`graph.TaskLike`)."""

    task_id: str
    upstream_task_ids: frozenset[str] = frozenset()
    downstream_task_ids: frozenset[str] = frozenset()
    trigger_rule: str = "all_success"
    is_setup: bool = False
    is_teardown: bool = False
    on_failure_fail_dagrun: bool = False
    retries: int = 0
    retry_delay: timedelta = timedelta(0)
    retry_exponential_backoff: float | bool = False
    max_retry_delay: timedelta | None = None


@dataclass(frozen=True, slots=True)
class GraphDag:
    """A DAG as plain data (`graph.DagLike`); `task_dict` keeps the DAG's task order."""

    dag_id: str
    task_dict: Mapping[str, GraphTask] = field(default_factory=dict)
    fail_fast: bool = False


def graph_dag(dag_id: str, tasks: Iterable[tuple[str, Iterable[str], str, bool, bool]]) -> GraphDag:
    """A `GraphDag` from `(task_id, downstream_task_ids, trigger_rule, is_setup, is_teardown)`
    tuples in the DAG's order; upstream sets are derived from the downstream ones."""
    listed = [(tid, frozenset(down), rule, setup, teardown) for tid, down, rule, setup, teardown in tasks]
    upstream: dict[str, set[str]] = {tid: set() for tid, *_ in listed}
    for tid, down, *_ in listed:
        for child in down:
            upstream.setdefault(child, set()).add(tid)
    return GraphDag(dag_id, {
        tid: GraphTask(tid, frozenset(upstream[tid]), down, rule or "all_success", setup, teardown)
        for tid, down, rule, setup, teardown in listed
    })  # fmt: skip


@dataclass(frozen=True, slots=True)
class BlockingDependency:
    """One unmet dependency: Airflow's dependency `name` and a human `reason`."""

    name: str
    reason: str


def blocking_dependencies(
    dag: DagLike | Topology,
    states: StatesIn,
    key: TIKey,
    *,
    ti_state: TaskInstanceState | str | None,
    run_state: str,
    dag_paused: bool,
) -> list[BlockingDependency]:
    """The dependencies keeping task instance `key` (state `ti_state`) of a run (state
    `run_state`, instance states `states`) from being scheduled, sorted by name; empty when it
    is not waiting to be scheduled or when its task is not in `dag`."""
    state = TaskInstanceState.NONE if ti_state is None else TaskInstanceState(ti_state)
    if state not in _WAITING:
        return []
    found = []
    if run_state != "running":
        found.append(BlockingDependency(
            "Dagrun Running",
            f"Task instance's dagrun was not in the 'running' state but in the state '{run_state}'.",
        ))  # fmt: skip
    if dag_paused:
        dag_id = dag.dag.dag_id if isinstance(dag, Topology) else dag.dag_id
        found.append(BlockingDependency("Dag Not Paused", f"Task's DAG '{dag_id}' is paused."))
    try:
        verdict = evaluate_ti(dag, states, key)
    except KeyError:
        return sorted(found, key=lambda dep: dep.name)
    if verdict.kind is VerdictKind.WAIT:
        found.append(BlockingDependency("Trigger Rule", f"Task's {verdict.reason}"))
    elif verdict.kind is VerdictKind.SET:
        found.append(BlockingDependency(
            "Trigger Rule", f"Task's {verdict.reason}: it will be set to {verdict.state.value}",  # type: ignore[union-attr]
        ))  # fmt: skip
    return sorted(found, key=lambda dep: dep.name)

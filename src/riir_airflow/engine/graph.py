"""How the engine sees a DAG: two small Protocols and a precomputed `Topology`.

The engine never imports the authoring SDK's DAG or operator classes. It reads a DAG through
`DagLike`/`TaskLike`, which the SDK's objects satisfy as they are and which tests satisfy with
tiny dataclasses. Anything the engine needs that a plain attribute read cannot give (transitive
relatives, the "relevant setups" of a task, a teardown's scope, effective leaves, priority
weights) is derived once in `Topology`, so a runner that calls `decide` in a loop can build it
once per DAG and pass it instead of the DAG.

Task instances are keyed by `TIKey = (task_id, map_index)`; `map_index` is -1 for an unmapped
task and for a mapped task's not-yet-expanded placeholder.

Optional task attributes, read with `getattr` and a default because only priority ordering
needs them: `priority_weight` (1) and `weight_rule` (`"downstream"`, `"upstream"` or
`"absolute"`), with Airflow's meaning: a task's effective weight is its own weight plus, for
`downstream`, the weights of all tasks downstream of it (transitively); for `upstream`, of
all tasks upstream of it; for `absolute`, nothing more.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from collections.abc import Set as AbstractSet
from datetime import timedelta
from typing import Protocol, runtime_checkable

__all__ = ["DagLike", "TIKey", "TaskLike", "Topology", "topology_of"]

TIKey = tuple[str, int]
"""A task instance within one DAG run: `(task_id, map_index)`, map_index -1 when unmapped."""


@runtime_checkable
class TaskLike(Protocol):
    """The task attributes the engine reads (an SDK operator has all of them)."""

    @property
    def task_id(self) -> str: ...
    @property
    def upstream_task_ids(self) -> AbstractSet[str]: ...
    @property
    def downstream_task_ids(self) -> AbstractSet[str]: ...
    @property
    def trigger_rule(self) -> str: ...
    @property
    def is_setup(self) -> bool: ...
    @property
    def is_teardown(self) -> bool: ...
    @property
    def on_failure_fail_dagrun(self) -> bool: ...
    @property
    def retries(self) -> int: ...
    @property
    def retry_delay(self) -> timedelta: ...
    @property
    def retry_exponential_backoff(self) -> float | bool: ...
    @property
    def max_retry_delay(self) -> timedelta | None: ...


@runtime_checkable
class DagLike(Protocol):
    """The DAG attributes the engine reads. `task_dict` order is the DAG's task order."""

    @property
    def dag_id(self) -> str: ...
    @property
    def task_dict(self) -> Mapping[str, TaskLike]: ...
    @property
    def fail_fast(self) -> bool: ...


class Topology:
    """Graph facts about one DAG, computed once.

    Raises ValueError if an upstream/downstream id names a task that is not in `task_dict`, or
    if the two directions disagree (a >> b must appear in both a's and b's sets), because
    every rule below silently depends on that consistency.
    """

    def __init__(self, dag: DagLike) -> None:
        self.dag = dag
        self.tasks: Mapping[str, TaskLike] = dag.task_dict
        self.order: tuple[str, ...] = tuple(self.tasks)
        self.position: dict[str, int] = {tid: i for i, tid in enumerate(self.order)}
        self.upstream: dict[str, frozenset[str]] = {}
        self.downstream: dict[str, frozenset[str]] = {}
        for tid, task in self.tasks.items():
            if task.task_id != tid:
                raise ValueError(f"task_dict key {tid!r} holds task {task.task_id!r}")
            self.upstream[tid] = frozenset(task.upstream_task_ids)
            self.downstream[tid] = frozenset(task.downstream_task_ids)
        for tid in self.order:
            for up in self.upstream[tid]:
                if up not in self.tasks:
                    raise ValueError(f"task {tid!r} has unknown upstream task {up!r}")
                if tid not in self.downstream[up]:
                    raise ValueError(f"{up!r} is upstream of {tid!r} but {tid!r} is not downstream of it")
            for down in self.downstream[tid]:
                if down not in self.tasks:
                    raise ValueError(f"task {tid!r} has unknown downstream task {down!r}")
                if tid not in self.upstream[down]:
                    raise ValueError(f"{down!r} is downstream of {tid!r} but {tid!r} is not upstream of it")
        self._flat: dict[tuple[str, bool], frozenset[str]] = {}
        self.topological_order: tuple[str, ...] = self._toposort()
        self.relevant_indirect_setups: dict[str, frozenset[str]] = {
            tid: self._indirect_setups(tid) for tid in self.order if not self.tasks[tid].is_teardown
        }
        self.teardown_scope: dict[str, frozenset[str]] = {
            tid: self._teardown_scope(tid) for tid in self.order if self.tasks[tid].is_teardown
        }
        self.effective_leaves: frozenset[str] = self._effective_leaves()
        self.priority_weight: dict[str, int] = self._priority_weights()

    # -- relatives ---------------------------------------------------------------------------

    def flat_relatives(self, task_id: str, *, upstream: bool) -> frozenset[str]:
        """All tasks transitively upstream (or downstream) of `task_id`, excluding itself."""
        key = (task_id, upstream)
        cached = self._flat.get(key)
        if cached is not None:
            return cached
        edges = self.upstream if upstream else self.downstream
        seen: set[str] = set()
        stack = list(edges[task_id])
        while stack:
            tid = stack.pop()
            if tid in seen:
                continue
            seen.add(tid)
            stack.extend(edges[tid])
        result = frozenset(seen)
        self._flat[key] = result
        return result

    def sort_ids(self, task_ids: Iterable[str]) -> list[str]:
        """`task_ids` in DAG task order."""
        return sorted(task_ids, key=self.position.__getitem__)

    # -- derived facts -----------------------------------------------------------------------

    def _toposort(self) -> tuple[str, ...]:
        """Kahn's algorithm, ties broken by task order, so propagation sweeps are deterministic."""
        pending = {tid: len(self.upstream[tid]) for tid in self.order}
        ready = [tid for tid in self.order if pending[tid] == 0]
        out: list[str] = []
        while ready:
            ready.sort(key=self.position.__getitem__, reverse=True)
            tid = ready.pop()
            out.append(tid)
            for down in self.downstream[tid]:
                pending[down] -= 1
                if pending[down] == 0:
                    ready.append(down)
        if len(out) != len(self.order):
            cyclic = sorted(tid for tid, n in pending.items() if n > 0)
            raise ValueError(f"DAG {self.dag.dag_id!r} has a cycle among {cyclic}")
        return tuple(out)

    def _indirect_setups(self, task_id: str) -> frozenset[str]:
        """Setups a non-teardown task must see succeed, minus its direct upstreams.

        Airflow's "relevant" upstream setups: every transitive upstream setup that either has
        no teardown at all, or has a teardown that is downstream of this task (i.e. the task
        lies inside that setup's scope). Direct-upstream setups are left to the trigger rule.
        """
        downstream_teardowns = {
            t for t in self.flat_relatives(task_id, upstream=False) if self.tasks[t].is_teardown
        }
        relevant = set()
        for up in self.flat_relatives(task_id, upstream=True):
            if not self.tasks[up].is_setup:
                continue
            own_teardowns = {d for d in self.downstream[up] if self.tasks[d].is_teardown}
            if not own_teardowns or own_teardowns & downstream_teardowns:
                relevant.add(up)
        return frozenset(relevant - self.upstream[task_id])

    def _teardown_scope(self, task_id: str) -> frozenset[str]:
        """Indirect upstreams of a teardown that are downstream of one of its direct setups."""
        indirect = self.flat_relatives(task_id, upstream=True) - self.upstream[task_id]
        scope: set[str] = set()
        for setup in self.upstream[task_id]:
            if self.tasks[setup].is_setup:
                scope |= indirect & self.flat_relatives(setup, upstream=False)
        return frozenset(scope)

    def _effective_leaves(self) -> frozenset[str]:
        """Tasks whose state decides the run's state (Airflow's `_tis_for_dagrun_state`).

        A teardown is "ignorable" unless `on_failure_fail_dagrun`. A task is an effective leaf
        when every downstream task is an ignorable teardown and it is not ignorable itself. If
        no task qualifies (a DAG of teardowns only), the plain leaves are used.
        """

        def ignorable(tid: str) -> bool:
            task = self.tasks[tid]
            return bool(task.is_teardown) and not task.on_failure_fail_dagrun

        leaves = {
            tid
            for tid in self.order
            if not ignorable(tid) and all(ignorable(d) for d in self.downstream[tid])
        }
        if not leaves:
            leaves = {tid for tid in self.order if not self.downstream[tid]}
        return frozenset(leaves)

    def _priority_weights(self) -> dict[str, int]:
        weights: dict[str, int] = {}
        for tid in self.order:
            task = self.tasks[tid]
            raw = getattr(task, "weight_rule", None) or "downstream"
            rule = str(getattr(raw, "value", raw))
            own = int(getattr(task, "priority_weight", 1))
            if rule == "absolute":
                weights[tid] = own
            elif rule in ("downstream", "upstream"):
                others = self.flat_relatives(tid, upstream=rule == "upstream")
                weights[tid] = own + sum(int(getattr(self.tasks[o], "priority_weight", 1)) for o in others)
            else:
                raise ValueError(f"task {tid!r} has unknown weight_rule {rule!r}")
        return weights


def topology_of(dag: DagLike | Topology) -> Topology:
    """`dag` itself when it is already a Topology, else a new one."""
    return dag if isinstance(dag, Topology) else Topology(dag)

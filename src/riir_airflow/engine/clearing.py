"""Which task instances `tasks clear` resets (Airflow's `partial_subset` + `DAG.clear`), pure.

`tasks_to_clear(dag, pattern, upstream=..., downstream=...)` answers which tasks:
- tasks whose id matches `pattern` (`re.search`; None means every task);
- with `downstream`, every task transitively downstream of a match; with `upstream`, every
  task transitively upstream, plus the teardowns of those upstream setups;
- always, as Airflow's partial_subset does so setup/teardown pairs stay consistent: for a
  matched (or added downstream) plain task, its *relevant* upstream setups (those with no
  teardown, or with a teardown downstream of the task) and their teardowns; for a matched
  setup (without `downstream`), its teardowns.

`instances_to_clear(states, tasks, only_failed=..., only_running=...)` filters one run's
instances by state as `--only-failed` (failed, upstream_failed) / `--only-running` do.

Airflow 3.3's `tasks clear -t` matches the text as a substring (its partial_subset no longer
uses `re`); a regex search is a superset for plain ids and is what the flag's help promises.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping

from riir_airflow.engine.graph import DagLike, TIKey, Topology, topology_of
from riir_airflow.sdk.state import TaskInstanceState

__all__ = ["instances_to_clear", "tasks_to_clear"]


def _setups_and_their_teardowns(topo: Topology, task_id: str) -> set[str]:
    """Airflow's `get_upstreams_only_setups_and_teardowns` for one task."""
    downstream_teardowns = {
        t for t in topo.flat_relatives(task_id, upstream=False) if topo.tasks[t].is_teardown
    }
    out: set[str] = set()
    for up in topo.flat_relatives(task_id, upstream=True):
        if not topo.tasks[up].is_setup:
            continue
        teardowns = {d for d in topo.downstream[up] if topo.tasks[d].is_teardown}
        if not teardowns or teardowns & downstream_teardowns:
            out.add(up)
            out |= teardowns - {task_id}
    return out


def tasks_to_clear(
    dag: DagLike | Topology,
    pattern: str | re.Pattern[str] | None = None,
    *,
    upstream: bool = False,
    downstream: bool = False,
) -> list[str]:
    """Task ids to clear, in DAG task order (see the module docstring)."""
    topo = topology_of(dag)
    if pattern is None:
        return list(topo.order)
    regex = re.compile(pattern) if isinstance(pattern, str) else pattern
    matched = [tid for tid in topo.order if regex.search(tid)]
    selected = set(matched)
    for tid in matched:
        task = topo.tasks[tid]
        if downstream:
            for rel in topo.flat_relatives(tid, upstream=False):
                selected.add(rel)
                if rel not in matched and not topo.tasks[rel].is_setup and not topo.tasks[rel].is_teardown:
                    selected |= _setups_and_their_teardowns(topo, rel)
        if upstream:
            for up in topo.flat_relatives(tid, upstream=True):
                selected.add(up)
                if topo.tasks[up].is_setup:
                    selected |= {d for d in topo.downstream[up] if topo.tasks[d].is_teardown and d != tid}
        elif not task.is_setup and not task.is_teardown:
            selected |= _setups_and_their_teardowns(topo, tid)
        if task.is_setup and not downstream:
            selected |= {d for d in topo.downstream[tid] if topo.tasks[d].is_teardown}
    return topo.sort_ids(selected)


def instances_to_clear(
    states: Mapping[TIKey, TaskInstanceState | str | None],
    task_ids: Collection[str],
    *,
    only_failed: bool = False,
    only_running: bool = False,
) -> list[TIKey]:
    """The instances of one run to clear: those of `task_ids`, narrowed by state when asked
    (both flags together accept either set of states, as Airflow does)."""
    wanted: set[TaskInstanceState] = set()
    if only_failed:
        wanted |= {TaskInstanceState.FAILED, TaskInstanceState.UPSTREAM_FAILED}
    if only_running:
        wanted.add(TaskInstanceState.RUNNING)
    ids = set(task_ids)
    out = []
    for key, value in states.items():
        state = TaskInstanceState.NONE if value is None else TaskInstanceState(value)
        if key[0] in ids and (not wanted or state in wanted):
            out.append(key)
    return sorted(out)

"""The scheduling engine: pure decisions about one DAG run, no I/O, no clock.

Both the in-process `dags test` runner and the long-running DAG app drive the same engine, so
the two cannot diverge. It reads DAGs through the `DagLike`/`TaskLike` protocols (`graph`),
decides trigger rules (`trigger_rules`), what to run, skip or fail next and when the run is
over (`scheduling`), what a finished try leads to and how long a retry waits (`retries`),
and what branches and short circuits skip (`skipping`). Over time: which runs a scheduler or a
backfill creates and their run ids (`runs`), what depends_on_past / wait_for_downstream keep
back (`past`), and which task instances `tasks clear` resets (`clearing`).
"""

from riir_airflow.engine.clearing import instances_to_clear, tasks_to_clear
from riir_airflow.engine.graph import DagLike, TaskLike, TIKey, Topology, topology_of
from riir_airflow.engine.past import held_by_past, past_depends_verdict, previous_run, previous_run_types
from riir_airflow.engine.retries import (
    MAX_RETRY_DELAY,
    ErrorKind,
    backoff_multiplier,
    error_kind_of,
    outcome_of_try,
    retry_delay_for,
)
from riir_airflow.engine.runs import (
    BackfillAction,
    BackfillEntry,
    BackfillError,
    BackfillPlan,
    PlannedRun,
    ReprocessBehavior,
    backfill_runs,
    last_automated_run,
    next_run_infos,
    run_id_for,
    runs_to_schedule,
    time_restriction,
)
from riir_airflow.engine.scheduling import (
    IN_FLIGHT_STATES,
    SCHEDULABLE_STATES,
    Decision,
    dag_run_state,
    decide,
    evaluate_ti,
    fail_fast_changes,
)
from riir_airflow.engine.skipping import branch_followed, branch_skips, short_circuit_skips
from riir_airflow.engine.trigger_rules import (
    RUN,
    SET,
    WAIT,
    UpstreamCounts,
    Verdict,
    VerdictKind,
    evaluate,
    evaluate_setup_constraint,
)

__all__ = [
    "IN_FLIGHT_STATES",
    "MAX_RETRY_DELAY",
    "RUN",
    "SCHEDULABLE_STATES",
    "SET",
    "WAIT",
    "BackfillAction",
    "BackfillEntry",
    "BackfillError",
    "BackfillPlan",
    "DagLike",
    "Decision",
    "ErrorKind",
    "PlannedRun",
    "ReprocessBehavior",
    "TIKey",
    "TaskLike",
    "Topology",
    "UpstreamCounts",
    "Verdict",
    "VerdictKind",
    "backfill_runs",
    "backoff_multiplier",
    "branch_followed",
    "branch_skips",
    "dag_run_state",
    "decide",
    "error_kind_of",
    "evaluate",
    "evaluate_setup_constraint",
    "evaluate_ti",
    "fail_fast_changes",
    "held_by_past",
    "instances_to_clear",
    "last_automated_run",
    "next_run_infos",
    "outcome_of_try",
    "past_depends_verdict",
    "previous_run",
    "previous_run_types",
    "retry_delay_for",
    "run_id_for",
    "runs_to_schedule",
    "short_circuit_skips",
    "tasks_to_clear",
    "time_restriction",
    "topology_of",
]

"""The checks Airflow makes when it loads a DAG, beyond what the constructors check.

A DAG that fails one is reported as the file's import error (with the file name) and never
runs: a cycle, params a scheduled DAG cannot satisfy, catchup without a start date, tags that
are too long, setup tasks followed by tasks that would not wait for them, `fail_fast` DAGs with
trigger rules other than all_success.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from riir_airflow.sdk.exceptions import FailFastDagInvalidTriggerRule, ParamValidationError
from riir_airflow.sdk.trigger_rule import TriggerRule

if TYPE_CHECKING:
    from riir_airflow.sdk.dag import DAG

__all__ = ["MAX_TAG_LENGTH", "validate_dag"]

MAX_TAG_LENGTH = 100


def validate_dag(dag: DAG) -> None:
    dag.check_cycle()
    dag.params.validate_defaults()
    _check_schedule(dag)
    for tag in dag.tags:
        if len(tag) > MAX_TAG_LENGTH:
            raise ValueError(f"tag cannot be longer than {MAX_TAG_LENGTH} characters: {tag[:20]!r}...")
    _check_setup_teardown(dag)
    if dag.fail_fast:
        for task in dag.task_dict.values():
            if task.trigger_rule != TriggerRule.ALL_SUCCESS and not task.is_teardown:
                raise FailFastDagInvalidTriggerRule(
                    f"A 'fail_fast' dag can only have all_success trigger rule, "
                    f"but task {task.task_id} has {task.trigger_rule}"
                )


def _check_schedule(dag: DAG) -> None:
    if not dag.timetable.can_be_scheduled:
        return
    try:
        dag.params.validate()
    except ParamValidationError as err:
        raise ValueError(
            f"DAG {dag.dag_id!r} is not allowed to define a Schedule, as there are required params "
            f"without default values, or the default values are not valid: {err}"
        ) from None
    if dag.catchup and dag.start_date is None and dag.timetable.periodic:
        raise ValueError(f"DAG {dag.dag_id!r}: start_date is required when catchup=True")


def _check_setup_teardown(dag: DAG) -> None:
    """A setup's downstream work must use all_success, or it would not wait for the setup."""
    for task in dag.task_dict.values():
        if not task.is_setup:
            continue
        for downstream_id in task.downstream_task_ids:
            downstream = dag.task_dict[downstream_id]
            if downstream.is_teardown or downstream.is_setup:
                continue
            if downstream.trigger_rule != TriggerRule.ALL_SUCCESS:
                raise ValueError(
                    f"Setup tasks must be followed with trigger rule ALL_SUCCESS. "
                    f"Task {downstream_id!r} has {downstream.trigger_rule.value!r}"
                )

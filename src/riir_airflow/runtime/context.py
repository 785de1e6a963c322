"""Building a task's context: every key Airflow 3 gives a running task, plus the 2.x keys.

Dates are pendulum DateTimes in UTC; `ds`/`ts` and friends are formatted from the logical date
in UTC, so a DAG in Europe/Amsterdam still sees `ts` as `...+00:00`. A run without a logical
date has no `ds`, `ts`, `data_interval_*` keys, so templates using them fail as in Airflow.
The Airflow 2.x keys (`execution_date`, `prev_ds`, `next_ds`, `yesterday_ds`, ...) are kept
so 2.x DAG files render unchanged (docs/decisions/0002-airflow3-semantics.md).
"""

from __future__ import annotations

import datetime
from typing import TYPE_CHECKING, Any

from riir_airflow.sdk.context import Context
from riir_airflow.sdk.state import DagRunState

if TYPE_CHECKING:
    from riir_airflow.runtime.task_instance import RuntimeTaskInstance
    from riir_airflow.sdk.baseoperator import BaseOperator
    from riir_airflow.store.protocol import Store
    from riir_airflow.store.records import DagRunRecord

__all__ = ["build_context", "resolve_params"]


def resolve_params(task: BaseOperator, run: DagRunRecord) -> dict[str, Any]:
    """DAG params < task params < run conf (when `[core] dag_run_conf_overrides_params`), validated."""
    from riir_airflow.compat.config import conf
    from riir_airflow.sdk.params import merge_params

    overrides = conf.getboolean("core", "dag_run_conf_overrides_params", fallback=True)
    return merge_params(task.dag.params, task.params, run.conf, conf_overrides=overrides).validate()


def _date_keys(logical_date: datetime.datetime, interval_start: Any, interval_end: Any) -> dict[str, Any]:
    import pendulum

    ld = pendulum.instance(logical_date).in_timezone("UTC")
    ds = ld.strftime("%Y-%m-%d")
    ds_nodash = ds.replace("-", "")
    yesterday = (ld - datetime.timedelta(days=1)).strftime("%Y-%m-%d")
    tomorrow = (ld + datetime.timedelta(days=1)).strftime("%Y-%m-%d")
    start = pendulum.instance(interval_start).in_timezone("UTC") if interval_start is not None else ld
    end = pendulum.instance(interval_end).in_timezone("UTC") if interval_end is not None else ld
    return {
        "logical_date": ld,
        "ds": ds,
        "ds_nodash": ds_nodash,
        "ts": ld.isoformat(),
        "ts_nodash": ld.strftime("%Y%m%dT%H%M%S"),
        "ts_nodash_with_tz": ld.isoformat().replace("-", "").replace(":", ""),
        "data_interval_start": start,
        "data_interval_end": end,
        # Airflow 2.x keys.
        "execution_date": ld,
        "next_execution_date": end,
        "next_ds": end.strftime("%Y-%m-%d"),
        "next_ds_nodash": end.strftime("%Y%m%d"),
        "prev_execution_date": start,
        "prev_ds": start.strftime("%Y-%m-%d"),
        "prev_ds_nodash": start.strftime("%Y%m%d"),
        "yesterday_ds": yesterday,
        "yesterday_ds_nodash": yesterday.replace("-", ""),
        "tomorrow_ds": tomorrow,
        "tomorrow_ds_nodash": tomorrow.replace("-", ""),
    }


class _NoValue:
    """What a `prev_*_success` key holds when there is no earlier successful run. Airflow hands
    these keys out as lazy proxies, so in templates and code they render as `None` and are falsy
    but are not `None` itself (`x is None` is False); this mirrors that."""

    def __bool__(self) -> bool:
        return False

    def __eq__(self, other: object) -> bool:
        return other is None or isinstance(other, _NoValue)

    def __hash__(self) -> int:
        return hash(None)

    def __repr__(self) -> str:
        return "None"

    __str__ = __repr__

    def __reduce__(self) -> tuple[type, tuple[()]]:
        return (type(None), ())  # pickles as plain None (e.g. for a virtualenv task's child)


NO_VALUE = _NoValue()


def _previous_success(store: Store, run: DagRunRecord) -> dict[str, Any]:
    keys: dict[str, Any] = dict.fromkeys(
        (
            "prev_data_interval_start_success",
            "prev_data_interval_end_success",
            "prev_start_date_success",
            "prev_end_date_success",
            "prev_execution_date_success",
        ),
        NO_VALUE,
    )
    if run.logical_date is None:
        return keys
    previous = store.list_dag_runs(
        run.dag_id,
        states=[DagRunState.SUCCESS],
        logical_date_before=run.logical_date,
        limit=1,
        descending=True,
    )
    if previous:
        prev = previous[0]
        keys.update(
            prev_data_interval_start_success=prev.data_interval_start,
            prev_data_interval_end_success=prev.data_interval_end,
            prev_start_date_success=prev.start_date,
            prev_end_date_success=prev.end_date,
            prev_execution_date_success=prev.logical_date,
        )
    return keys


def build_context(ti: RuntimeTaskInstance, store: Store, params: dict[str, Any]) -> Context:
    """The context dict for one try of one task instance."""
    from riir_airflow import macros
    from riir_airflow.compat.config import conf
    from riir_airflow.runtime.assets import asset_context
    from riir_airflow.sdk.context_accessors import ConnectionAccessor, VariableAccessor

    task = ti.task
    run = ti._dag_run
    dag_run = ti.dag_run
    context = Context(
        dag=task.dag,
        task=task,
        ti=ti,
        task_instance=ti,
        dag_run=dag_run,
        run_id=run.run_id,
        params=params,
        var={
            "value": VariableAccessor(deserialize_json=False),
            "json": VariableAccessor(deserialize_json=True),
        },
        conn=ConnectionAccessor(),
        macros=macros,
        inlets=list(task.inlets),
        outlets=list(task.outlets),
        map_index_template=task.map_index_template,
        task_reschedule_count=0,
        conf=conf,
        test_mode=False,
        expanded_ti_count=None,
    )
    context.update(asset_context(task, run, store))  # outlet_events, inlet_events, triggering_*
    if run.logical_date is not None:
        context.update(_date_keys(run.logical_date, run.data_interval_start, run.data_interval_end))
        context["task_instance_key_str"] = f"{task.dag_id}__{task.task_id}__{context['ds_nodash']}"
    else:
        context["task_instance_key_str"] = f"{task.dag_id}__{task.task_id}__{run.run_id}"
    context.update(_previous_success(store, run))
    return context

"""The `dags test --output json` report of one run (DESIGN.md, "Contracts"), plus the run's
asset events and the DAGs they trigger (`asset_events`, `triggered_dag_ids`)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from riir_airflow.runtime.assets import asset_report
from riir_airflow.sdk.serde import deserialize_value, to_plain_json

if TYPE_CHECKING:
    from riir_airflow.store.protocol import Store
    from riir_airflow.store.records import DagRunRecord

__all__ = ["run_report", "ti_report_key"]


def ti_report_key(task_id: str, map_index: int) -> str:
    return task_id if map_index < 0 else f"{task_id}[{map_index}]"


def run_report(store: Store, run: DagRunRecord) -> dict[str, Any]:
    tis = sorted(store.get_task_instances(run.dag_id, run.run_id), key=lambda t: (t.task_id, t.map_index))
    returns = {
        (x.task_id, x.map_index): x.value
        for x in store.get_xcoms(run.dag_id, run_id=run.run_id, keys=["return_value"])
    }
    tasks: dict[str, Any] = {}
    rendered: dict[str, dict[str, str]] = {}
    for ti in tis:
        raw = returns.get((ti.task_id, ti.map_index))
        tasks[ti_report_key(ti.task_id, ti.map_index)] = {
            "state": ti.state.value,
            "xcom_return": to_plain_json(deserialize_value(raw)) if raw is not None else None,
            "try_number": ti.try_number,
        }
        fields = store.get_rendered_fields(run.dag_id, run.run_id, ti.task_id, ti.map_index)
        if fields:
            rendered[ti_report_key(ti.task_id, ti.map_index)] = fields
    return {
        "dag_id": run.dag_id,
        "run_id": run.run_id,
        "logical_date": run.logical_date.isoformat() if run.logical_date is not None else None,
        "run_state": run.state.value,
        "tasks": tasks,
        "rendered": rendered,
        **asset_report(store, run),  # asset_events, triggered_dag_ids
    }

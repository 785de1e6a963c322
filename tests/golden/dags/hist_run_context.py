"""Run type, run ids and the history methods of the task instance over a sequence of manual runs
(none of them literal: run ids come from wall-clock now in Airflow 3).

Runs: 03-05 ok, 03-06 FAILS (conf), 03-07 ok, 03-03 (earlier than all) ok.
`ti.get_previous_dagrun()` is the run with the latest smaller logical date, any state;
`ti.get_previous_dagrun(state="success")` skips the failed one; `ti.get_previous_ti()` is this
task's instance in that run; `get_dr_count` counts this DAG's runs in the DB (including the
running one).
"""
import pendulum

from riir_airflow.sdk import DAG
from riir_airflow.providers.standard.operators.bash import BashOperator
from riir_airflow.providers.standard.operators.python import PythonOperator

GOLDEN_ARGS = {
    "runs": [
        {"logical_date": "2024-03-05T00:00:00+00:00"},
        {"logical_date": "2024-03-06T00:00:00+00:00", "conf": {"fail": True}},
        {"logical_date": "2024-03-07T00:00:00+00:00"},
        {"logical_date": "2024-03-03T00:00:00+00:00"},
    ]
}


def _history(ti, dag_run, run_id, logical_date):
    prev = ti.get_previous_dagrun()
    prev_ok = ti.get_previous_dagrun(state="success")
    prev_ti = ti.get_previous_ti()

    def run_info(dr):
        if dr is None:
            return None
        return {
            "logical_date": dr.logical_date.isoformat(),
            "state": str(dr.state),
            "run_type": str(dr.run_type),
            "run_id_prefix": dr.run_id.split("__")[0],
            "same_run_id": dr.run_id == run_id,
        }

    return {
        "run_type": str(dag_run.run_type),
        "is_manual": dag_run.run_type == "manual",
        "run_id_prefix": run_id.split("__")[0],
        "run_id_is_dag_run_id": run_id == dag_run.run_id,
        "run_after_after_logical_date": dag_run.run_after > logical_date,
        "prev": run_info(prev),
        "prev_success": run_info(prev_ok),
        "prev_ti_state": None if prev_ti is None else str(prev_ti.state),
        "dr_count": ti.get_dr_count(dag_id=ti.dag_id),
        "dr_count_failed": ti.get_dr_count(dag_id=ti.dag_id, states=["failed"]),
    }


def _gate(params):
    if params.get("fail"):
        raise ValueError("asked to fail")


with DAG(
    dag_id="hist_run_context",
    start_date=pendulum.datetime(2024, 1, 1, tz="UTC"),
    schedule="@daily",
) as dag:
    history = PythonOperator(task_id="history", python_callable=_history)
    templated = BashOperator(
        task_id="templated",
        bash_command=(
            "echo '{{ dag_run.run_type }} | {{ dag_run.run_type == \"manual\" }} | {{ run_id.startswith(\"manual__\") }}"
            " | {{ run_id == dag_run.run_id }} | {{ task_instance_key_str }} | {{ dag_run.conf | tojson }}'"
        ),
    )
    gate = PythonOperator(task_id="gate", python_callable=_gate)
    [history, templated] >> gate

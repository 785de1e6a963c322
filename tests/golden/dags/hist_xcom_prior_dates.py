"""xcom_pull across runs: include_prior_dates=True sees the latest earlier-or-equal logical date,
without it a run sees only its own XComs.

`reader` and then `templated` run BEFORE `writer` in each run, so what they pull from `writer`
can only come from another run. `after` runs after `writer` (its own run's value wins with include_prior_dates).
Runs: 03-05, 03-06 (writer also pushes key "extra"), 03-07, 03-04 (earlier than every other
run: no prior dates), then 03-06 AGAIN: dag.test replaces the existing run at that logical date
(deleted with its XComs), so "extra" is gone and 03-05's values are the latest prior ones.
"""
import pendulum

from riir_airflow.sdk import DAG
from riir_airflow.providers.standard.operators.bash import BashOperator
from riir_airflow.providers.standard.operators.python import PythonOperator

GOLDEN_ARGS = {
    "runs": [
        {"logical_date": "2024-03-05T00:00:00+00:00"},
        {"logical_date": "2024-03-06T00:00:00+00:00", "conf": {"extra": "pushed on 03-06"}},
        {"logical_date": "2024-03-07T00:00:00+00:00"},
        {"logical_date": "2024-03-04T00:00:00+00:00"},
        {"logical_date": "2024-03-06T00:00:00+00:00"},
    ]
}


def _read(ti):
    seen_before = ti.xcom_pull(key="seen", include_prior_dates=True)  # own task, earlier runs
    ti.xcom_push(key="seen", value=f"reader at {ti.run_id[:8]}")
    return {
        "own_run": ti.xcom_pull(task_ids="writer"),
        "prior": ti.xcom_pull(task_ids="writer", include_prior_dates=True),
        "prior_extra": ti.xcom_pull(task_ids="writer", key="extra", include_prior_dates=True),
        "own_run_extra": ti.xcom_pull(task_ids="writer", key="extra"),
        "prior_list": ti.xcom_pull(task_ids=["writer", "after"], include_prior_dates=True),
        "seen_before": seen_before,
    }


def _write(ds, params, ti):
    if params.get("extra"):
        ti.xcom_push(key="extra", value=params["extra"])
    return f"written {ds}"


def _after(ti):
    return {
        "own": ti.xcom_pull(task_ids="writer"),
        "prior": ti.xcom_pull(task_ids="writer", include_prior_dates=True),
        "prior_extra": ti.xcom_pull(task_ids="writer", key="extra", include_prior_dates=True),
    }


with DAG(
    dag_id="hist_xcom_prior_dates",
    start_date=pendulum.datetime(2024, 1, 1, tz="UTC"),
    schedule="@daily",
) as dag:
    reader = PythonOperator(task_id="reader", python_callable=_read)
    writer = PythonOperator(task_id="writer", python_callable=_write)
    after = PythonOperator(task_id="after", python_callable=_after)
    templated = BashOperator(
        task_id="templated",
        bash_command=(
            "echo \"{{ ti.xcom_pull(task_ids='writer', include_prior_dates=True) }}"
            " | {{ ti.xcom_pull(task_ids='writer', key='extra', include_prior_dates=True) }}"
            " | {{ ti.xcom_pull(task_ids='writer') }}\""
        ),
    )
    reader >> templated >> writer >> after

"""Date templates on a `timedelta(hours=6)` schedule (Airflow 3: DeltaTriggerTimetable, manual
interval [ld, ld]); logical date on a leap day at 18:30."""
from datetime import timedelta

import pendulum

from riir_airflow.sdk import DAG
from riir_airflow.providers.standard.operators.python import PythonOperator

GOLDEN_ARGS = {"logical_date": "2024-02-29T18:30:00+00:00"}

TEMPLATES = {
    "ds": "{{ ds }}",
    "ds_nodash": "{{ ds_nodash }}",
    "ts": "{{ ts }}",
    "ts_nodash": "{{ ts_nodash }}",
    "ts_nodash_with_tz": "{{ ts_nodash_with_tz }}",
    "logical_date": "{{ logical_date }}",
    "logical_date_iso": "{{ logical_date.isoformat() }}",
    "logical_date_fmt": "{{ logical_date.strftime('%A %d %B %Y %H:%M') }}",
    "data_interval_start": "{{ data_interval_start }}",
    "data_interval_end": "{{ data_interval_end }}",
    "dag_run_logical_date": "{{ dag_run.logical_date }}",
    "dag_run_dis": "{{ dag_run.data_interval_start | ts }}",
    "filter_ds": "{{ logical_date | ds }}",
    "filter_ds_nodash": "{{ data_interval_end | ds_nodash }}",
    "filter_ts": "{{ data_interval_start | ts }}",
    "filter_ts_nodash": "{{ logical_date | ts_nodash }}",
    "filter_ts_nodash_with_tz": "{{ logical_date | ts_nodash_with_tz }}",
    "tz": "{{ dag.timezone.name }}",
    "year": "{{ logical_date.year }}",
}


def _echo(values):
    return values


with DAG(
    dag_id="tmpl_dates_timedelta",
    start_date=pendulum.datetime(2024, 1, 1, tz="UTC"),
    schedule=timedelta(hours=6),
    catchup=False,
) as dag:
    PythonOperator(task_id="dates", python_callable=_echo, op_kwargs={"values": TEMPLATES})

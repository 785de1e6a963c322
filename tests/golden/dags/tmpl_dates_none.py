"""Date templates on an unscheduled DAG (`schedule=None`, NullTimetable): the manual data
interval of dag.test is [ld, ld]. Logical date at the last second of a year."""
import pendulum

from riir_airflow.sdk import DAG
from riir_airflow.providers.standard.operators.python import PythonOperator

GOLDEN_ARGS = {"logical_date": "2024-12-31T23:59:59+00:00"}

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
    dag_id="tmpl_dates_none",
    start_date=pendulum.datetime(2024, 1, 1, tz="UTC"),
    schedule=None,
    catchup=False,
) as dag:
    PythonOperator(task_id="dates", python_callable=_echo, op_kwargs={"values": TEMPLATES})

"""Date templates on a cron-scheduled DAG (`schedule="@daily"`). In Airflow 3 a cron schedule
means CronTriggerTimetable, so a manual dag.test run has the data interval [ld, ld]."""
import pendulum

from riir_airflow.sdk import DAG
from riir_airflow.providers.standard.operators.python import PythonOperator

GOLDEN_ARGS = {"logical_date": "2024-03-05T06:00:00+00:00"}

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
    dag_id="tmpl_dates_daily",
    start_date=pendulum.datetime(2024, 1, 1, tz="UTC"),
    schedule="@daily",
    catchup=False,
) as dag:
    PythonOperator(task_id="dates", python_callable=_echo, op_kwargs={"values": TEMPLATES})

"""DAG whose start_date is in Europe/Amsterdam, cron "30 0 * * *" (evaluated in that zone).
The logical date 2024-03-05T00:30+01:00 is 2024-03-04T23:30 UTC: every context date and
ds/ts is UTC, so `ds` is the PREVIOUS day (2024-03-04)."""
import pendulum

from riir_airflow.sdk import DAG
from riir_airflow.providers.standard.operators.bash import BashOperator
from riir_airflow.providers.standard.operators.python import PythonOperator

GOLDEN_ARGS = {"logical_date": "2024-03-05T00:30:00+01:00"}


def _echo(values):
    return values


with DAG(
    dag_id="tmpl_tz_amsterdam",
    start_date=pendulum.datetime(2024, 1, 1, tz="Europe/Amsterdam"),
    schedule="30 0 * * *",
) as dag:
    PythonOperator(
        task_id="dates",
        python_callable=_echo,
        op_kwargs={
            "values": {
                "ds": "{{ ds }}",
                "ds_nodash": "{{ ds_nodash }}",
                "ts": "{{ ts }}",
                "ts_nodash_with_tz": "{{ ts_nodash_with_tz }}",
                "logical_date": "{{ logical_date }}",
                "logical_tz": "{{ logical_date.timezone_name }}",
                "local": "{{ logical_date.in_timezone(dag.timezone).strftime('%Y-%m-%d %H:%M %z') }}",
                "local_ds": "{{ logical_date.in_timezone('Europe/Amsterdam') | ds }}",
                "dag_tz": "{{ dag.timezone.name }}",
                "data_interval_start": "{{ data_interval_start }}",
                "data_interval_end": "{{ data_interval_end }}",
            }
        },
    )
    BashOperator(task_id="bash_ds", bash_command="echo {{ ds }} {{ ts }}")

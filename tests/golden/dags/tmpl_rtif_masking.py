"""Secret masking in the RECORDED rendered fields (what `rendered` shows; tasks themselves see
the real values, as the XComs show): a connection password used in a template, a value under a
sensitive-looking key name ("password", "api_key"), a variable with a sensitive-looking name,
and the same values under neutral key names."""
import pendulum

from riir_airflow.sdk import DAG
from riir_airflow.providers.standard.operators.bash import BashOperator
from riir_airflow.providers.standard.operators.python import PythonOperator

GOLDEN_ARGS = {
    "logical_date": "2024-03-05T06:00:00+00:00",
    "env": {
        "AIRFLOW_CONN_DB": "postgres://user:hunter2pw@db.example.com:5432/app",
        "AIRFLOW_VAR_MY_SECRET": "var-secret-value",
        "AIRFLOW_VAR_MY_PLAIN": "var-plain-value",
    },
}


def _echo(values):
    return values


with DAG(dag_id="tmpl_rtif_masking", start_date=pendulum.datetime(2024, 1, 1, tz="UTC"), schedule=None) as dag:
    py = PythonOperator(
        task_id="values",
        python_callable=_echo,
        op_kwargs={
            "values": {
                "password": "literal-under-password-key",
                "api_key": "literal-under-api-key",
                "neutral_literal": "literal-neutral",
                "neutral_conn_password": "{{ conn.db.password }}",
                "neutral_conn_login": "{{ conn.db.login }}",
                "neutral_secret_var": "{{ var.value.my_secret }}",
                "neutral_plain_var": "{{ var.value.my_plain }}",
            }
        },
    )
    bash = BashOperator(task_id="bash", bash_command="echo {{ conn.db.password }} {{ conn.db.host }}")
    py >> bash

"""Variables and Connections with the Airflow 2.x spelling: Variable from riir_airflow.models,
BaseHook from riir_airflow.hooks.base; the default passed positionally (works on both
majors); an sftp URI with an empty path (schema "") and percent-encoded query extras, an https
URI whose path becomes the schema."""
import pendulum

from riir_airflow import DAG
from riir_airflow.hooks.base import BaseHook
from riir_airflow.models import Variable
from riir_airflow.operators.python import PythonOperator

GOLDEN_ARGS = {
    "logical_date": "2024-03-05T06:00:00+00:00",
    "env": {
        "AIRFLOW_VAR_ENVIRONMENT": "staging",
        "AIRFLOW_VAR_LIMITS": '{"max": 10}',
        "AIRFLOW_CONN_SFTP_BOX": "sftp://deploy@files.example.com:2222/?key_file=%2Fkeys%2Fid&no_host_key_check=true",
        "AIRFLOW_CONN_MY_HTTPS": "https://example.com/path",
    },
}


def _read():
    sftp = BaseHook.get_connection("sftp_box")
    https = BaseHook.get_connection("my_https")
    return {
        "env": Variable.get("environment"),
        "limits_max": Variable.get("limits", deserialize_json=True)["max"],
        "positional_default": Variable.get("missing_var", "pos-default"),
        "sftp": {"type": sftp.conn_type, "host": sftp.host, "login": sftp.login, "port": sftp.port,
                 "schema": sftp.schema, "extra": sftp.extra_dejson},
        "https": {"type": https.conn_type, "host": https.host, "schema": https.schema},
        "conn_id": sftp.conn_id,
    }


with DAG("vars_conns_legacy", start_date=pendulum.datetime(2024, 1, 1, tz="UTC"), schedule=None) as dag:
    PythonOperator(task_id="read", python_callable=_read)

"""Variables and Connections in Python code (Airflow 3 spelling): Variable.get (plain, with a
default, default=None, deserialize_json), a missing Variable without default (task fails),
BaseHook.get_connection for URI and JSON connections (fields, extra_dejson, upper-case id),
Connection.get, a missing connection (task fails)."""
import pendulum

from riir_airflow.sdk import DAG, BaseHook, Connection, Variable, task
from riir_airflow.providers.standard.operators.python import PythonOperator

GOLDEN_ARGS = {
    "logical_date": "2024-03-05T06:00:00+00:00",
    "env": {
        "AIRFLOW_VAR_PLAIN": "plain-value",
        "AIRFLOW_VAR_SETTINGS": '{"threshold": 0.5, "names": ["a", "b"], "inner": {"on": true}}',
        "AIRFLOW_CONN_WAREHOUSE": "postgres://etl:s3cr%23t@wh.internal:6543/analytics?sslmode=verify-full&connect_timeout=10",
        "AIRFLOW_CONN_API": '{"conn_type": "http", "host": "https://api.example.com", "login": "svc", "password": "tok", "extra": {"headers": {"X-Env": "test"}}}',
    },
}


def _variables():
    return {
        "plain": Variable.get("plain"),
        "plain_upper_key": Variable.get("PLAIN"),
        "missing_default": Variable.get("nope", default="fallback"),
        "missing_none": Variable.get("nope", default=None),
        "json": Variable.get("settings", deserialize_json=True),
        "json_raw": Variable.get("settings"),
        "json_threshold_type": type(Variable.get("settings", deserialize_json=True)["threshold"]).__name__,
    }


def _missing_variable():
    return Variable.get("definitely_missing")


def _connections():
    wh = BaseHook.get_connection("warehouse")
    api = BaseHook.get_connection("API")
    return {
        "wh": [wh.conn_id, wh.conn_type, wh.host, wh.login, wh.password, wh.port, wh.schema],
        "wh_extra": wh.extra_dejson,
        "api": [api.conn_id, api.conn_type, api.host, api.login, api.password, api.port, api.schema],
        "api_extra": api.extra_dejson,
        "api_port_type": type(api.port).__name__,
    }


def _missing_connection():
    return BaseHook.get_connection("no_such_conn").host


with DAG(dag_id="vars_conns_code", start_date=pendulum.datetime(2024, 1, 1, tz="UTC"), schedule=None) as dag:
    v = PythonOperator(task_id="variables", python_callable=_variables)
    mv = PythonOperator(task_id="missing_variable", python_callable=_missing_variable)
    c = PythonOperator(task_id="connections", python_callable=_connections)
    mc = PythonOperator(task_id="missing_connection", python_callable=_missing_connection)

    @task
    def connection_get():
        conn = Connection.get("warehouse")
        return {"host": conn.host, "port": conn.port, "extra": conn.extra_dejson}

    v >> c >> connection_get()

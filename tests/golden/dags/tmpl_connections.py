"""Connections in templates from AIRFLOW_CONN_* environment variables: a URI with
percent-encoded userinfo and query-string extras (`postgresql` -> conn_type `postgres`), a JSON
connection with nested extra, a URI with `__extra__` JSON and a dashed scheme."""
import pendulum

from riir_airflow.sdk import DAG
from riir_airflow.providers.standard.operators.python import PythonOperator

GOLDEN_ARGS = {
    "logical_date": "2024-03-05T06:00:00+00:00",
    "env": {
        "AIRFLOW_CONN_MY_PG": "postgresql://us%2Fer:p%40ss%3Aw@db.example.com:5432/mydb?sslmode=require&application_name=golden",
        "AIRFLOW_CONN_MY_JSON": '{"conn_type": "http", "host": "api.example.com", "login": "bob", "password": "pw", "port": 8443, "schema": "v1", "extra": {"timeout": 5, "nested": {"a": [1, 2]}}}',
        "AIRFLOW_CONN_ENC_EXTRA": "my-type://hostonly?__extra__=%7B%22a%22%3A+1%2C+%22b%22%3A+%5B%22x%22%5D%7D",
    },
}


def _echo(values):
    return values


with DAG(dag_id="tmpl_connections", start_date=pendulum.datetime(2024, 1, 1, tz="UTC"), schedule=None) as dag:
    PythonOperator(
        task_id="conns",
        python_callable=_echo,
        op_kwargs={
            "values": {
                "pg_host": "{{ conn.my_pg.host }}",
                "pg_login": "{{ conn.my_pg.login }}",
                "pg_password": "{{ conn.my_pg.password }}",
                "pg_port": "{{ conn.my_pg.port }}",
                "pg_schema": "{{ conn.my_pg.schema }}",
                "pg_conn_type": "{{ conn.my_pg.conn_type }}",
                "pg_extra_dejson": "{{ conn.my_pg.extra_dejson | dictsort }}",
                "pg_sslmode": "{{ conn.my_pg.extra_dejson.sslmode }}",
                "pg_get": "{{ conn.get('my_pg').host }}",
                "json_type": "{{ conn.my_json.conn_type }}",
                "json_host_port": "{{ conn.my_json.host }}:{{ conn.my_json.port }}",
                "json_login": "{{ conn.my_json.login }}",
                "json_schema": "{{ conn.my_json.schema }}",
                "json_timeout": "{{ conn.my_json.extra_dejson.timeout }}",
                "json_nested": "{{ conn.my_json.extra_dejson.nested.a }}",
                "enc_type": "{{ conn.enc_extra.conn_type }}",
                "enc_host": "{{ conn.enc_extra.host }}",
                "enc_extra_a": "{{ conn.enc_extra.extra_dejson.a }}",
                "enc_extra_b": "{{ conn.enc_extra.extra_dejson.b }}",
                "enc_login_none": "{{ conn.enc_extra.login }}",
                "enc_port_none": "{{ conn.enc_extra.port }}",
            }
        },
    )

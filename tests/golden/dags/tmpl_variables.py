"""Airflow 2.x import spelling. Variables in templates from AIRFLOW_VAR_* environment variables: var.value / var.json,
nested JSON access, `.get` with a default for a missing variable, key case-insensitivity."""
import pendulum

from riir_airflow import DAG
from riir_airflow.operators.bash import BashOperator
from riir_airflow.operators.python import PythonOperator

GOLDEN_ARGS = {
    "logical_date": "2024-03-05T06:00:00+00:00",
    "env": {
        "AIRFLOW_VAR_FOO": "bar",
        "AIRFLOW_VAR_CFG": '{"sub": {"x": 1, "name": "deep"}, "list": [1, 2, 3], "flag": true}',
        "AIRFLOW_VAR_WITH_SPACES": "  padded value  ",
    },
}


def _echo(values):
    return values


with DAG(dag_id="tmpl_variables", start_date=pendulum.datetime(2024, 1, 1, tz="UTC"), schedule=None) as dag:
    PythonOperator(
        task_id="vars",
        python_callable=_echo,
        op_kwargs={
            "values": {
                "value_foo": "{{ var.value.foo }}",
                "value_FOO_upper": "{{ var.value.FOO }}",
                "value_cfg_raw": "{{ var.value.cfg }}",
                "json_sub_x": "{{ var.json.cfg.sub.x }}",
                "json_sub_name": "{{ var.json.cfg['sub']['name'] }}",
                "json_list": "{{ var.json.cfg.list }}",
                "json_list_sum": "{{ var.json.cfg.list | sum }}",
                "json_flag": "{{ var.json.cfg.flag }}",
                "value_get_missing": "{{ var.value.get('no_such_var', 'fallback') }}",
                "value_get_present": "{{ var.value.get('foo', 'fallback') }}",
                "json_get_missing": "{{ var.json.get('no_such_var', {'d': 1}) }}",
                "spaces": "[{{ var.value.with_spaces }}]",
            }
        },
    )
    BashOperator(task_id="bash_var", bash_command="echo {{ var.value.foo }}-{{ var.json.cfg.sub.name }}")

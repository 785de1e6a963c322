"""render_template_as_native_obj=True: templates yield native Python objects (lists, dicts,
ints), so the callable sees typed values; `{{ ds_nodash }}` becomes an int, a string that is not
a literal stays a string."""
import pendulum

from riir_airflow.sdk import DAG
from riir_airflow.providers.standard.operators.bash import BashOperator
from riir_airflow.providers.standard.operators.python import PythonOperator

GOLDEN_ARGS = {"logical_date": "2024-03-05T06:00:00+00:00", "conf": {"n": 3}}


def _types(**kwargs):
    keys = ["lst", "dct", "num", "s", "ds_nodash", "mixed", "boolean", "none", "tuple_", "float_"]
    return {k: [type(kwargs[k]).__name__, kwargs[k]] for k in keys}


with DAG(
    dag_id="tmpl_native_obj",
    start_date=pendulum.datetime(2024, 1, 1, tz="UTC"),
    schedule=None,
    params={"n": 1},
    render_template_as_native_obj=True,
) as dag:
    native = PythonOperator(
        task_id="native",
        python_callable=_types,
        op_kwargs={
            "lst": "{{ [1, 2, params.n] }}",
            "dct": "{{ {'a': ds, 'b': params.n} }}",
            "num": "{{ 40 + 2 }}",
            "s": "{{ ds }}",
            "ds_nodash": "{{ ds_nodash }}",
            "mixed": "x{{ params.n }}",
            "boolean": "{{ params.n > 2 }}",
            "none": "{{ None }}",
            "tuple_": "{{ (1, 'a') }}",
            "float_": "{{ 1.5 * params.n }}",
        },
    )
    bash = BashOperator(task_id="bash_native", bash_command="echo {{ ds }} {{ params.n }}")
    native >> bash

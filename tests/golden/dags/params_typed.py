"""Params with Param(...) JSON-schema types; the run conf overrides some of them (and adds a
key that is not a declared param); templates read `{{ params.x }}`; a task returns `params`."""
import pendulum

from riir_airflow.sdk import DAG, Param, task
from riir_airflow.providers.standard.operators.bash import BashOperator

GOLDEN_ARGS = {
    "logical_date": "2024-03-05T06:00:00+00:00",
    "conf": {"int_p": 7, "str_enum": "b", "arr": [3, 4, 5], "undeclared": "from-conf"},
}

with DAG(
    dag_id="params_typed",
    start_date=pendulum.datetime(2024, 1, 1, tz="UTC"),
    schedule=None,
    params={
        "int_p": Param(5, type="integer", minimum=0, description="an int"),
        "str_enum": Param("a", type="string", enum=["a", "b", "c"]),
        "arr": Param([1, 2], type="array"),
        "obj": Param({"k": "v", "n": 1}, type="object"),
        "nullable": Param(None, type=["null", "string"]),
        "plain": "raw value",
        "num": 1.5,
    },
) as dag:
    render = BashOperator(
        task_id="render",
        bash_command=(
            "echo int={{ params.int_p }} enum={{ params.str_enum }} arr={{ params.arr }} "
            "len={{ params.arr | length }} obj={{ params.obj.k }} none={{ params.nullable }} "
            "plain='{{ params.plain }}' num={{ params.num }} und={{ params.undeclared }} "
            "sum={{ params.int_p + params.arr[0] }}"
        ),
    )

    @task
    def as_dict(params=None):
        return {k: params[k] for k in sorted(params)}

    @task
    def types(params=None):
        return {k: type(params[k]).__name__ for k in sorted(params)}

    render >> as_dict() >> types()

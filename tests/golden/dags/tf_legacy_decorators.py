"""TaskFlow with the Airflow 2.x spelling (`riir_airflow.decorators`): @dag with params,
@task, @task_group, multiple_outputs, get_current_context from riir_airflow.operators.python."""
import pendulum

from riir_airflow.decorators import dag, task, task_group
from riir_airflow.operators.python import get_current_context

GOLDEN_ARGS = {"logical_date": "2024-03-05T06:00:00+00:00", "conf": {"base": 5}}


@dag(dag_id="tf_legacy_decorators", schedule=None, start_date=pendulum.datetime(2024, 1, 1, tz="UTC"), catchup=False)
def legacy_flow(base: int = 1):
    @task
    def start(b):
        return b + 1

    @task(multiple_outputs=True)
    def spread(x):
        return {"lo": x - 1, "hi": x + 1}

    @task_group
    def math(v):
        @task
        def square(n):
            return n * n

        @task
        def neg(n):
            return -n

        return neg(square(v))

    @task
    def report(lo, hi, m):
        ctx = get_current_context()
        return {"lo": lo, "hi": hi, "m": m, "task": ctx["ti"].task_id}

    s = spread(start(base))
    report(s["lo"], s["hi"], math(s["hi"]))


legacy_flow()

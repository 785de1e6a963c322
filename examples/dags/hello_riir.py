"""A first DAG: TaskFlow, a templated bash task and a branch. Run it with
`riir-airflow dags test examples/dags/hello_riir.py`."""

import pendulum

from riir_airflow.providers.standard.operators.bash import BashOperator
from riir_airflow.sdk import dag, task


@dag(schedule="@daily", start_date=pendulum.datetime(2024, 1, 1, tz="UTC"), catchup=False, tags=["example"])
def hello_riir(greeting: str = "hello"):
    @task
    def extract() -> dict[str, int]:
        return {"apples": 3, "pears": 4}

    @task
    def total(counts: dict[str, int]) -> int:
        return sum(counts.values())

    @task.branch
    def big_or_small(n: int) -> str:
        return "big" if n > 5 else "small"

    counts = extract()
    n = total(counts)
    choice = big_or_small(n)
    # `run_id` exists for every run; `ds` would not for a run triggered without a logical date
    # (the CLI's and the API's default in Airflow 3), and the task would fail to render.
    big = BashOperator(task_id="big", bash_command="echo '{{ params.greeting }}: big basket in {{ run_id }}'")
    small = BashOperator(task_id="small", bash_command="echo small")
    choice >> [big, small]


hello_riir()

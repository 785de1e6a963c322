"""Concurrency limits on mapped tasks do not change results: max_active_tis_per_dag=1 on a @task
expanded 5 times, max_active_tis_per_dagrun=2 on a BashOperator expanded 4 times, and a pool
with pool_slots; every instance succeeds in map-index order of XComs; a reducer sums them."""
import pendulum

from riir_airflow.sdk import dag, task
from riir_airflow.providers.standard.operators.bash import BashOperator

GOLDEN_ARGS = {"logical_date": "2024-03-05T06:00:00+00:00"}


@dag(schedule=None, start_date=pendulum.datetime(2024, 1, 1, tz="UTC"), max_active_tasks=2)
def map_max_active():
    @task(max_active_tis_per_dag=1)
    def one_at_a_time(n):
        return n + 100

    @task(max_active_tis_per_dagrun=2, pool_slots=1)
    def two_per_run(n):
        return -n

    @task
    def total(a, b):
        return {"a": sum(a), "b": sum(b), "len": len(a) + len(b)}

    a = one_at_a_time.expand(n=[1, 2, 3, 4, 5])
    b = two_per_run.expand(n=[1, 2, 3])
    total(a, b)
    BashOperator.partial(task_id="bash_limited", max_active_tis_per_dagrun=2).expand(
        bash_command=[f"echo {i}" for i in range(4)]
    )


map_max_active()

"""Mapping over a mapped task's output: stage2.expand(x=stage1 output) gets one instance per
stage1 instance (values in map-index order), a third level over stage2, stage2 partial() plus a
literal second expand arg (cross product with the upstream's values), and a classic
BashOperator expanded over a `.map()` of a mapped task's output; reducers at the end."""
import pendulum

from riir_airflow.sdk import dag, task
from riir_airflow.providers.standard.operators.bash import BashOperator

GOLDEN_ARGS = {"logical_date": "2024-03-05T06:00:00+00:00"}


@dag(schedule=None, start_date=pendulum.datetime(2024, 1, 1, tz="UTC"))
def map_over_mapped():
    @task
    def stage1(x):
        return x + 1

    @task
    def stage2(x, k=1, ti=None):
        return {"x": x * k, "i": ti.map_index}

    @task
    def stage3(d):
        return d["x"] - d["i"]

    @task
    def reduce(values):
        return list(values)

    s1 = stage1.expand(x=[10, 20, 30])
    s2 = stage2.partial(k=2).expand(x=s1)
    s3 = stage3.expand(d=s2)
    reduce(s3)
    cross = stage2.override(task_id="cross").expand(x=s1, k=[1, -1])
    reduce.override(task_id="reduce_cross")(cross)
    BashOperator.partial(task_id="bash_over").expand(bash_command=s1.map(lambda v: f"echo value={v}"))


map_over_mapped()

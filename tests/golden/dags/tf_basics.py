"""TaskFlow basics: @task, passing XComArgs between tasks, @task(multiple_outputs=True) (each key
pushed separately AND the whole dict as return_value), a `-> dict[str, int]` annotation inferring
multiple_outputs, xcomarg["key"], returning None, returning a tuple, a task with no return."""
import pendulum

from riir_airflow.sdk import dag, task

GOLDEN_ARGS = {"logical_date": "2024-03-05T06:00:00+00:00"}


@dag(schedule=None, start_date=pendulum.datetime(2024, 1, 1, tz="UTC"))
def tf_basics():
    @task
    def number():
        return 21

    @task
    def double(x):
        return x * 2

    @task(multiple_outputs=True)
    def split():
        return {"left": 1, "right": "r"}

    @task
    def annotated() -> dict[str, int]:
        return {"a": 10, "b": 20}

    @task
    def combine(left, right, a, whole_b):
        return {"left": left, "right": right, "a": a, "whole_b": whole_b}

    @task
    def nothing():
        pass

    @task
    def pairs():
        return (1, "x")

    @task
    def pull_keys(ti=None):
        return {
            "split_left": ti.xcom_pull(task_ids="split", key="left"),
            "split_whole": ti.xcom_pull(task_ids="split"),
            "annotated_a": ti.xcom_pull(task_ids="annotated", key="a"),
            "nothing": ti.xcom_pull(task_ids="nothing"),
            "pairs": ti.xcom_pull(task_ids="pairs"),
        }

    d = double(number())
    s = split()
    an = annotated()
    c = combine(s["left"], s["right"], an["a"], an)
    d >> c
    [c, nothing(), pairs()] >> pull_keys()


tf_basics()

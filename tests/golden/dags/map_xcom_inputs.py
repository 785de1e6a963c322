"""Mapping over upstream XComs: a returned list, a returned dict ((key, value) pairs), the
return_value of a multiple_outputs task (mapping over `xcomarg["key"]` is rejected by Airflow at
parse time: "cannot map over XCom with custom key"), a list mixed with a literal partial() arg, a
cross product of two XCom lists, and a reducer of each."""
import pendulum

from riir_airflow.sdk import dag, task

GOLDEN_ARGS = {"logical_date": "2024-03-05T06:00:00+00:00"}


@dag(schedule=None, start_date=pendulum.datetime(2024, 1, 1, tz="UTC"))
def map_xcom_inputs():
    @task
    def numbers():
        return [5, 6, 7]

    @task
    def mapping():
        return {"x": 10, "y": 20}

    @task(multiple_outputs=True)
    def bundle():
        return {"letters": ["a", "b"], "n": 2}

    @task
    def letters(b):
        return b["letters"]

    @task
    def times(v, k=1):
        return v * k

    @task
    def kv(entry):
        key, value = entry
        return f"{key}={value}"

    @task
    def combo(a, b):
        return [a, b]

    @task
    def reduce(values):
        return list(values)

    nums = numbers()
    by_list = times.override(task_id="by_list").partial(k=3).expand(v=nums)
    by_dict = kv.expand(entry=mapping())
    b = bundle()
    by_multi = kv.override(task_id="by_multi").expand(entry=b)
    ls = letters(b)
    by_key = times.override(task_id="by_key").partial(k=2).expand(v=ls)
    cross = combo.expand(a=nums, b=ls)
    for name, src in [("r_list", by_list), ("r_dict", by_dict), ("r_key", by_key), ("r_multi", by_multi), ("r_cross", cross)]:
        reduce.override(task_id=name)(src)


map_xcom_inputs()

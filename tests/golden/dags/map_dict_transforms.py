"""XComArg transforms over a dict XCom, as Airflow 3.3.2 does them: `.map(fn)` over a dict makes
one instance per entry but each fails (the lazy mapped value indexes the dict by position:
KeyError), `.concat()` with a dict contributes the dict's KEYS only; plain expand over the dict
gives (key, value) pairs. (`.zip()` with a dict is left out: Airflow pairs items with an
unserialisable NOTSET.)"""
import pendulum

from riir_airflow.sdk import dag, task

GOLDEN_ARGS = {"logical_date": "2024-03-05T06:00:00+00:00"}


@dag(schedule=None, start_date=pendulum.datetime(2024, 1, 1, tz="UTC"))
def map_dict_transforms():
    @task
    def words():
        return ["one", "two"]

    @task
    def table():
        return {"k1": "v1", "k2": "v2"}

    @task
    def show(v, ti=None):
        return {"i": ti.map_index, "v": v}

    w, t = words(), table()
    show.override(task_id="plain").expand(v=t)
    show.override(task_id="dict_map").expand(v=t.map(lambda kv: f"{kv[0]}:{kv[1]}"))
    show.override(task_id="concat_dict").expand(v=w.concat(t))


map_dict_transforms()

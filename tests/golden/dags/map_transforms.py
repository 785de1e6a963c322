"""XComArg transforms feeding expand: `.map(fn)` on a list, `.zip()` (shortest wins),
`.zip(fillvalue=...)` (longest), zip of three, `.concat()` of three lists, a map over a zip, a
map over a concat, and reducers over the transformed mapped results. (Transforms of a dict XCom
are in map_dict_transforms.)"""
import pendulum

from riir_airflow.sdk import dag, task

GOLDEN_ARGS = {"logical_date": "2024-03-05T06:00:00+00:00"}


@dag(schedule=None, start_date=pendulum.datetime(2024, 1, 1, tz="UTC"))
def map_transforms():
    @task
    def nums():
        return [1, 2, 3, 4]

    @task
    def words():
        return ["one", "two"]

    @task
    def flags():
        return [True, False, None]

    @task
    def show(v, ti=None):
        return {"i": ti.map_index, "v": v}

    @task
    def reduce(values):
        return list(values)

    n, w, f = nums(), words(), flags()
    mapped_map = show.override(task_id="mapped_map").expand(v=n.map(lambda x: x * 10))
    show.override(task_id="zip_short").expand(v=n.zip(w))
    show.override(task_id="zip_fill").expand(v=n.zip(w, fillvalue="-"))
    show.override(task_id="zip_three").expand(v=n.zip(w, f, fillvalue=0))
    concat = show.override(task_id="concat").expand(v=n.concat(w, f))
    show.override(task_id="map_of_concat").expand(v=w.concat(f).map(lambda x: repr(x)))
    show.override(task_id="map_of_zip").expand(v=n.zip(w).map(lambda p: f"{p[0]}-{p[1]}"))
    reduce.override(task_id="reduce_map")(mapped_map)
    reduce.override(task_id="reduce_concat")(concat)


map_transforms()

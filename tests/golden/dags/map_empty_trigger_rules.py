"""Zero-length expansion: a mapped task over an empty upstream list and over an empty literal
list ends skipped (map_index -1, try 0); its direct downstream under different trigger rules
(all_success, all_done, none_failed, none_failed_min_one_success, one_success, all_skipped,
always, one_done); a mapped task over the empty mapped task's output; an all_done reducer reading
the empty mapped XCom."""
import pendulum

from riir_airflow.sdk import dag, task

GOLDEN_ARGS = {"logical_date": "2024-03-05T06:00:00+00:00"}

RULES = [
    "all_success",
    "all_done",
    "none_failed",
    "none_failed_min_one_success",
    "one_success",
    "all_skipped",
    "always",
    "one_done",
]


@dag(schedule=None, start_date=pendulum.datetime(2024, 1, 1, tz="UTC"))
def map_empty_trigger_rules():
    @task
    def nothing():
        return []

    @task
    def double(x):
        return x * 2

    @task
    def mark(**context):
        return context["ti"].task_id

    @task(trigger_rule="all_done")
    def reduce(values):
        return {"len": len(values), "list": list(values)}

    empty = double.expand(x=nothing())
    for rule in RULES:
        empty >> mark.override(task_id=f"after_{rule}", trigger_rule=rule)()
    double.override(task_id="of_empty_output").expand(x=empty)
    reduce(empty)
    literal_empty = double.override(task_id="literal_empty").expand(x=[])
    literal_empty >> mark.override(task_id="after_literal_empty")()


map_empty_trigger_rules()

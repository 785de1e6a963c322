"""A trigger raising in run() fails its task at once in dag.test: failed with try_number 1, no
retry although retries=2 (the failure happens outside the task's try); downstream all_success
-> upstream_failed, one_failed -> runs, all_done -> runs; a sibling whose trigger fires normally
succeeds, and a mapped deferring operator where one index's trigger raises."""
import asyncio
import datetime

import pendulum

from riir_airflow.sdk import DAG, BaseOperator, task
from riir_airflow.triggers.base import BaseTrigger, TriggerEvent

GOLDEN_ARGS = {"logical_date": "2024-03-05T06:00:00+00:00"}


class Mode(BaseTrigger):
    def __init__(self, mode):
        super().__init__()
        self.mode = mode

    def serialize(self):
        return (f"{type(self).__module__}.{type(self).__qualname__}", {"mode": self.mode})

    async def run(self):
        await asyncio.sleep(0.2)
        if self.mode == "raise":
            raise RuntimeError("trigger exploded")
        yield TriggerEvent({"mode": self.mode})


class DeferOn(BaseOperator):
    template_fields = ("mode",)

    def __init__(self, *, mode, **kwargs):
        super().__init__(**kwargs)
        self.mode = mode

    def execute(self, context):
        self.defer(trigger=Mode(self.mode), method_name="resume")

    def resume(self, context, event=None):
        return {"event": event, "try": context["ti"].try_number}


@task
def after(**context):
    return context["ti"].task_id


with DAG(
    dag_id="defer_trigger_error",
    start_date=pendulum.datetime(2024, 1, 1, tz="UTC"),
    schedule=None,
    default_args={"retries": 2, "retry_delay": datetime.timedelta(seconds=1)},
) as dag:
    raising = DeferOn(task_id="raising", mode="raise")
    ok = DeferOn(task_id="ok", mode="fine")
    mapped = DeferOn.partial(task_id="mapped").expand(mode=["m0", "raise", "m2"])

    raising >> after.override(task_id="after_raising")()
    raising >> after.override(task_id="after_raising_one_failed", trigger_rule="one_failed")()
    [raising, ok] >> after.override(task_id="all_done", trigger_rule="all_done")()
    ok >> after.override(task_id="after_ok")()
    mapped >> after.override(task_id="after_mapped")()
    mapped >> after.override(task_id="after_mapped_all_done", trigger_rule="all_done")()

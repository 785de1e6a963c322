"""Deferrable custom operators: `self.defer(trigger=TimeDeltaTrigger(...), method_name=...)`
resuming into another method whose return value is the XCom (try_number stays 1);
two deferrals in a row with a custom trigger defined in this file (serialize() returns the
class's own module path, so it rebuilds in-process); an XCom pushed before deferring is still
there after resuming; `execute_complete` as the method; a downstream task reading the
resumed tasks' XComs. (Defer `kwargs=` are pinned in defer_dagtest_quirks: dag.test drops them
when the trigger fires an event.)"""
import asyncio
import datetime

import pendulum

from riir_airflow.sdk import DAG, BaseOperator, task
from riir_airflow.providers.standard.triggers.temporal import TimeDeltaTrigger
from riir_airflow.triggers.base import BaseTrigger, TriggerEvent

GOLDEN_ARGS = {"logical_date": "2024-03-05T06:00:00+00:00"}


class PayloadTrigger(BaseTrigger):
    """Sleeps `delay` seconds, then fires one event carrying `payload`."""

    def __init__(self, payload, delay=0.3):
        super().__init__()
        self.payload = payload
        self.delay = delay

    def serialize(self):
        return (
            f"{type(self).__module__}.{type(self).__qualname__}",
            {"payload": self.payload, "delay": self.delay},
        )

    async def run(self):
        await asyncio.sleep(self.delay)
        yield TriggerEvent(self.payload)


class WaitOnce(BaseOperator):
    """Defers on a TimeDeltaTrigger, resumes in `resume`; the XCom pushed before deferring survives."""

    template_fields = ("tag",)

    def __init__(self, *, tag, **kwargs):
        super().__init__(**kwargs)
        self.tag = tag

    def execute(self, context):
        context["ti"].xcom_push(key="before", value=f"pushed-{self.tag}")
        self.defer(trigger=TimeDeltaTrigger(datetime.timedelta(seconds=1)), method_name="resume")

    def resume(self, context, event=None):
        ti = context["ti"]
        return {
            "tag": self.tag,
            "got_event": event is not None,
            "try": ti.try_number,
            "before": ti.xcom_pull(task_ids=ti.task_id, key="before"),
        }


class TwoHops(BaseOperator):
    """Defers twice on the custom trigger; the second payload is built from the first."""

    def execute(self, context):
        self.defer(trigger=PayloadTrigger({"n": 1, "who": self.task_id}), method_name="hop")

    def hop(self, context, event=None):
        self.defer(
            trigger=PayloadTrigger({"n": event["n"] + 1, "prev": event}),
            method_name="done",
        )

    def done(self, context, event):
        return {"event": event, "try": context["ti"].try_number}


class ToExecuteComplete(BaseOperator):
    """Resumes into the conventional `execute_complete` (method_name is required in 3.3)."""

    def execute(self, context):
        self.defer(trigger=PayloadTrigger(["a", 1, None, True]), method_name="execute_complete")

    def execute_complete(self, context, event=None):
        return {"event": event, "ds": context["ds"]}


with DAG(dag_id="defer_custom_resume", start_date=pendulum.datetime(2024, 1, 1, tz="UTC"), schedule=None) as dag:
    wait = WaitOnce(task_id="wait_once", tag="L-{{ ds_nodash }}")
    hops = TwoHops(task_id="two_hops")
    default = ToExecuteComplete(task_id="to_execute_complete")

    @task
    def collect(a, b, c):
        return [a["tag"], b["event"]["n"], c["event"]]

    collect(wait.output, hops.output, default.output)

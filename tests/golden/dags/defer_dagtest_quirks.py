"""What dag.test (no triggerer) does with trigger events, pinned from Airflow 3.3.2:
- `self.defer(..., kwargs={...})`: when the trigger fires an event, the resume method gets ONLY
  `event=` (dag.test replaces next_kwargs by {"event": payload}); the defer kwargs are lost
  (the resume method here has defaults, so that shows as None);
- a trigger whose run() ends without an event: the task resumes with the defer kwargs and no event;
- TaskSuccessEvent / TaskFailedEvent / TaskSkippedEvent (end the task from the triggerer in a real
  deployment) and `TimeDeltaTrigger(end_from_trigger=True)`: dag.test resumes the task anyway, the
  method gets the event's payload (the state name as a str) and its return value decides;
- WaitSensor(deferrable=True) defers with end_from_trigger=True and has no execute_complete:
  dag.test resumes it into that missing method and the task FAILS (AttributeError)."""
import asyncio
import datetime

import pendulum

from riir_airflow.sdk import DAG, BaseOperator, task
from riir_airflow.providers.standard.sensors.time_delta import WaitSensor
from riir_airflow.providers.standard.triggers.temporal import TimeDeltaTrigger
from riir_airflow.triggers.base import (
    BaseTrigger,
    TaskFailedEvent,
    TaskSkippedEvent,
    TaskSuccessEvent,
    TriggerEvent,
)

GOLDEN_ARGS = {"logical_date": "2024-03-05T06:00:00+00:00"}


class Mode(BaseTrigger):
    def __init__(self, mode):
        super().__init__()
        self.mode = mode

    def serialize(self):
        return (f"{type(self).__module__}.{type(self).__qualname__}", {"mode": self.mode})

    async def run(self):
        await asyncio.sleep(0.2)
        if self.mode == "success_event":
            yield TaskSuccessEvent()
        elif self.mode == "failed_event":
            yield TaskFailedEvent()
        elif self.mode == "skipped_event":
            yield TaskSkippedEvent()
        elif self.mode == "event":
            yield TriggerEvent({"mode": self.mode})
        # "silent": no event at all


class DeferOn(BaseOperator):
    def __init__(self, *, mode, **kwargs):
        super().__init__(**kwargs)
        self.mode = mode

    def execute(self, context):
        if self.mode == "end_from_trigger":
            trigger = TimeDeltaTrigger(datetime.timedelta(seconds=0.5), end_from_trigger=True)
        else:
            trigger = Mode(self.mode)
        self.defer(trigger=trigger, method_name="resume", kwargs={"mode": self.mode, "extra": [1, 2]})

    def resume(self, context, mode=None, extra=None, event=None):
        return {"mode": mode, "extra": extra, "event": event, "try": context["ti"].try_number}


@task
def after(**context):
    return context["ti"].task_id


with DAG(dag_id="defer_dagtest_quirks", start_date=pendulum.datetime(2024, 1, 1, tz="UTC"), schedule=None) as dag:
    for m in ["event", "silent", "success_event", "failed_event", "skipped_event", "end_from_trigger"]:
        DeferOn(task_id=m, mode=m) >> after.override(task_id=f"after_{m}")()

    WaitSensor(task_id="wait_deferrable", time_to_wait=datetime.timedelta(seconds=1), deferrable=True) >> after.override(
        task_id="after_wait_deferrable", trigger_rule="all_done"
    )()

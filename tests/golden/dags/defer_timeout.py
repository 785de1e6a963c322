"""Deferral timeouts in dag.test: a custom operator deferring with `timeout=timedelta(seconds=1)`
on a trigger that fires only after 2.5 s; a deferrable sensor (DateTimeSensorAsync subclass whose
target is 2.5 s after it starts, timeout=1); and a trigger that fires within its deferral
timeout. Pins what Airflow 3.3.2's dag.test does with the deferral timeout (it runs the trigger
inline to its first event; there is no scheduler to notice the timeout)."""
import asyncio
import datetime

import pendulum

from riir_airflow.sdk import DAG, BaseOperator, task, timezone
from riir_airflow.providers.standard.sensors.date_time import DateTimeSensorAsync
from riir_airflow.triggers.base import BaseTrigger, TriggerEvent

GOLDEN_ARGS = {"logical_date": "2024-03-05T06:00:00+00:00"}


class SlowTrigger(BaseTrigger):
    def __init__(self, delay):
        super().__init__()
        self.delay = delay

    def serialize(self):
        return (f"{type(self).__module__}.{type(self).__qualname__}", {"delay": self.delay})

    async def run(self):
        await asyncio.sleep(self.delay)
        yield TriggerEvent({"slept": self.delay})


class DeferWithTimeout(BaseOperator):
    def __init__(self, *, delay, **kwargs):
        super().__init__(**kwargs)
        self.delay = delay

    def execute(self, context):
        self.defer(
            trigger=SlowTrigger(self.delay),
            method_name="execute_complete",
            timeout=datetime.timedelta(seconds=1),
        )

    def execute_complete(self, context, event=None):
        return {"event": event, "try": context["ti"].try_number}


class AheadSensorAsync(DateTimeSensorAsync):
    """Target = 2.5 s after execute starts (no template field: nothing wall-clock is recorded)."""

    template_fields = ()

    def __init__(self, **kwargs):
        super().__init__(target_time="2000-01-01T00:00:00+00:00", **kwargs)

    def execute(self, context):
        self.target_time = (timezone.utcnow() + datetime.timedelta(seconds=2.5)).isoformat()
        return super().execute(context)


@task
def after(**context):
    return context["ti"].task_id


with DAG(
    dag_id="defer_timeout",
    start_date=pendulum.datetime(2024, 1, 1, tz="UTC"),
    schedule=None,
    default_args={"retries": 1, "retry_delay": datetime.timedelta(seconds=1)},
) as dag:
    slow = DeferWithTimeout(task_id="slow", delay=2.5)
    fast = DeferWithTimeout(task_id="fast", delay=0.1)
    sensor = AheadSensorAsync(task_id="sensor_async", timeout=1, poke_interval=0.5)
    slow >> after.override(task_id="after_slow")()
    fast >> after.override(task_id="after_fast")()
    sensor >> after.override(task_id="after_sensor")()

"""Fifty mapped deferring task instances in one run: a custom operator `.partial().expand(n=...)`
deferring on a trigger defined in this file (each event carries n*n), a reducer summing the
resumed values in map-index order, and ten mapped DateTimeSensorAsync instances with past
targets (each defers and resumes, XCom null)."""
import asyncio

import pendulum

from riir_airflow.sdk import DAG, BaseOperator, task
from riir_airflow.providers.standard.sensors.date_time import DateTimeSensorAsync
from riir_airflow.triggers.base import BaseTrigger, TriggerEvent

GOLDEN_ARGS = {"logical_date": "2024-03-05T06:00:00+00:00"}


class Square(BaseTrigger):
    def __init__(self, n):
        super().__init__()
        self.n = n

    def serialize(self):
        return (f"{type(self).__module__}.{type(self).__qualname__}", {"n": self.n})

    async def run(self):
        await asyncio.sleep(0.01)
        yield TriggerEvent(self.n * self.n)


class DeferSquare(BaseOperator):
    template_fields = ("n",)

    def __init__(self, *, n, **kwargs):
        super().__init__(**kwargs)
        self.n = n

    def execute(self, context):
        self.defer(trigger=Square(self.n), method_name="execute_complete")

    def execute_complete(self, context, event=None):
        return {"i": context["ti"].map_index, "sq": event}


with DAG(dag_id="defer_mapped_many", start_date=pendulum.datetime(2024, 1, 1, tz="UTC"), schedule=None) as dag:
    squares = DeferSquare.partial(task_id="square").expand(n=list(range(40)))

    @task
    def total(values):
        values = list(values)
        return {"count": len(values), "sum": sum(v["sq"] for v in values), "last": values[-1]}

    total(squares.output)

    sensors = DateTimeSensorAsync.partial(task_id="wait_until", poke_interval=1).expand(
        target_time=[f"2024-03-0{d}T00:00:00+00:00" for d in range(1, 6)]
        + ["{{ ds }}", "{{ logical_date }}", "{{ data_interval_start }}", "2023-12-31", "2020-02-29T12:00:00Z"]
    )

    @task
    def sensors_done(**context):
        return "ok"

    sensors >> sensors_done()

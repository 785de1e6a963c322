"""Time and weekday sensors (poke mode): DateTimeSensor with a templated target in the past, a
DateTimeSensor subclass whose target is 2 s after it starts (pokes a few times), TimeDeltaSensor
(data_interval_end + delta is in the past), TimeSensor(00:00) (already past today),
DayOfWeekSensor(use_task_logical_date=True) for Tuesday (2024-03-05 is a Tuesday; by name and by
WeekDay), and for the weekend with soft_fail and timeout=1 (skipped)."""
import datetime

import pendulum

from riir_airflow.sdk import DAG, timezone
from riir_airflow.providers.standard.operators.empty import EmptyOperator
from riir_airflow.providers.standard.sensors.date_time import DateTimeSensor
from riir_airflow.providers.standard.sensors.time import TimeSensor
from riir_airflow.providers.standard.sensors.time_delta import TimeDeltaSensor
from riir_airflow.providers.standard.sensors.weekday import DayOfWeekSensor
from riir_airflow.providers.standard.utils.weekday import WeekDay

GOLDEN_ARGS = {"logical_date": "2024-03-05T06:00:00+00:00"}


class AheadSensor(DateTimeSensor):
    """Target = 2 s after execute starts (no template field: nothing wall-clock is recorded)."""

    template_fields = ()

    def __init__(self, **kwargs):
        super().__init__(target_time="2000-01-01T00:00:00+00:00", **kwargs)

    def execute(self, context):
        self.target_time = (timezone.utcnow() + datetime.timedelta(seconds=2)).isoformat()
        return super().execute(context)


with DAG(
    dag_id="sensor_time_weekday",
    start_date=pendulum.datetime(2024, 1, 1, tz="UTC"),
    schedule=None,
    default_args={"poke_interval": 0.5, "timeout": 30},
) as dag:
    sensors = [
        DateTimeSensor(task_id="dt_past", target_time="{{ data_interval_start.subtract(days=1) }}"),
        AheadSensor(task_id="dt_ahead"),
        TimeDeltaSensor(task_id="td_past", delta=datetime.timedelta(hours=1)),
        TimeSensor(task_id="time_midnight", target_time=datetime.time(0, 0)),
        DayOfWeekSensor(task_id="tuesday", week_day="Tuesday", use_task_logical_date=True),
        DayOfWeekSensor(task_id="tuesday_enum", week_day=WeekDay.TUESDAY, use_task_logical_date=True),
        DayOfWeekSensor(
            task_id="weekend",
            week_day={"Saturday", "Sunday"},
            use_task_logical_date=True,
            soft_fail=True,
            timeout=1,
            poke_interval=0.3,
        ),
    ]
    for s in sensors:
        s >> EmptyOperator(task_id=f"after_{s.task_id}")

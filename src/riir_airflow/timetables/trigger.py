"""``airflow.timetables.trigger``: run-at-each-tick timetables (re-export)."""

from riir_airflow.sdk.timetables.trigger import (
    CronTriggerTimetable,
    DeltaTriggerTimetable,
    MultipleCronTriggerTimetable,
)

__all__ = ["CronTriggerTimetable", "DeltaTriggerTimetable", "MultipleCronTriggerTimetable"]

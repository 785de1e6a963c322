"""``airflow.timetables.interval``: data-interval timetables (re-export)."""

from riir_airflow.sdk.timetables.interval import CronDataIntervalTimetable, DeltaDataIntervalTimetable

__all__ = ["CronDataIntervalTimetable", "DeltaDataIntervalTimetable"]

"""``airflow.timetables.events``: ``EventsTimetable`` (re-export)."""

from riir_airflow.sdk.timetables.events import EventsTimetable

__all__ = ["EventsTimetable"]

"""``airflow.timetables.base``: the timetable interface and its value types (re-export)."""

from riir_airflow.sdk.timetables.base import (
    AirflowTimetableInvalid,
    DagRunInfo,
    DataInterval,
    TimeRestriction,
    Timetable,
)

__all__ = ["AirflowTimetableInvalid", "DagRunInfo", "DataInterval", "TimeRestriction", "Timetable"]

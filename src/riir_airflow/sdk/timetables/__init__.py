"""Timetables: when a DAG runs and which data interval each run covers.

Public surface (Airflow 3 names; the 2.x/3.x module paths ``riir_airflow.timetables.*``
re-export the same objects):

- value types: :class:`DataInterval`, :class:`TimeRestriction`, :class:`DagRunInfo`;
- :class:`Timetable`, the base class for custom timetables;
- built-ins: :class:`NullTimetable`, :class:`OnceTimetable`, :class:`ContinuousTimetable`,
  :class:`CronDataIntervalTimetable`, :class:`DeltaDataIntervalTimetable`,
  :class:`CronTriggerTimetable`, :class:`DeltaTriggerTimetable`,
  :class:`MultipleCronTriggerTimetable`, :class:`EventsTimetable`,
  :class:`AssetTriggeredTimetable` (placeholder), :class:`AssetOrTimeSchedule`;
- :func:`timetable_from_schedule`: a DAG's ``schedule=`` value -> timetable;
- "now": built-in ``next_dagrun_info`` methods take an optional keyword ``now``; for any
  timetable (custom ones included) the engine calls :func:`next_run_info` with ``now=``, which
  pins :func:`utcnow` via :func:`frozen_now` for the duration of the call.

Importing this package does no I/O.
"""

from __future__ import annotations

from riir_airflow.sdk.timetables._cron import CRON_PRESETS
from riir_airflow.sdk.timetables._time import frozen_now, utcnow
from riir_airflow.sdk.timetables.assets import AssetOrTimeSchedule
from riir_airflow.sdk.timetables.base import (
    AirflowTimetableInvalid,
    DagRunInfo,
    DataInterval,
    TimeRestriction,
    Timetable,
    next_run_info,
)
from riir_airflow.sdk.timetables.events import EventsTimetable
from riir_airflow.sdk.timetables.interval import CronDataIntervalTimetable, DeltaDataIntervalTimetable
from riir_airflow.sdk.timetables.schedule import is_asset_schedule, timetable_from_schedule
from riir_airflow.sdk.timetables.simple import (
    AssetTriggeredTimetable,
    ContinuousTimetable,
    NullTimetable,
    OnceTimetable,
)
from riir_airflow.sdk.timetables.trigger import (
    CronTriggerTimetable,
    DeltaTriggerTimetable,
    MultipleCronTriggerTimetable,
)

__all__ = [
    "CRON_PRESETS",
    "AirflowTimetableInvalid",
    "AssetOrTimeSchedule",
    "AssetTriggeredTimetable",
    "ContinuousTimetable",
    "CronDataIntervalTimetable",
    "CronTriggerTimetable",
    "DagRunInfo",
    "DataInterval",
    "DeltaDataIntervalTimetable",
    "DeltaTriggerTimetable",
    "EventsTimetable",
    "MultipleCronTriggerTimetable",
    "NullTimetable",
    "OnceTimetable",
    "TimeRestriction",
    "Timetable",
    "frozen_now",
    "is_asset_schedule",
    "next_run_info",
    "timetable_from_schedule",
    "utcnow",
]

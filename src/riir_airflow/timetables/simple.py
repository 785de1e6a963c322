"""``airflow.timetables.simple``: None/@once/@continuous and asset-triggered timetables (re-export).

``DatasetTriggeredTimetable`` is the Airflow 2.x name of ``AssetTriggeredTimetable``.
"""

from riir_airflow.sdk.timetables.simple import (
    AssetTriggeredTimetable,
    ContinuousTimetable,
    NullTimetable,
    OnceTimetable,
)

DatasetTriggeredTimetable = AssetTriggeredTimetable

__all__ = [
    "AssetTriggeredTimetable",
    "ContinuousTimetable",
    "DatasetTriggeredTimetable",
    "NullTimetable",
    "OnceTimetable",
]

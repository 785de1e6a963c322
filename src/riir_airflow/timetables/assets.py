"""``airflow.timetables.assets`` (3.x path): ``AssetOrTimeSchedule`` (re-export)."""

from riir_airflow.sdk.timetables.assets import AssetOrTimeSchedule

__all__ = ["AssetOrTimeSchedule"]

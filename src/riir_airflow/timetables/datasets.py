"""``airflow.timetables.datasets`` (2.x path): ``DatasetOrTimeSchedule(timetable=, datasets=)``."""

from __future__ import annotations

from typing import Any

from riir_airflow.sdk.timetables.assets import AssetOrTimeSchedule
from riir_airflow.sdk.timetables.base import Timetable

__all__ = ["DatasetOrTimeSchedule"]


class DatasetOrTimeSchedule(AssetOrTimeSchedule):
    """The 2.x spelling of :class:`AssetOrTimeSchedule`: the condition is given as ``datasets``."""

    def __init__(self, *, timetable: Timetable, datasets: Any = None, assets: Any = None) -> None:
        super().__init__(timetable=timetable, assets=datasets if datasets is not None else assets)

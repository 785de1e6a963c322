"""``AssetOrTimeSchedule``: run on a time-based timetable *and* whenever an asset condition holds.

The time-based half is delegated to the wrapped timetable (next runs, manual data intervals,
ordering, run ids); the asset half is carried as ``asset_condition`` for the asset machinery
(the store's registry of asset-scheduled DAGs). ``DatasetOrTimeSchedule(timetable=, datasets=)``
is the Airflow 2.x spelling (``riir_airflow.timetables.datasets``).
"""

from __future__ import annotations

import datetime as dt
import importlib
import json
from typing import Any

from pendulum import DateTime

from riir_airflow.sdk.timetables.base import (
    AirflowTimetableInvalid,
    DagRunInfo,
    DataInterval,
    TimeRestriction,
    Timetable,
    next_run_info,
)

__all__ = ["AssetOrTimeSchedule"]


class AssetOrTimeSchedule(Timetable):
    """Runs on ``timetable``'s schedule, and also when ``assets`` (a condition, or a list of
    assets meaning all of them) are updated."""

    def __init__(self, *, timetable: Timetable, assets: Any) -> None:
        from riir_airflow.sdk.assets import as_condition

        if not isinstance(timetable, Timetable):
            raise AirflowTimetableInvalid(f"{timetable!r} is not a Timetable")
        condition = as_condition(assets)
        if condition is None:
            raise AirflowTimetableInvalid(f"{assets!r} is not an asset condition")
        self.timetable = timetable
        self.asset_condition = condition
        self.description = f"Triggered by assets or {timetable.description}"
        self.periodic = timetable.periodic
        self.run_ordering = timetable.run_ordering
        self.active_runs_limit = timetable.active_runs_limit

    @property
    def summary(self) -> str:
        return f"Asset or {self.timetable.summary}"

    def serialize(self) -> dict[str, Any]:
        return {
            "timetable": {"type": self.timetable.type_name, "value": self.timetable.serialize()},
            "asset_condition": self.asset_condition.as_dict(),
        }

    @classmethod
    def deserialize(cls, data: dict[str, Any]) -> Timetable:
        from riir_airflow.sdk.assets import condition_from_json

        type_name = data["timetable"]["type"]
        if "." in type_name:
            module_name, _, attr = type_name.rpartition(".")
            timetable_cls = getattr(importlib.import_module(module_name), attr)
        else:
            timetable_cls = getattr(importlib.import_module("riir_airflow.sdk.timetables"), type_name)
        return cls(
            timetable=timetable_cls.deserialize(data["timetable"]["value"]),
            assets=condition_from_json(json.dumps(data["asset_condition"])),
        )

    def validate(self) -> None:
        self.timetable.validate()

    def infer_manual_data_interval(self, *, run_after: DateTime) -> DataInterval:
        return self.timetable.infer_manual_data_interval(run_after=run_after)

    def next_dagrun_info(
        self,
        *,
        last_automated_data_interval: DataInterval | None,
        restriction: TimeRestriction,
        now: dt.datetime | None = None,
    ) -> DagRunInfo | None:
        return next_run_info(
            self.timetable,
            last_automated_data_interval=last_automated_data_interval,
            restriction=restriction,
            now=now,
        )

    def generate_run_id(
        self, *, run_type: Any, run_after: DateTime, data_interval: DataInterval | None, **extra: Any
    ) -> str:
        return self.timetable.generate_run_id(
            run_type=run_type, run_after=run_after, data_interval=data_interval, **extra
        )

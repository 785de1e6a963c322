"""Request and response models of the operator endpoints over many runs and task instances
(bulk runs, clear runs, bulk task instances) and of a task instance's dependencies, external
log URL and extra links, in Airflow 3's shapes (see `schemas` for the conventions)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field, model_validator

from riir_airflow.broker.api.schemas import DAGRunClearBody, DagRunMutableState, Datetime, StrictBody
from riir_airflow.broker.api.schemas_ti import PatchTaskInstanceBody

__all__ = [
    "BulkDAGRunBody",
    "BulkDAGRunClearBody",
    "BulkTaskInstanceBody",
    "ExternalLogUrlResponse",
    "ExtraLinkCollectionResponse",
    "TaskDependencyCollectionResponse",
    "TaskDependencyResponse",
]


class BulkDAGRunBody(StrictBody):
    """One run of a bulk action (`dag_id` defaults to the path's)."""

    dag_run_id: str
    dag_id: str | None = None
    state: DagRunMutableState | None = None
    note: str | None = Field(default=None, max_length=1000)


class BulkDAGRunClearBody(DAGRunClearBody):
    """Which runs to clear: `dag_runs`, or (Airflow's partitioned DAGs) a partition selector;
    exactly one of the three selection modes (422 otherwise, as Airflow)."""

    partition_key: str | None = None
    partition_date_start: Datetime = None
    partition_date_end: Datetime = None
    dag_runs: list[BulkDAGRunBody] = Field(default_factory=list)

    @model_validator(mode="after")
    def _one_selection_mode(self) -> BulkDAGRunClearBody:
        window = self.partition_date_start is not None or self.partition_date_end is not None
        if sum([bool(self.dag_runs), self.partition_key is not None, window]) != 1:
            raise ValueError(
                "Exactly one of dag_runs (non-empty), partition_key, or a partition date window "
                "(partition_date_start / partition_date_end) must be provided."
            )
        return self


class BulkTaskInstanceBody(PatchTaskInstanceBody):
    """One task instance of a bulk action: the single patch's fields, and which instance:
    `map_index` None means every map index; `dag_id` and `dag_run_id` default to the path's."""

    task_id: str
    map_index: int | None = None
    dag_id: str | None = None
    dag_run_id: str | None = None


class TaskDependencyResponse(BaseModel):
    name: str
    reason: str


class TaskDependencyCollectionResponse(BaseModel):
    dependencies: list[TaskDependencyResponse]


class ExternalLogUrlResponse(BaseModel):
    url: str


class ExtraLinkCollectionResponse(BaseModel):
    extra_links: dict[str, str | None]
    total_entries: int

    @classmethod
    def of(cls, links: dict[str, Any]) -> ExtraLinkCollectionResponse:
        """The answer for `links` (name -> URL, falsy URLs as null), sorted by name."""
        return cls(
            extra_links={name: links[name] or None for name in sorted(links)}, total_entries=len(links)
        )

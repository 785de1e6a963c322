"""Request and response models of the asset endpoints, in Airflow 3's shapes (see `schemas`)."""

from __future__ import annotations

import datetime
from typing import Any

from pydantic import BaseModel, Field

from riir_airflow.broker.api.schemas import Datetime, StrictBody, TriggerDAGRunPostBody

__all__ = [
    "AssetAliasCollectionResponse",
    "AssetAliasResponse",
    "AssetCollectionResponse",
    "AssetEventCollectionResponse",
    "AssetEventResponse",
    "AssetResponse",
    "CreateAssetEventsBody",
    "DagRunAssetReference",
    "DagScheduleAssetReference",
    "LastAssetEventResponse",
    "MaterializeAssetBody",
    "QueuedEventCollectionResponse",
    "QueuedEventResponse",
]


class DagScheduleAssetReference(BaseModel):
    dag_id: str
    created_at: datetime.datetime
    updated_at: datetime.datetime


class TaskInletAssetReference(BaseModel):
    dag_id: str
    task_id: str
    created_at: datetime.datetime
    updated_at: datetime.datetime


class TaskOutletAssetReference(BaseModel):
    dag_id: str
    task_id: str
    created_at: datetime.datetime
    updated_at: datetime.datetime


class AssetAliasResponse(BaseModel):
    id: int
    name: str
    group: str


class AssetAliasCollectionResponse(BaseModel):
    asset_aliases: list[AssetAliasResponse]
    total_entries: int


class AssetWatcherResponse(BaseModel):
    name: str
    trigger_id: int
    created_date: datetime.datetime


class LastAssetEventResponse(BaseModel):
    id: int | None = Field(default=None, ge=0)
    timestamp: datetime.datetime | None = None


class AssetResponse(BaseModel):
    id: int
    name: str
    uri: str
    group: str
    extra: dict[str, Any] | None = None
    created_at: datetime.datetime
    updated_at: datetime.datetime
    scheduled_dags: list[DagScheduleAssetReference]
    producing_tasks: list[TaskOutletAssetReference]
    consuming_tasks: list[TaskInletAssetReference]
    aliases: list[AssetAliasResponse]
    watchers: list[AssetWatcherResponse]
    last_asset_event: LastAssetEventResponse | None = None


class AssetCollectionResponse(BaseModel):
    assets: list[AssetResponse]
    total_entries: int


class DagRunAssetReference(BaseModel):
    run_id: str
    dag_id: str
    logical_date: datetime.datetime | None = None
    start_date: datetime.datetime
    end_date: datetime.datetime | None = None
    state: str
    data_interval_start: datetime.datetime | None = None
    data_interval_end: datetime.datetime | None = None
    partition_key: str | None = None
    triggering: bool


class AssetEventResponse(BaseModel):
    id: int
    asset_id: int
    uri: str | None = None
    name: str | None = None
    group: str | None = None
    extra: dict[str, Any] | None = None
    source_task_id: str | None = None
    source_dag_id: str | None = None
    source_run_id: str | None = None
    source_map_index: int
    created_dagruns: list[DagRunAssetReference]
    timestamp: datetime.datetime
    partition_key: str | None = None


class AssetEventCollectionResponse(BaseModel):
    asset_events: list[AssetEventResponse]
    total_entries: int


class AssetEventAccessControl(StrictBody):
    consumer_teams: list[str] | None = None
    allow_global: bool = True


class CreateAssetEventsBody(StrictBody):
    asset_id: int
    partition_key: str | None = Field(default=None, max_length=250)
    extra: dict[str, Any] = Field(default_factory=dict)
    access_control: AssetEventAccessControl | None = None


class QueuedEventResponse(BaseModel):
    dag_id: str
    asset_id: int
    created_at: datetime.datetime
    dag_display_name: str


class QueuedEventCollectionResponse(BaseModel):
    queued_events: list[QueuedEventResponse]
    total_entries: int


class MaterializeAssetBody(TriggerDAGRunPostBody):
    """A manual trigger's body, with `logical_date` optional (null when left out), as Airflow's."""

    logical_date: Datetime = None

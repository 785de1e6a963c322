"""Request and response models of the backfill endpoints, in Airflow 3's shapes (see `schemas`)."""

from __future__ import annotations

import datetime
import enum
from typing import Any

from pydantic import BaseModel, Field

from riir_airflow.broker.api.schemas import StrictBody

__all__ = [
    "BackfillCollectionResponse",
    "BackfillPostBody",
    "BackfillResponse",
    "DryRunBackfillCollectionResponse",
    "DryRunBackfillResponse",
    "ReprocessBehavior",
]


class ReprocessBehavior(enum.StrEnum):
    """What a backfill does with a date that already has a finished run."""

    FAILED = "failed"
    COMPLETED = "completed"
    NONE = "none"


class BackfillPostBody(StrictBody):
    """Object used for create backfill request."""

    dag_id: str
    from_date: datetime.datetime
    to_date: datetime.datetime
    run_backwards: bool = False
    dag_run_conf: dict[str, Any] | None = None
    reprocess_behavior: ReprocessBehavior = ReprocessBehavior.NONE
    max_active_runs: int = 10
    run_on_latest_version: bool | None = Field(
        default=None,
        description="Accepted for compatibility; a DAG app runs one code version, its own.",
    )


class BackfillResponse(BaseModel):
    """Base serializer for Backfill."""

    id: int = Field(ge=0)
    dag_id: str
    from_date: datetime.datetime
    to_date: datetime.datetime
    dag_run_conf: dict[str, Any] | None
    is_paused: bool
    reprocess_behavior: ReprocessBehavior
    max_active_runs: int
    created_at: datetime.datetime
    completed_at: datetime.datetime | None
    updated_at: datetime.datetime
    dag_display_name: str


class BackfillCollectionResponse(BaseModel):
    """Backfill Collection serializer for responses."""

    backfills: list[BackfillResponse]
    total_entries: int


class DryRunBackfillResponse(BaseModel):
    """Backfill serializer for responses in dry-run mode."""

    logical_date: datetime.datetime | None
    partition_key: str | None = None
    partition_date: datetime.datetime | None = None


class DryRunBackfillCollectionResponse(BaseModel):
    """Backfill collection serializer for responses in dry-run mode."""

    backfills: list[DryRunBackfillResponse]
    total_entries: int

"""Messages of the one backfill call an app makes: which of its DAG's backfills are active.

`POST /internal/v1/backfills/active` (ActiveBackfillsRequest -> ActiveBackfills). The app asks
it while it holds queued runs of type backfill, and when a `backfill` command arrives; it starts
a backfill's queued runs in `run_ids` order, at most `max_active_runs` of them running at once,
none while `is_paused` (see `riir_airflow.runtime.app.backfills`).
"""

from __future__ import annotations

from dataclasses import dataclass, field

__all__ = ["ActiveBackfill", "ActiveBackfills", "ActiveBackfillsRequest"]


@dataclass(slots=True)
class ActiveBackfillsRequest:
    dag_id: str


@dataclass(slots=True)
class ActiveBackfill:
    """A backfill not completed yet; `run_ids` are its runs in backfill order (sort ordinal)."""

    id: int
    dag_id: str
    is_paused: bool
    max_active_runs: int
    run_ids: list[str] = field(default_factory=list)


@dataclass(slots=True)
class ActiveBackfills:
    backfills: list[ActiveBackfill] = field(default_factory=list)

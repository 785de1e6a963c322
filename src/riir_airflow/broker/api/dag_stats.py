"""`GET /api/v2/dagStats`: per DAG, how many runs are in each state (every state listed, zeros
included, as Airflow answers). Without `dag_ids`: every registered DAG."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request

from riir_airflow.broker.api.deps import READ, context, queries, require
from riir_airflow.broker.api.schemas import (
    DagRunStateName,
    DagStatsCollectionResponse,
    DagStatsResponse,
    DagStatsStateResponse,
)
from riir_airflow.broker.auth import Principal

__all__ = ["dag_stats_router"]


def get_dag_stats(
    request: Request,
    _: Annotated[Principal, Depends(require(READ))],
    dag_ids: Annotated[list[str] | None, Query()] = None,
) -> DagStatsCollectionResponse:
    """Run counts per state of the given (or every) DAG."""
    q = queries(context(request))
    wanted = sorted(set(dag_ids)) if dag_ids else q.dag_ids()
    counts: dict[tuple[str, str], int] = {(d, s): n for d, s, n in q.dag_run_counts(wanted)}
    dags = [
        DagStatsResponse(
            dag_id=dag_id,
            dag_display_name=dag_id,
            stats=[
                DagStatsStateResponse(state=state, count=counts.get((dag_id, state.value), 0))
                for state in DagRunStateName
            ],
        )
        for dag_id in wanted
    ]
    return DagStatsCollectionResponse(dags=dags, total_entries=len(dags))


def dag_stats_router() -> APIRouter:
    router = APIRouter(prefix="/api/v2", tags=["DagStats"])
    router.add_api_route("/dagStats", get_dag_stats, methods=["GET"], operation_id="get_dag_stats")
    return router

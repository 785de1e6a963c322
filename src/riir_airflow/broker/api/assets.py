"""Assets and asset events: `/api/v2/assets` (list, get, materialize), `/assets/aliases` (list,
get), `/assets/events` (list, create), queued events per asset and per DAG (get, delete), and a
run's `upstreamAssetEvents`.

Assets are the `asset` rows: every asset a registered DAG is scheduled on (registering a DAG's
schedule records them, as Airflow's DAG parsing does) and every asset that ever had an event.
`scheduled_dags` comes from the registered asset conditions; `producing_tasks` from the
`task_outlet_asset_reference` rows (each registered task whose outlets name the asset, by dag_id
then task_id; read for a whole page of assets in one query). `consuming_tasks` is empty: riir
registers no task inlets (apps send a task's outlets, not its inlets). `aliases` and `watchers`
are empty lists. An asset's `updated_at` is its `created_at`, and so are the `created_at` and
`updated_at` of its references (riir keeps no time per reference).

Aliases are the `asset_alias` rows: every alias a registered DAG's schedule or task outlets, or
an asset event, named; an alias keeps its id. `POST /assets/{asset_id}/materialize` (user role)
triggers a queued `asset_materialization` run, as a manual trigger does (`dag_runs.trigger_run`),
of the one registered DAG with a task whose outlets name the asset: 404 when the asset is
unknown or no DAG produces it, 409 when several do, 400 when the DAG's `allowed_run_types`
exclude asset materialization.

`POST /assets/events` (user role) records an event for the asset, with `from_rest_api: true` in
its extra as Airflow adds, through the Store's `record_asset_event`: the event is queued for
every DAG whose condition mentions the asset, and a DAG whose condition then holds gets an
`asset_triggered` run from its app on the app's next scheduler tick (within `tick_seconds`, 1 s).
Queued events are the rows of that queue (`asset_dag_run_queue`): deleting them (user role)
means the waiting DAG forgets those assets' news. `partition_key` is refused (400): riir has no
partitioned assets.
"""

from __future__ import annotations

import datetime
from collections.abc import Mapping, Sequence
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Query, Request, Response

from riir_airflow.broker.api.dag_runs import require_run, trigger_run
from riir_airflow.broker.api.deps import (
    EDIT,
    READ,
    PageDep,
    audit,
    bad_request,
    context,
    date_ranges,
    delete_or_404,
    given,
    not_found,
    page_rows,
    parse_order,
    queries,
    require,
)
from riir_airflow.broker.api.schemas import DAGRunResponse
from riir_airflow.broker.api.schemas_assets import (
    AssetAliasCollectionResponse,
    AssetAliasResponse,
    AssetCollectionResponse,
    AssetEventCollectionResponse,
    AssetEventResponse,
    AssetResponse,
    CreateAssetEventsBody,
    DagRunAssetReference,
    DagScheduleAssetReference,
    LastAssetEventResponse,
    MaterializeAssetBody,
    QueuedEventCollectionResponse,
    QueuedEventResponse,
    TaskOutletAssetReference,
)
from riir_airflow.broker.api.variables import mask_sensitive
from riir_airflow.broker.auth import Principal
from riir_airflow.broker.context import BrokerContext
from riir_airflow.metastore.api_queries import Condition
from riir_airflow.sdk.run_type import DagRunType
from riir_airflow.store.records import AssetEventRecord

__all__ = ["assets_router"]

ASSET_ORDER = ("id", "name", "uri", "created_at", "updated_at")
ALIAS_ORDER = ("id", "name")
EVENT_ORDER = ("source_task_id", "source_dag_id", "source_run_id", "source_map_index", "timestamp", "id")
QUEUE_ORDER = ("dag_id", "asset_id", "created_at")
_Reader = Annotated[Principal, Depends(require(READ))]
_Editor = Annotated[Principal, Depends(require(EDIT))]
Row = Mapping[str, Any]


# -- helpers ---------------------------------------------------------------------------------
def _schedules(ctx: BrokerContext) -> dict[str, set[str]]:
    """uri -> the dag_ids scheduled on it (from the registered asset conditions)."""
    from riir_airflow.sdk.assets import condition_from_json

    by_uri: dict[str, set[str]] = {}
    for dag_id, text in queries(ctx).asset_schedules():
        try:
            condition = condition_from_json(text)
        except (ValueError, KeyError, TypeError):
            continue
        for asset in condition.iter_assets():
            by_uri.setdefault(asset.uri, set()).add(dag_id)
    return by_uri


def _asset_response(
    row: Row, scheduled: set[str], producing: Sequence[tuple[str, str]] = ()
) -> AssetResponse:
    created = row["created_at"]
    last = None
    if row["last_event_id"] is not None:
        last = LastAssetEventResponse(id=row["last_event_id"], timestamp=row["last_event_timestamp"])
    return AssetResponse(
        id=row["id"], name=row["name"], uri=row["uri"], group=row["asset_group"],
        extra=mask_sensitive(dict(row["extra"] or {})), created_at=created, updated_at=created,
        scheduled_dags=[DagScheduleAssetReference(dag_id=d, created_at=created, updated_at=created)
                        for d in sorted(scheduled)],
        producing_tasks=[TaskOutletAssetReference(dag_id=d, task_id=t, created_at=created, updated_at=created)
                         for d, t in producing],
        consuming_tasks=[], aliases=[], watchers=[], last_asset_event=last,
    )  # fmt: skip


def _event_responses(ctx: BrokerContext, rows: Sequence[Row]) -> list[AssetEventResponse]:
    runs = queries(ctx).event_runs([row["id"] for row in rows])
    out = []
    for row in rows:
        created = [
            DagRunAssetReference(
                run_id=r["run_id"], dag_id=r["dag_id"], logical_date=r["logical_date"],
                start_date=r["start_date"] or r["run_after"], end_date=r["end_date"], state=r["state"],
                data_interval_start=r["data_interval_start"], data_interval_end=r["data_interval_end"],
                triggering=r["triggering"],
            )
            for r in runs.get(row["id"], [])
        ]  # fmt: skip
        out.append(AssetEventResponse(
            id=row["id"], asset_id=row["asset_id"] if row["asset_id"] is not None else 0, uri=row["uri"],
            name=row["name"], group=row["asset_group"], extra=mask_sensitive(dict(row["extra"] or {})),
            source_task_id=row["source_task_id"], source_dag_id=row["source_dag_id"],
            source_run_id=row["source_run_id"], source_map_index=row["source_map_index"], created_dagruns=created,
            timestamp=row["timestamp"],
        ))  # fmt: skip
    return out


def _asset_row(ctx: BrokerContext, asset_id: int) -> Row:
    row = queries(ctx).one("asset", [("id", "eq", asset_id)])
    if row is None:
        raise not_found(f"The Asset with ID: `{asset_id}` was not found")
    return row


def _queued_page(
    ctx: BrokerContext, conds: list[Condition], page: Any = None
) -> QueuedEventCollectionResponse:
    limit, offset = (page.limit, page.offset) if page is not None else (None, 0)
    order = parse_order(None, QUEUE_ORDER, ["dag_id", "asset_id"])
    rows, total = queries(ctx).page("asset_queue", conds, order, limit, offset)
    events = [QueuedEventResponse(dag_id=r["dag_id"], asset_id=r["asset_id"], created_at=r["created_at"],
                                  dag_display_name=r["dag_display_name"]) for r in rows]  # fmt: skip
    return QueuedEventCollectionResponse(queued_events=events, total_entries=total)


def _before(before: datetime.datetime | None) -> list[Condition]:
    return [] if before is None else [("created_at", "lt", before)]


def _delete_queued(ctx: BrokerContext, principal: Principal, event: str, conds: list[Condition], missing: str,
                   **audit_keys: Any) -> Response:  # fmt: skip
    dag_id = audit_keys.pop("dag_id", None)
    return delete_or_404(ctx, principal, event, lambda: queries(ctx).delete_queued_events(conds) > 0,
                         not_found(missing), dag_id=dag_id, extra=audit_keys or None)  # fmt: skip


# -- assets ----------------------------------------------------------------------------------
def get_assets(
    request: Request,
    page: PageDep,
    _: _Reader,
    name_pattern: str | None = None,
    name_prefix_pattern: str | None = None,
    uri_pattern: str | None = None,
    uri_prefix_pattern: str | None = None,
    dag_ids: Annotated[list[str] | None, Query()] = None,
    only_active: bool = True,
    order_by: Annotated[list[str] | None, Query()] = None,
) -> AssetCollectionResponse:
    """List assets (`only_active` is accepted; every riir asset is active)."""
    ctx = context(request)
    conds = given(("name", "pattern", name_pattern), ("name", "prefix", name_prefix_pattern),
                  ("uri", "pattern", uri_pattern), ("uri", "prefix", uri_prefix_pattern))  # fmt: skip
    schedules = _schedules(ctx)
    if dag_ids:
        wanted = set(dag_ids)
        conds.append(("uri", "in", sorted(uri for uri, dags in schedules.items() if dags & wanted)))
    rows, total = page_rows(ctx, "asset", conds, page, order_by, ASSET_ORDER, ["id"])
    producing = queries(ctx).producing_tasks([row["id"] for row in rows])
    assets = [_asset_response(row, schedules.get(row["uri"], set()), producing[row["id"]]) for row in rows]
    return AssetCollectionResponse(assets=assets, total_entries=total)


def get_asset(request: Request, asset_id: int, _: _Reader) -> AssetResponse:
    """One asset."""
    ctx = context(request)
    row = _asset_row(ctx, asset_id)
    producing = queries(ctx).producing_tasks([row["id"]])[row["id"]]
    return _asset_response(row, _schedules(ctx).get(row["uri"], set()), producing)


def materialize_asset(
    request: Request, asset_id: int, principal: _Editor, body: MaterializeAssetBody | None = None
) -> DAGRunResponse:
    """Trigger a run of the one DAG that produces the asset (see the module docstring)."""
    ctx = context(request)
    dag_ids = queries(ctx).producing_dag_ids(asset_id, limit=2)
    if not dag_ids:
        raise not_found(f"No Dag materializes asset with ID: {asset_id}")
    if len(dag_ids) > 1:
        raise HTTPException(409, f"More than one Dag materializes asset with ID: {asset_id}")
    dag_id = dag_ids[0]
    serialized = ctx.registry.serialized_dag(dag_id)
    allowed = None if serialized is None else serialized.allowed_run_types
    if allowed is not None and DagRunType.ASSET_MATERIALIZATION.value not in allowed:
        raise bad_request(f"Dag with dag_id: '{dag_id}' does not allow asset materialization runs")
    body = body or MaterializeAssetBody()
    return trigger_run(ctx, principal, dag_id, body, DagRunType.ASSET_MATERIALIZATION, serialized)


# -- aliases ---------------------------------------------------------------------------------
def _alias_response(row: Row) -> AssetAliasResponse:
    return AssetAliasResponse(id=row["id"], name=row["name"], group=row["alias_group"])


def get_asset_aliases(
    request: Request,
    page: PageDep,
    _: _Reader,
    name_pattern: str | None = None,
    name_prefix_pattern: str | None = None,
    order_by: Annotated[list[str] | None, Query()] = None,
) -> AssetAliasCollectionResponse:
    """List asset aliases."""
    conds = given(("name", "pattern", name_pattern), ("name", "prefix", name_prefix_pattern))
    rows, total = page_rows(context(request), "asset_alias", conds, page, order_by, ALIAS_ORDER, ["id"])
    return AssetAliasCollectionResponse(asset_aliases=[_alias_response(r) for r in rows], total_entries=total)


def get_asset_alias(request: Request, asset_alias_id: int, _: _Reader) -> AssetAliasResponse:
    """One asset alias."""
    row = queries(context(request)).one("asset_alias", [("id", "eq", asset_alias_id)])
    if row is None:
        raise not_found(f"The Asset Alias with ID: `{asset_alias_id}` was not found")
    return _alias_response(row)


# -- events ----------------------------------------------------------------------------------
def get_asset_events(
    request: Request,
    page: PageDep,
    _: _Reader,
    dates: Annotated[list[Condition], Depends(date_ranges("timestamp"))],
    asset_id: int | None = None,
    source_dag_id: str | None = None,
    source_task_id: str | None = None,
    source_run_id: str | None = None,
    source_map_index: int | None = None,
    name_pattern: str | None = None,
    name_prefix_pattern: str | None = None,
    order_by: Annotated[list[str] | None, Query()] = None,
) -> AssetEventCollectionResponse:
    """List asset events."""
    ctx = context(request)
    conds = list(dates) + given(
        ("asset_id", "eq", asset_id), ("source_dag_id", "eq", source_dag_id), ("source_task_id", "eq", source_task_id),
        ("source_run_id", "eq", source_run_id), ("source_map_index", "eq", source_map_index),
        ("name", "pattern", name_pattern), ("name", "prefix", name_prefix_pattern),
    )  # fmt: skip
    rows, total = page_rows(ctx, "asset_event", conds, page, order_by, EVENT_ORDER, ["timestamp"])
    return AssetEventCollectionResponse(asset_events=_event_responses(ctx, rows), total_entries=total)


def create_asset_event(
    request: Request, body: CreateAssetEventsBody, principal: _Editor
) -> AssetEventResponse:
    """Record an event for an asset: the DAGs waiting on it are queued (and triggered by their
    apps when their condition holds)."""
    ctx = context(request)
    if body.partition_key is not None:
        raise bad_request("Partitioned assets are not supported by riir-airflow: partition_key must be null")
    with ctx.registry.transaction():
        asset = queries(ctx).one("asset", [("id", "eq", body.asset_id)])
        if asset is None:
            raise HTTPException(404, f"Asset with ID: `{body.asset_id}` was not found")
        event = ctx.store.record_asset_event(AssetEventRecord(
            name=asset["name"], uri=asset["uri"], group=asset["asset_group"],
            extra={**body.extra, "from_rest_api": True}, timestamp=ctx.now(),
        ))  # fmt: skip
        audit(ctx, principal, "create_asset_event", extra={"asset_id": body.asset_id, "uri": asset["uri"],
                                                          "event_id": event.id})  # fmt: skip
    row = queries(ctx).one("asset_event", [("id", "eq", event.id)])
    return _event_responses(ctx, [row])[0]  # type: ignore[list-item]


def get_upstream_asset_events(
    request: Request, dag_id: str, dag_run_id: str, _: _Reader
) -> AssetEventCollectionResponse:
    """The asset events a run consumed (its triggering events)."""
    ctx = context(request)
    require_run(ctx, dag_id, dag_run_id)
    ids = [e.id for e in ctx.store.get_dag_run_asset_events(dag_id, dag_run_id)]
    rows, total = (
        queries(ctx).page("asset_event", [("id", "in", ids)], [("timestamp", False)]) if ids else ([], 0)
    )
    return AssetEventCollectionResponse(asset_events=_event_responses(ctx, rows), total_entries=total)


# -- queued events ---------------------------------------------------------------------------
def get_asset_queued_events(
    request: Request, asset_id: int, _: _Reader, before: datetime.datetime | None = None
) -> QueuedEventCollectionResponse:
    """The DAGs an asset's events are queued for."""
    return _queued_page(context(request), [("asset_id", "eq", asset_id), *_before(before)])


def delete_asset_queued_events(
    request: Request, asset_id: int, principal: _Editor, before: datetime.datetime | None = None
) -> Response:
    """Forget an asset's queued events for every DAG."""
    ctx = context(request)
    return _delete_queued(ctx, principal, "delete_asset_queued_events", [("asset_id", "eq", asset_id), *_before(before)],
                          f"Queue event with asset_id: `{asset_id}` was not found", asset_id=asset_id)  # fmt: skip


def get_dag_asset_queued_events(
    request: Request, dag_id: str, _: _Reader, before: datetime.datetime | None = None
) -> QueuedEventCollectionResponse:
    """The assets a DAG has queued events of."""
    return _queued_page(context(request), [("dag_id", "eq", dag_id), *_before(before)])


def delete_dag_asset_queued_events(
    request: Request, dag_id: str, principal: _Editor, before: datetime.datetime | None = None
) -> Response:
    """Forget every queued event of a DAG."""
    ctx = context(request)
    return _delete_queued(ctx, principal, "delete_dag_asset_queued_events", [("dag_id", "eq", dag_id), *_before(before)],
                          f"Queue event with dag_id: `{dag_id}` was not found", dag_id=dag_id)  # fmt: skip


def get_dag_asset_queued_event(
    request: Request, dag_id: str, asset_id: int, _: _Reader, before: datetime.datetime | None = None
) -> QueuedEventResponse:
    """One queued event (a DAG and an asset)."""
    ctx = context(request)
    answer = _queued_page(ctx, [("dag_id", "eq", dag_id), ("asset_id", "eq", asset_id), *_before(before)])
    if not answer.queued_events:
        raise not_found(f"Queued event with dag_id: `{dag_id}` and asset_id: `{asset_id}` was not found")
    return answer.queued_events[0]


def delete_dag_asset_queued_event(
    request: Request, dag_id: str, asset_id: int, principal: _Editor, before: datetime.datetime | None = None
) -> Response:
    """Forget one queued event (a DAG and an asset)."""
    ctx = context(request)
    conds: list[Condition] = [("dag_id", "eq", dag_id), ("asset_id", "eq", asset_id), *_before(before)]
    return _delete_queued(ctx, principal, "delete_dag_asset_queued_event", conds,
                          f"Queued event with dag_id: `{dag_id}` and asset_id: `{asset_id}` was not found",
                          dag_id=dag_id, asset_id=asset_id)  # fmt: skip


def assets_router() -> APIRouter:
    router = APIRouter(prefix="/api/v2", tags=["Asset"])
    add = router.add_api_route
    add("/assets", get_assets, methods=["GET"], operation_id="get_assets")
    add("/assets/aliases", get_asset_aliases, methods=["GET"], operation_id="get_asset_aliases")
    add("/assets/aliases/{asset_alias_id}", get_asset_alias, methods=["GET"], operation_id="get_asset_alias")
    add("/assets/events", get_asset_events, methods=["GET"], operation_id="get_asset_events")
    add("/assets/events", create_asset_event, methods=["POST"], operation_id="create_asset_event")
    add("/assets/{asset_id}", get_asset, methods=["GET"], operation_id="get_asset")
    add("/assets/{asset_id}/materialize", materialize_asset, methods=["POST"], operation_id="materialize_asset")
    add("/assets/{asset_id}/queuedEvents", get_asset_queued_events, methods=["GET"],
        operation_id="get_asset_queued_events")  # fmt: skip
    add("/assets/{asset_id}/queuedEvents", delete_asset_queued_events, methods=["DELETE"], status_code=204,
        operation_id="delete_asset_queued_events", response_class=Response)  # fmt: skip
    add("/dags/{dag_id}/assets/queuedEvents", get_dag_asset_queued_events, methods=["GET"],
        operation_id="get_dag_asset_queued_events")  # fmt: skip
    add("/dags/{dag_id}/assets/queuedEvents", delete_dag_asset_queued_events, methods=["DELETE"], status_code=204,
        operation_id="delete_dag_asset_queued_events", response_class=Response)  # fmt: skip
    add("/dags/{dag_id}/assets/{asset_id}/queuedEvents", get_dag_asset_queued_event, methods=["GET"],
        operation_id="get_dag_asset_queued_event")  # fmt: skip
    add("/dags/{dag_id}/assets/{asset_id}/queuedEvents", delete_dag_asset_queued_event, methods=["DELETE"],
        status_code=204, operation_id="delete_dag_asset_queued_event", response_class=Response)  # fmt: skip
    add("/dags/{dag_id}/dagRuns/{dag_run_id}/upstreamAssetEvents", get_upstream_asset_events, methods=["GET"],
        operation_id="get_upstream_asset_events")  # fmt: skip
    return router

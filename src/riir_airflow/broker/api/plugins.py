"""What is installed and what is wrong with the DAGs: `/api/v2/plugins`,
`/plugins/importErrors`, `/providers` and `/dagWarnings` (viewer role).

- Plugins: riir-airflow loads no Airflow plugins (no `plugins_folder`, no `airflow.plugins`
  entry points: the broker does not import DAG-side code), so the list is empty, as is the
  list of plugin import errors.
- Providers: the provider code riir-airflow ships (Airflow 3's `standard` provider, as
  `riir_airflow.providers.standard`), at riir-airflow's version. Providers a DAG's own image
  installs live in that app, not in the broker.
- DAG warnings: Airflow's "non-existent pool" warning, worked out from the tasks each DAG
  registered (newest version) and the pools that exist now; riir has no other warning kind.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request

from riir_airflow.broker.api.deps import READ, PageDep, context, parse_order, queries, require
from riir_airflow.broker.api.schemas_admin import (
    DAGWarningCollectionResponse,
    DAGWarningResponse,
    DagWarningType,
    PluginCollectionResponse,
    PluginImportErrorCollectionResponse,
    ProviderCollectionResponse,
    ProviderResponse,
)
from riir_airflow.broker.auth import Principal

__all__ = ["plugins_router"]

WARNING_ORDER = ("dag_id", "warning_type", "message", "timestamp")
_Reader = Annotated[Principal, Depends(require(READ))]


def get_plugins(request: Request, page: PageDep, _: _Reader) -> PluginCollectionResponse:
    """Installed plugins: none."""
    return PluginCollectionResponse(plugins=[], total_entries=0)


def import_errors(request: Request, _: _Reader) -> PluginImportErrorCollectionResponse:
    """Plugin import errors: none (no plugins are loaded)."""
    return PluginImportErrorCollectionResponse(import_errors=[], total_entries=0)


def get_providers(request: Request, page: PageDep, _: _Reader) -> ProviderCollectionResponse:
    """The providers riir-airflow ships."""
    import riir_airflow

    providers = [ProviderResponse(
        package_name="apache-airflow-providers-standard", version=riir_airflow.riir_version,
        description="Airflow's standard provider (bash, python, sensors, triggers), built into riir-airflow as "
                    "riir_airflow.providers.standard",
        documentation_url="https://airflow.apache.org/docs/apache-airflow-providers-standard/",
    )]  # fmt: skip
    return ProviderCollectionResponse(
        providers=providers[page.offset : page.offset + page.limit], total_entries=len(providers)
    )


def list_dag_warnings(
    request: Request,
    page: PageDep,
    _: _Reader,
    dag_id: str | None = None,
    warning_type: DagWarningType | None = None,
    order_by: Annotated[list[str] | None, Query()] = None,
) -> DAGWarningCollectionResponse:
    """DAG warnings: tasks that name a pool which does not exist."""
    ctx = context(request)
    order = parse_order(order_by, WARNING_ORDER, ["dag_id"])
    warnings: list[DAGWarningResponse] = []
    if warning_type in (None, DagWarningType.NON_EXISTENT_POOL):
        pools = {p.pool for p in ctx.registry.list_pools()}
        rows, _ = queries(ctx).page("dag", [("dag_id", "eq", dag_id)] if dag_id is not None else [])
        for row in rows:
            dag = ctx.registry.serialized_dag(row["dag_id"])
            missing = sorted({t.pool for t in dag.tasks if t.pool and t.pool not in pools}) if dag else []
            if missing:
                warnings.append(DAGWarningResponse(
                    dag_id=row["dag_id"], warning_type=DagWarningType.NON_EXISTENT_POOL,
                    message=f"Dag '{row['dag_id']}' references non-existent pools: {missing}",
                    timestamp=row["last_parsed_time"] or row["updated_at"],
                    dag_display_name=row["dag_display_name"] or row["dag_id"],
                ))  # fmt: skip
    for name, descending in reversed(order):
        warnings.sort(key=lambda w: str(getattr(w, name)), reverse=descending)
    return DAGWarningCollectionResponse(
        dag_warnings=warnings[page.offset : page.offset + page.limit], total_entries=len(warnings)
    )


def plugins_router() -> APIRouter:
    router = APIRouter(prefix="/api/v2")
    add = router.add_api_route
    add("/plugins", get_plugins, methods=["GET"], operation_id="get_plugins", tags=["Plugin"])
    add(
        "/plugins/importErrors", import_errors, methods=["GET"], operation_id="import_errors", tags=["Plugin"]
    )
    add("/providers", get_providers, methods=["GET"], operation_id="get_providers", tags=["Provider"])
    add(
        "/dagWarnings",
        list_dag_warnings,
        methods=["GET"],
        operation_id="list_dag_warnings",
        tags=["DagWarning"],
    )
    return router

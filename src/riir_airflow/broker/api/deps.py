"""What every `/api/v2` route shares: who is calling and with which rights, pagination, ordering,
Airflow's error answers, the audit trail, and waking apps.

Contract:
- `require(role)` is a FastAPI dependency giving the caller's `Principal`: 401 `{"detail"}` with
  `WWW-Authenticate: Bearer` for a missing, malformed, unknown or expired credential; 403 when
  the caller is not a user (app tokens and the bootstrap secret have no business here) or its
  role ranks below `role`. Ranks: viewer < user < op < admin (`ROLE_RANK`); `READ`, `EDIT`,
  `OPERATE`, `ADMIN` name the four levels (read; trigger/clear/patch/pause/XCom writes;
  deleting DAGs; users, connections, config).
- `Page`: `limit` (default `[api] fallback_page_limit`, 50) and `offset` (default 0), both >= 0
  (422 otherwise); a limit above `[api] maximum_page_limit` (100) is cut to it, as Airflow does.
- `parse_order(values, allowed, default)`: Airflow's `order_by` (a field, `-field` for
  descending, several allowed); 400 `{"detail"}` for a field the endpoint does not sort by.
- `given(*conditions)`: the filters a request named (its optional parameters that are not None);
  `page_rows(ctx, table, conds, page, order_by, allowed, default)`: one sorted page of rows.
- `ApiError`s raised in route code become `{"detail": message}` with their status
  (`HTTPException`), so every refusal has Airflow's error body.
- `audit(ctx, principal, event, ...)` appends one event-log row (Airflow's `event_logs`);
  `delete_or_404(...)` deletes with its event-log row in one transaction, 204, or 404.
- `announce(ctx, dag_ids)` wakes the long-polls of those DAGs' apps; callable from the worker
  threads FastAPI runs sync routes in (it hops onto the event loop).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Annotated, Any

import anyio.from_thread
from fastapi import Depends, HTTPException, Query, Request, Response
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from riir_airflow.broker.auth import AuthError, Principal
from riir_airflow.broker.context import BrokerContext

__all__ = [
    "ADMIN",
    "EDIT",
    "OPERATE",
    "READ",
    "ROLE_RANK",
    "Page",
    "PageDep",
    "announce",
    "audit",
    "bad_request",
    "conflict",
    "context",
    "date_ranges",
    "delete_or_404",
    "given",
    "not_found",
    "page_rows",
    "parse_order",
    "queries",
    "range_conditions",
    "require",
]

ROLE_RANK = {"viewer": 0, "user": 1, "op": 2, "admin": 3}
READ, EDIT, OPERATE, ADMIN = "viewer", "user", "op", "admin"

_bearer = HTTPBearer(auto_error=False, description="A JWT from POST /auth/token (or an API token)")


def context(request: Request) -> BrokerContext:
    return request.app.state.broker


def queries(ctx: BrokerContext) -> Any:
    """The REST API's listing queries over the broker's metastore."""
    from riir_airflow.metastore.api_queries import ApiQueries

    return ApiQueries(ctx.store.db)


def not_found(message: str) -> HTTPException:
    return HTTPException(status_code=404, detail=message)


def bad_request(message: str) -> HTTPException:
    return HTTPException(status_code=400, detail=message)


def conflict(message: str) -> HTTPException:
    return HTTPException(status_code=409, detail=message)


def require(role: str) -> Callable[..., Principal]:
    """A dependency: the authenticated user, if its role ranks at least `role` (see module doc)."""
    needed = ROLE_RANK[role]

    def principal(
        request: Request, credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]
    ) -> Principal:
        ctx = context(request)
        header = f"Bearer {credentials.credentials}" if credentials is not None else None
        try:
            who = ctx.auth.principal(header)
        except AuthError as exc:
            detail = "Not authenticated" if credentials is None else str(exc)
            raise HTTPException(
                status_code=401, detail=detail, headers={"WWW-Authenticate": "Bearer"}
            ) from None
        if who.kind != "user" or who.role not in ROLE_RANK:
            raise HTTPException(status_code=403, detail="Forbidden: the public API is for users, not apps")
        if ROLE_RANK[who.role] < needed:
            raise HTTPException(
                status_code=403, detail=f"Forbidden: this needs the {role} role or higher; you are {who.role}"
            )
        return who

    principal.__name__ = f"require_{role}"
    return principal


def _page_limits() -> tuple[int, int]:
    from riir_airflow.compat.config import conf

    fallback = conf.getint("api", "fallback_page_limit", fallback=50)
    maximum = conf.getint("api", "maximum_page_limit", fallback=100)
    return fallback, maximum


@dataclass(frozen=True, slots=True)
class Page:
    limit: int
    offset: int

    @staticmethod
    def clamp(limit: int | None) -> int:
        fallback, maximum = _page_limits()
        return min(fallback if limit is None else limit, maximum)


def page(
    limit: Annotated[int | None, Query(ge=0)] = None,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> Page:
    return Page(Page.clamp(limit), offset)


PageDep = Annotated[Page, Depends(page)]


def parse_order(
    values: Sequence[str] | str | None, allowed: Iterable[str], default: Sequence[str]
) -> list[tuple[str, bool]]:
    """[(field, descending)] of an `order_by` parameter; 400 for a field not in `allowed`."""
    if isinstance(values, str):
        values = [values]
    wanted = [v for v in values or () if v.strip(", ")] or [v for v in default if v]
    allowed = set(allowed)
    order = []
    for value in wanted:
        for part in value.split(","):
            name = part.strip()
            descending = name.startswith("-")
            name = name.lstrip("-")
            if name not in allowed:
                raise bad_request(
                    f"Ordering with '{name}' is disallowed or the attribute does not exist on the model"
                )
            order.append((name, descending))
    return order


def given(*conditions: tuple[str, str, Any]) -> list[tuple[str, str, Any]]:
    """The `(field, op, value)` conditions whose value is not None, in their order: the filters
    a request named among its optional parameters (an empty string or list still counts)."""
    return [cond for cond in conditions if cond[2] is not None]


def page_rows(
    ctx: BrokerContext,
    table: str,
    conds: Sequence[tuple[str, str, Any]],
    page: Page,
    order_by: Sequence[str] | str | None,
    allowed: Iterable[str],
    default: Sequence[str],
) -> tuple[list[Any], int]:
    """One page (`page`) of the rows of `table` (a `metastore.api_queries` entity) meeting every
    condition, sorted as `order_by` asks (`default` when it asks nothing; 400 for a field not in
    `allowed`, see `parse_order`), and how many rows meet them in all."""
    order = parse_order(order_by, allowed, default)
    return queries(ctx).page(table, conds, order, page.limit, page.offset)


def audit(
    ctx: BrokerContext,
    principal: Principal,
    event: str,
    *,
    dag_id: str | None = None,
    run_id: str | None = None,
    task_id: str | None = None,
    map_index: int | None = None,
    extra: dict[str, Any] | None = None,
) -> None:
    """Append one event-log row for a change made through the API (inside the change's transaction
    when called in one, so the trail and the change land together)."""
    ctx.registry.record_audit(  # type: ignore[attr-defined]
        event, owner=principal.name, dag_id=dag_id, run_id=run_id, task_id=task_id, map_index=map_index,
        extra=json.dumps(extra, default=str, sort_keys=True) if extra is not None else None, now=ctx.now(),
    )  # fmt: skip


def delete_or_404(
    ctx: BrokerContext,
    principal: Principal,
    event: str,
    delete: Callable[[], bool],
    missing: HTTPException,
    **audit_fields: Any,
) -> Response:
    """Run `delete()` and, when it removed something (true), append the `event` row of the
    event log (`audit(ctx, principal, event, **audit_fields)`), both in one transaction; the
    answer is an empty 204. When it removed nothing, raise `missing` (the 404) and write nothing."""
    with ctx.registry.transaction():
        if not delete():
            raise missing
        audit(ctx, principal, event, **audit_fields)
    return Response(status_code=204)


def announce(ctx: BrokerContext, dag_ids: Iterable[str]) -> None:
    """Wake the long-polls of `dag_ids` (from a worker thread or from the event loop)."""
    ids = sorted(set(dag_ids))

    def wake() -> None:
        for dag_id in ids:
            ctx.bus.announce(dag_id)

    try:
        anyio.from_thread.run_sync(wake)
    except RuntimeError:  # already on the event loop (or no loop): call directly
        wake()


_RANGE_OPS = ("gte", "gt", "lte", "lt")


def range_conditions(values: dict[str, Any], fields: Iterable[str]) -> list[tuple[str, str, Any]]:
    """Conditions for Airflow's `<field>_gte|gt|lte|lt` values that are set in `values`."""
    conds = []
    for name in fields:
        for op in _RANGE_OPS:
            value = values.get(f"{name}_{op}")
            if value is not None:
                conds.append((name, op, value))
    return conds


def date_ranges(*fields: str) -> Callable[..., list[tuple[str, str, Any]]]:
    """A dependency taking `<field>_gte|gt|lte|lt` query parameters (datetimes) for each field
    and giving them as conditions (`metastore.api_queries`)."""
    import datetime
    import inspect

    params = [
        inspect.Parameter(
            f"{name}_{op}", inspect.Parameter.KEYWORD_ONLY, default=None, annotation=datetime.datetime | None
        )
        for name in fields
        for op in _RANGE_OPS
    ]

    def dependency(**values: Any) -> list[tuple[str, str, Any]]:
        return range_conditions(values, fields)

    dependency.__signature__ = inspect.Signature(params)  # type: ignore[attr-defined]
    return dependency

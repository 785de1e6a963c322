"""Who may call which Store operation on which DAG's rows, and the fencing check on writes.

Contract (`authorize` and `fenced`):
- An admin or op user may call every operation on every DAG; writes need no lease (a person
  acting through the API is not a scheduler that could be stale).
- An app token may only touch rows of the dag_ids it was issued for: any read or write whose
  arguments name another DAG is refused with 403 and has no effect. Rows belong to the
  `dag_id` argument, or the dag_id of the record(s) written; an asset event belongs to its
  `source_dag_id`. Variables are shared configuration: apps may read and write them (tasks do,
  with `Variable.set`); connections they may only read; asset events they may read (consumer
  DAGs read their producers' events). `dags_triggered_by` answers an app only about its DAGs.
- Every write an app makes to a DAG's rows must carry the fencing token of that DAG's live
  lease: none, an old one, or a lease that has expired or moved to another app gives 409
  `StaleFencingToken` and nothing is changed. So only the current scheduler of a DAG writes it.
- Every user that is not admin/op, and the bootstrap secret, are refused (403): the internal
  API is for apps and operators; the public REST API has its own role checks.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from riir_airflow.broker.auth import Principal
from riir_airflow.broker.context import ApiError
from riir_airflow.broker.registry import Registry
from riir_airflow.wire.store_ops import StoreOp

__all__ = ["SCOPE_RULES", "Rule", "authorize", "fenced", "filter_result"]

DagsOf = Callable[[Mapping[str, Any]], Iterable[str | None]]


@dataclass(frozen=True, slots=True)
class Rule:
    """How one operation is scoped: `dags` names the DAGs it touches (None: no DAG's rows),
    `apps` whether app tokens may call it at all, `own_result` whether a list-of-dag_ids result
    is cut down to the caller's DAGs."""

    dags: DagsOf | None
    apps: bool = True
    own_result: bool = False


def _dag_param(kwargs: Mapping[str, Any]) -> Iterable[str | None]:
    return (kwargs["dag_id"],)


SCOPE_RULES: dict[str, Rule] = {
    "create_dag_run": Rule(lambda kw: (kw["run"].dag_id,)),
    "put_task_instances": Rule(lambda kw: {r.dag_id for r in kw["records"]}),
    "set_xcom": Rule(lambda kw: (kw["xcom"].dag_id,)),
    "set_deferral": Rule(lambda kw: (kw["record"].dag_id,)),
    "record_asset_event": Rule(lambda kw: (kw["event"].source_dag_id,)),
    "get_asset_events": Rule(None),
    "dags_triggered_by": Rule(None, own_result=True),
    "get_variable": Rule(None),
    "set_variable": Rule(None),
    "delete_variable": Rule(None),
    "get_connection": Rule(None),
    "set_connection": Rule(None, apps=False),
    "delete_connection": Rule(None, apps=False),
    **{
        name: Rule(_dag_param)
        for name in (
            "get_dag_run",
            "update_dag_run",
            "list_dag_runs",
            "delete_dag_run",
            "requeue_dag_run",
            "get_task_instances",
            "get_task_instance",
            "get_task_instance_tries",
            "delete_task_instance",
            "clear_task_instances",
            "get_xcoms",
            "delete_xcoms",
            "set_rendered_fields",
            "get_rendered_fields",
            "append_log",
            "read_log",
            "register_dag_schedule",
            "get_dag_schedule",
            "consume_asset_dag_run_queue",
            "get_dag_run_asset_events",
            "get_deferrals",
            "delete_deferral",
        )
    },
}
"""The rule of every Store operation (tests/broker pins that each op has one)."""


def authorize(principal: Principal, op: StoreOp, kwargs: Mapping[str, Any]) -> frozenset[str]:
    """The DAGs the call touches, after checking `principal` may make it (ApiError 403 if not)."""
    rule = SCOPE_RULES.get(op.name)
    if rule is None:
        raise ApiError(403, "Forbidden", f"operation {op.name!r} has no access rule")
    dags = frozenset(rule.dags(kwargs)) if rule.dags is not None else frozenset()
    if principal.is_operator:
        return frozenset(d for d in dags if d is not None)
    if not principal.is_app:
        raise ApiError(403, "Forbidden", f"a {principal.kind} credential may not call the internal store API")
    if not rule.apps:
        raise ApiError(403, "Forbidden", f"app tokens may not call {op.name}")
    for dag_id in sorted(dags, key=str):
        if not principal.may_touch(dag_id):
            raise ApiError(403, "Forbidden", f"this app token does not cover dag {dag_id!r}")
    return frozenset(d for d in dags if d is not None)


@contextmanager
def fenced(
    principal: Principal,
    registry: Registry,
    dags: Iterable[str],
    fencing: Mapping[str, int],
    now: datetime.datetime,
) -> Iterator[None]:
    """Run the block (an app's write) only if every DAG it writes is leased with the token the
    call carries, atomically with the write (`Registry.transaction`); else `StaleFencingToken`
    (HTTP 409) and the block does not run. Operators' writes are not fenced."""
    dags = sorted(dags)
    if not principal.is_app or not dags:
        yield
        return
    with registry.transaction():
        for dag_id in dags:
            registry.check_fence(dag_id, fencing.get(dag_id), now)
        yield


def filter_result(principal: Principal, op: StoreOp, result: Any) -> Any:
    """Cut a list of dag_ids down to the caller's DAGs where the rule says so."""
    rule = SCOPE_RULES.get(op.name)
    if rule is None or not rule.own_result or principal.is_operator:
        return result
    return [dag_id for dag_id in result if principal.may_touch(dag_id)]

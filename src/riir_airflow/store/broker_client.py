"""`BrokerStore`: the `Store` over the broker's internal API, for DAG apps in production.

Contract:
- Implements the whole `riir_airflow.store.protocol.Store` and passes its contract suite: the
  runtime switches between `LocalStore` and `BrokerStore` without change. Store errors come
  back as the same exceptions (`DagRunAlreadyExists`, `KeyError`, `ValueError`); transport and
  authorization failures as `riir_airflow.wire.errors.BrokerError` subclasses (401
  `Unauthorized`, 403 `Forbidden`, 409 `StaleFencingToken`, `BrokerUnavailable`, ...).
- Every call is one request to `POST /internal/v1/store/<op>`; reads are retried on network
  failures, and so are writes, each carrying a fresh request id that the broker applies once,
  so a retried `append_log` or `create_dag_run` never doubles up.
- Writes carry the fencing tokens of the leases this client holds (`fencing`, filled by
  `acquire_lease`, see `BrokerAppMixin`); the broker refuses a write to a DAG whose lease this
  client does not hold with a current token.
- `batch(calls)` sends several Store calls in one round trip (in order, each on its own);
  `encode_calls` + `send_batch` do the same in two steps, so calls encoded in one process
  can be sent from another.
- Thread- and fork-safe: one keep-alive connection per thread and process (`BrokerConnection`).
- Needs only the standard library and riir_airflow's own wire models (no server dependency).
"""

from __future__ import annotations

import datetime
import uuid
from collections.abc import Mapping, Sequence
from typing import Any, Self

from riir_airflow.sdk.state import DagRunState
from riir_airflow.store.broker_app import BrokerAppMixin
from riir_airflow.store.broker_http import BrokerConnection
from riir_airflow.store.records import (
    AssetEventRecord,
    ConnectionRecord,
    DagRunRecord,
    DeferralRecord,
    TaskInstanceRecord,
    VariableRecord,
    XComRecord,
)
from riir_airflow.wire.codec import decode
from riir_airflow.wire.errors import STATUS_OF, exception_for
from riir_airflow.wire.messages import BatchCall, BatchRequest, BatchResponse, StoreRequest, StoreResponse
from riir_airflow.wire.store_ops import STORE_OPS, encode_args

__all__ = ["BrokerStore"]


class BrokerStore(BrokerAppMixin):
    """The Store of a DAG app: every call goes to the broker at `url` with `token`."""

    def __init__(self, url: str, token: str | None, *, timeout: float = 30.0, retries: int = 3) -> None:
        self._http = BrokerConnection(url, token, timeout=timeout, retries=retries)
        self.fencing: dict[str, int] = {}
        self.app_id: str | None = None

    @property
    def url(self) -> str:
        return self._http.url

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def close(self) -> None:
        """Close this thread's connection. Idempotent; the store stays usable (it reconnects)."""
        self._http.close()

    def _call(self, op_name: str, /, *args: Any, **kwargs: Any) -> Any:
        op = STORE_OPS[op_name]
        request = StoreRequest(
            args=encode_args(op, args, kwargs),
            fencing=dict(self.fencing) if op.write else {},
            request_id=uuid.uuid4().hex if op.write else None,
        )
        answer = self._http.exchange("POST", op.path, request, StoreResponse)
        return decode(answer.result if answer is not None else None, op.result)

    def batch(self, calls: Sequence[tuple[str, dict[str, Any]]]) -> list[Any]:
        """Run `(op name, kwargs)` calls in order in one round trip; a list with each call's result
        or, for a call that failed, the exception it would have raised (not raised here)."""
        return self.send_batch(self.encode_calls(calls))

    @staticmethod
    def encode_calls(calls: Sequence[tuple[str, dict[str, Any]]]) -> list[BatchCall]:
        """`(op name, kwargs)` calls in their wire form: what `send_batch` sends, possibly
        together with calls encoded elsewhere (a task worker hands its writes to its app so)."""
        return [BatchCall(op=name, args=encode_args(STORE_OPS[name], (), kw)) for name, kw in calls]

    def send_batch(self, calls: Sequence[BatchCall]) -> list[Any]:
        """`batch`, for calls already encoded (`encode_calls`)."""
        request = BatchRequest(calls=list(calls), fencing=dict(self.fencing), request_id=uuid.uuid4().hex)
        answer = self._http.exchange("POST", "/internal/v1/batch", request, BatchResponse)
        outcomes = answer.outcomes if answer is not None else []
        return [
            exception_for(STATUS_OF.get(o.error.type, 500), o.error)
            if o.error is not None
            else decode(o.result, STORE_OPS[call.op].result)
            for call, o in zip(calls, outcomes, strict=True)
        ]

    # -- other DAGs (store.cross_dag): the broker's apps run the runs triggered here ----------
    runs_triggered_dags = True

    def count_dag_runs(self, dag_id: str, **filters: Any) -> int:
        return self._cross_count("dag_runs", dag_id, filters)

    def count_task_instances(self, dag_id: str, **filters: Any) -> int:
        return self._cross_count("task_instances", dag_id, filters)

    def _cross_count(self, what: str, dag_id: str, filters: dict[str, Any]) -> int:
        from riir_airflow.wire.cross_dag import CrossCount, CrossCountAnswer

        def listed(value: Any) -> list[Any] | None:
            return list(value) if value is not None else None

        request = CrossCount(
            what, dag_id, logical_dates=listed(filters.get("logical_dates")), run_ids=listed(filters.get("run_ids")),
            task_ids=listed(filters.get("task_ids")), task_group_id=filters.get("task_group_id"),
            states=listed(filters.get("states")),
        )  # fmt: skip
        answer = self._http.exchange("POST", "/internal/v1/cross/count", request, CrossCountAnswer)
        assert answer is not None
        return answer.count

    def dag_run_state(self, dag_id: str, run_id: str) -> DagRunState | None:
        from riir_airflow.wire.cross_dag import CrossRunState, CrossRunStateAnswer

        answer = self._http.exchange(
            "POST", "/internal/v1/cross/run-state", CrossRunState(dag_id, run_id), CrossRunStateAnswer
        )
        return DagRunState(answer.state) if answer is not None and answer.state else None

    def trigger_dag_run(self, run: DagRunRecord, *, replace: bool = False) -> DagRunRecord:
        from riir_airflow.wire.cross_dag import CrossTrigger, CrossTriggerAnswer

        answer = self._http.exchange(
            "POST", "/internal/v1/cross/trigger", CrossTrigger(run, replace), CrossTriggerAnswer, safe=False
        )
        assert answer is not None
        return answer.run

    # -- DAG runs -------------------------------------------------------------------------
    def create_dag_run(self, run: DagRunRecord) -> DagRunRecord:
        return self._call("create_dag_run", run=run)

    def get_dag_run(self, dag_id: str, run_id: str) -> DagRunRecord | None:
        return self._call("get_dag_run", dag_id=dag_id, run_id=run_id)

    def update_dag_run(
        self,
        dag_id: str,
        run_id: str,
        *,
        state: DagRunState | None = None,
        start_date: datetime.datetime | None = None,
        end_date: datetime.datetime | None = None,
        note: str | None = None,
    ) -> None:
        self._call(
            "update_dag_run", dag_id=dag_id, run_id=run_id, state=state, start_date=start_date,
            end_date=end_date, note=note,
        )  # fmt: skip

    def list_dag_runs(
        self,
        dag_id: str,
        *,
        states: Sequence[DagRunState] | None = None,
        run_types: Sequence[str] | None = None,
        logical_date_before: datetime.datetime | None = None,
        logical_date_after: datetime.datetime | None = None,
        limit: int | None = None,
        descending: bool = False,
    ) -> list[DagRunRecord]:
        return self._call(
            "list_dag_runs", dag_id=dag_id, states=states, run_types=run_types,
            logical_date_before=logical_date_before, logical_date_after=logical_date_after,
            limit=limit, descending=descending,
        )  # fmt: skip

    def delete_dag_run(self, dag_id: str, run_id: str) -> None:
        self._call("delete_dag_run", dag_id=dag_id, run_id=run_id)

    def requeue_dag_run(
        self,
        dag_id: str,
        run_id: str,
        *,
        run_type: str | None = None,
        triggered_by: str | None = None,
        conf: dict[str, Any] | None = None,
    ) -> DagRunRecord:
        return self._call(
            "requeue_dag_run", dag_id=dag_id, run_id=run_id, run_type=run_type, triggered_by=triggered_by,
            conf=conf,
        )  # fmt: skip

    # -- task instances -------------------------------------------------------------------
    def put_task_instances(self, records: Sequence[TaskInstanceRecord]) -> None:
        self._call("put_task_instances", records=records)

    def get_task_instances(self, dag_id: str, run_id: str) -> list[TaskInstanceRecord]:
        return self._call("get_task_instances", dag_id=dag_id, run_id=run_id)

    def get_task_instance(
        self, dag_id: str, run_id: str, task_id: str, map_index: int = -1
    ) -> TaskInstanceRecord | None:
        return self._call(
            "get_task_instance", dag_id=dag_id, run_id=run_id, task_id=task_id, map_index=map_index
        )

    def get_task_instance_tries(
        self, dag_id: str, run_id: str, task_id: str, map_index: int = -1
    ) -> list[TaskInstanceRecord]:
        return self._call(
            "get_task_instance_tries", dag_id=dag_id, run_id=run_id, task_id=task_id, map_index=map_index
        )

    def delete_task_instance(self, dag_id: str, run_id: str, task_id: str, map_index: int = -1) -> None:
        self._call("delete_task_instance", dag_id=dag_id, run_id=run_id, task_id=task_id, map_index=map_index)

    def clear_task_instances(
        self,
        dag_id: str,
        run_id: str,
        task_ids: Sequence[str],
        map_indexes: Mapping[str, Sequence[int]] | None = None,
    ) -> None:
        self._call(
            "clear_task_instances", dag_id=dag_id, run_id=run_id, task_ids=task_ids, map_indexes=map_indexes
        )

    # -- XCom -----------------------------------------------------------------------------
    def set_xcom(self, xcom: XComRecord) -> None:
        self._call("set_xcom", xcom=xcom)

    def get_xcoms(
        self,
        dag_id: str,
        *,
        run_id: str,
        task_ids: Sequence[str] | None = None,
        keys: Sequence[str] | None = None,
        map_indexes: Sequence[int] | None = None,
        include_prior_dates: bool = False,
    ) -> list[XComRecord]:
        return self._call(
            "get_xcoms", dag_id=dag_id, run_id=run_id, task_ids=task_ids, keys=keys,
            map_indexes=map_indexes, include_prior_dates=include_prior_dates,
        )  # fmt: skip

    def delete_xcoms(self, dag_id: str, run_id: str, task_id: str, map_index: int = -1) -> None:
        self._call("delete_xcoms", dag_id=dag_id, run_id=run_id, task_id=task_id, map_index=map_index)

    # -- rendered template fields and logs ------------------------------------------------
    def set_rendered_fields(
        self, dag_id: str, run_id: str, task_id: str, map_index: int, fields: dict[str, str]
    ) -> None:
        self._call(
            "set_rendered_fields",
            dag_id=dag_id,
            run_id=run_id,
            task_id=task_id,
            map_index=map_index,
            fields=fields,
        )

    def get_rendered_fields(
        self, dag_id: str, run_id: str, task_id: str, map_index: int = -1
    ) -> dict[str, str] | None:
        return self._call(
            "get_rendered_fields", dag_id=dag_id, run_id=run_id, task_id=task_id, map_index=map_index
        )

    def append_log(
        self, dag_id: str, run_id: str, task_id: str, map_index: int, try_number: int, text: str
    ) -> None:
        self._call(
            "append_log", dag_id=dag_id, run_id=run_id, task_id=task_id, map_index=map_index,
            try_number=try_number, text=text,
        )  # fmt: skip

    def read_log(self, dag_id: str, run_id: str, task_id: str, map_index: int, try_number: int) -> str:
        return self._call(
            "read_log",
            dag_id=dag_id,
            run_id=run_id,
            task_id=task_id,
            map_index=map_index,
            try_number=try_number,
        )

    # -- variables and connections --------------------------------------------------------
    def get_variable(self, key: str) -> VariableRecord | None:
        return self._call("get_variable", key=key)

    def set_variable(self, record: VariableRecord) -> None:
        self._call("set_variable", record=record)

    def delete_variable(self, key: str) -> bool:
        return self._call("delete_variable", key=key)

    def get_connection(self, conn_id: str) -> ConnectionRecord | None:
        return self._call("get_connection", conn_id=conn_id)

    def set_connection(self, record: ConnectionRecord) -> None:
        self._call("set_connection", record=record)

    def delete_connection(self, conn_id: str) -> bool:
        return self._call("delete_connection", conn_id=conn_id)

    # -- assets ---------------------------------------------------------------------------
    def record_asset_event(self, event: AssetEventRecord) -> AssetEventRecord:
        return self._call("record_asset_event", event=event)

    def get_asset_events(
        self,
        *,
        name: str | None = None,
        uri: str | None = None,
        source_dag_id: str | None = None,
        source_run_id: str | None = None,
        source_alias: str | None = None,
        after: datetime.datetime | None = None,
        before: datetime.datetime | None = None,
        limit: int | None = None,
        descending: bool = False,
    ) -> list[AssetEventRecord]:
        return self._call(
            "get_asset_events", name=name, uri=uri, source_dag_id=source_dag_id, source_run_id=source_run_id,
            source_alias=source_alias, after=after, before=before, limit=limit, descending=descending,
        )  # fmt: skip

    def register_dag_schedule(self, dag_id: str, condition_json: str | None) -> None:
        self._call("register_dag_schedule", dag_id=dag_id, condition_json=condition_json)

    def get_dag_schedule(self, dag_id: str) -> str | None:
        return self._call("get_dag_schedule", dag_id=dag_id)

    def dags_triggered_by(self, event: AssetEventRecord | None = None) -> list[str]:
        return self._call("dags_triggered_by", event=event)

    def consume_asset_dag_run_queue(
        self, dag_id: str, *, run_id: str | None = None
    ) -> list[AssetEventRecord]:
        return self._call("consume_asset_dag_run_queue", dag_id=dag_id, run_id=run_id)

    def get_dag_run_asset_events(self, dag_id: str, run_id: str) -> list[AssetEventRecord]:
        return self._call("get_dag_run_asset_events", dag_id=dag_id, run_id=run_id)

    # -- deferred tasks' triggers --------------------------------------------------------
    def set_deferral(self, record: DeferralRecord) -> None:
        self._call("set_deferral", record=record)

    def get_deferrals(self, dag_id: str, run_id: str) -> list[DeferralRecord]:
        return self._call("get_deferrals", dag_id=dag_id, run_id=run_id)

    def delete_deferral(self, dag_id: str, run_id: str, task_id: str, map_index: int = -1) -> None:
        self._call("delete_deferral", dag_id=dag_id, run_id=run_id, task_id=task_id, map_index=map_index)

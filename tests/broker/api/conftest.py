"""Fixtures for the REST API tests: a live broker (SQLite and PostgreSQL) driven through the
official `apache-airflow-client`, and seeding helpers that write through the broker's store."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import airflow_client.client as af
import pendulum
import pytest

from riir_airflow.sdk.state import DagRunState, TaskInstanceState
from riir_airflow.store.records import DagRunRecord, TaskInstanceRecord
from riir_airflow.wire.messages import SerializedDag, SerializedTask

from ..conftest import T0, Broker


def client_for(broker: Broker, role: str = "admin", token: str | None = None) -> af.ApiClient:
    """An ApiClient of the official package talking to `broker` as a user with `role`."""
    config = af.Configuration(host=broker.url, access_token=token if token is not None else broker.jwt(role))
    return af.ApiClient(config)


@pytest.fixture
def api(broker: Broker) -> Iterator[Callable[..., af.ApiClient]]:
    clients: list[af.ApiClient] = []

    def make(role: str = "admin", token: str | None = None) -> af.ApiClient:
        client = client_for(broker, role, token)
        clients.append(client)
        return client

    yield make
    for client in clients:
        client.rest_client.pool_manager.clear()


def register_dag(broker: Broker, dag_id: str, *, tasks: tuple[str, ...] = ("a", "b"), tags: tuple[str, ...] = (),
                 paused: bool = False, owner: str = "airflow", fileloc: str | None = None) -> None:  # fmt: skip
    """Register `dag_id` in the metastore as an app would (a chain of `tasks`)."""
    serialized = SerializedDag(
        dag_id=dag_id,
        fileloc=fileloc or f"/dags/{dag_id}.py",
        tasks=[
            SerializedTask(task_id=t, operator="BashOperator", downstream_task_ids=list(tasks[i + 1 : i + 2]))
            for i, t in enumerate(tasks)
        ],
        schedule="@daily",
        owner=owner,
        tags=list(tags),
        start_date=T0,
        is_paused_upon_creation=paused,
    )
    broker.registry.sync_dags([serialized], code_hash=f"hash-{dag_id}", now=broker.clock.now())


def add_run(broker: Broker, dag_id: str, run_id: str, *, day: int = 0, state: str = "success",
            ti_states: dict[str, str] | None = None, run_type: str = "scheduled") -> DagRunRecord:  # fmt: skip
    """A run of `dag_id` `day` days after T0 with task instances in `ti_states`."""
    logical = T0.add(days=day)
    run = broker.store.create_dag_run(
        DagRunRecord(
            dag_id=dag_id, run_id=run_id, run_type=run_type, state=DagRunState(state), run_after=logical,
            logical_date=logical, data_interval_start=logical, data_interval_end=logical.add(days=1),
            start_date=logical.add(minutes=1), end_date=logical.add(minutes=5) if state in ("success", "failed") else None,
        )
    )  # fmt: skip
    records = [
        TaskInstanceRecord(
            dag_id=dag_id, run_id=run_id, task_id=task_id, state=TaskInstanceState(ti_state),
            try_number=1 if ti_state != "none" else 0, operator="BashOperator", hostname="host",
            start_date=logical.add(minutes=2) if ti_state != "none" else None,
            end_date=logical.add(minutes=3) if ti_state in ("success", "failed") else None,
        )
        for task_id, ti_state in (ti_states or {}).items()
    ]  # fmt: skip
    if records:
        broker.store.put_task_instances(records)
    return run


def pending(broker: Broker, dag_id: str) -> list[Any]:
    """The commands queued for `dag_id`'s app."""
    return broker.registry.pending_commands([dag_id])


__all__ = ["add_run", "client_for", "pending", "pendulum", "register_dag"]

"""Apps whose heartbeats stopped: declare them gone and handle their running tasks as zombies.

Contract of `reap(ctx)` (run every `reap_interval_seconds` by the broker, and callable directly):
- Every alive app whose last heartbeat is older than `[riir] app_heartbeat_timeout` (by the
  broker's clock) is marked gone; that releases its leases, so a standby can take over at once.
- For each DAG whose lease it held (and nobody has taken since), each task instance in state
  `running` is handled as Airflow handles a zombie: `up_for_retry` if it has tries left
  (`try_number <= max_tries`), with `next_attempt_at` after the task's retry delay (from the
  registered DAG; none known: at once), else `failed`; `end_date` is now, the note and the try's
  log say why. The DAG run itself is left to the next scheduler of the DAG.
- Only one caller handles a given death (`Registry.mark_gone` answers None to the others), so
  several broker replicas may reap concurrently.

Why by lease and not by app: a standby replica ran nothing, and a DAG whose lease has moved on
is the new holder's to reconcile (its writes are fenced, the old app's are refused).
"""

from __future__ import annotations

import asyncio
import dataclasses
import datetime
import logging
from typing import Any

from starlette.concurrency import run_in_threadpool

from riir_airflow.broker.context import BrokerContext
from riir_airflow.sdk.state import DagRunState, TaskInstanceState
from riir_airflow.store.records import TaskInstanceRecord

__all__ = ["handle_zombies", "reap", "reap_forever"]

log = logging.getLogger("riir_airflow.broker.reaper")


def reap(ctx: BrokerContext) -> dict[str, list[TaskInstanceRecord]]:
    """Declare silent apps gone; {app_id: the task instances handled as zombies}."""
    now = ctx.now()
    cutoff = now - datetime.timedelta(seconds=ctx.settings.app_heartbeat_timeout)
    handled: dict[str, list[TaskInstanceRecord]] = {}
    for app in ctx.registry.stale_apps(cutoff):
        held = ctx.registry.mark_gone(app.app_id, now)
        if held is None:
            continue  # another replica got there first
        log.warning(
            "app gone app_id=%s dag_ids=%s last_heartbeat=%s leases_released=%s",
            app.app_id, ",".join(app.dag_ids), app.last_heartbeat.isoformat(), ",".join(held),
        )  # fmt: skip
        handled[app.app_id] = [ti for dag_id in held for ti in handle_zombies(ctx, app.app_id, dag_id, now)]
    return handled


def handle_zombies(
    ctx: BrokerContext, app_id: str, dag_id: str, now: datetime.datetime
) -> list[TaskInstanceRecord]:
    """Retry or fail every running task instance of `dag_id`; the records as written."""
    store = ctx.store
    delays = _retry_delays(ctx, dag_id)
    written: list[TaskInstanceRecord] = []
    for run in store.list_dag_runs(dag_id, states=[DagRunState.RUNNING, DagRunState.QUEUED]):
        zombies = [
            ti for ti in store.get_task_instances(dag_id, run.run_id) if ti.state is TaskInstanceState.RUNNING
        ]
        for ti in zombies:
            retry = ti.try_number <= ti.max_tries
            delay = delays.get(ti.task_id, 0.0)
            reason = f"zombie: app {app_id} stopped heartbeating while the task ran"
            record = dataclasses.replace(
                ti,
                state=TaskInstanceState.UP_FOR_RETRY if retry else TaskInstanceState.FAILED,
                end_date=now,
                next_attempt_at=now + datetime.timedelta(seconds=delay) if retry else None,
                note=reason,
            )
            store.put_task_instances([record])
            store.append_log(
                dag_id, ti.run_id, ti.task_id, ti.map_index, ti.try_number,
                f"[{now.isoformat()}] {reason}; marked {record.state.value}\n",
            )  # fmt: skip
            log.warning(
                "zombie handled app_id=%s dag_id=%s run_id=%s task_id=%s map_index=%s try=%s state=%s",
                app_id, dag_id, ti.run_id, ti.task_id, ti.map_index, ti.try_number, record.state.value,
            )  # fmt: skip
            written.append(record)
    return written


def _retry_delays(ctx: BrokerContext, dag_id: str) -> dict[str, float]:
    dag = ctx.registry.serialized_dag(dag_id)
    if dag is None:
        return {}
    return {task.task_id: task.retry_delay_seconds for task in dag.tasks}


async def reap_forever(ctx: BrokerContext) -> Any:
    """The broker's background loop: `reap` every `reap_interval_seconds`, errors logged."""
    while True:
        await asyncio.sleep(ctx.settings.reap_interval_seconds)
        try:
            await run_in_threadpool(reap, ctx)
        except Exception:
            log.exception("reaper pass failed")

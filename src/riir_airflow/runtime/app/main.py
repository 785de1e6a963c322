"""`run_app`: one DAG file as a long-running app: load once, register, schedule, run, drain.

Order matters: the file is imported and the fork server forked *before* any thread starts
(see `forkserver`), then the app registers with the broker, starts its threads (heartbeat and
leases, command long-poll, executor I/O, log shipping, trigger loop, one driver per active
run) and runs its scheduler loop on the main thread until SIGTERM or SIGINT. Then it drains:
no new run or try starts; running tries get `drain_grace` seconds; what still runs is killed
and handed back as up_for_retry; runs stay running for the next app; the leases are released.

Exit codes: 0 after a drain, 2 when the DAG file does not import (the error is reported to the
broker as an import error first, so the UI shows it), 3 when the broker refuses the app
(a token that does not cover its DAGs, say).
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import signal
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from riir_airflow.wire.messages import SerializedDag, SerializedTask

__all__ = ["AppOptions", "run_app", "serialize_dag"]

log = logging.getLogger("riir_airflow.app")
APP_BROKER_RETRIES = 130  # about ten minutes of backoff: an outage pauses writes, it does not fail them


@dataclass
class AppOptions:
    path: Path
    broker_url: str
    token: str | None
    parallelism: int
    drain_grace: float = 60.0
    tick_seconds: float = 1.0


def serialize_dag(dag: Any, fileloc: str) -> SerializedDag:
    """What the broker keeps of a DAG: its structure and scheduling settings, not its code."""
    from riir_airflow.runtime.assets import condition_to_json_or_none, outlets_to_json_or_none

    tasks = [
        SerializedTask(
            task_id=task.task_id,
            operator=task.operator_name,
            downstream_task_ids=sorted(task.downstream_task_ids),
            retries=int(task.retries or 0),
            retry_delay_seconds=task.retry_delay.total_seconds() if task.retry_delay else 0.0,
            pool=task.pool,
            queue=task.queue,
            is_mapped=bool(task.is_mapped),
            trigger_rule=str(getattr(task.trigger_rule, "value", task.trigger_rule)),
            is_setup=bool(task.is_setup),
            is_teardown=bool(task.is_teardown),
            task_group_ids=_group_ids(getattr(task, "task_group", None)),
            extra_links=sorted({str(link.name) for link in getattr(task, "operator_extra_links", ())}),
            outlets=outlets_to_json_or_none(task),
        )
        for task in dag.topological_order()
    ]
    schedule = dag.schedule
    return SerializedDag(
        dag_id=dag.dag_id,
        fileloc=fileloc,
        tasks=tasks,
        schedule=None if schedule is None else str(getattr(dag.timetable, "summary", schedule)),
        asset_condition=condition_to_json_or_none(dag),
        description=dag.description,
        owner=dag.owner if hasattr(dag, "owner") else None,
        tags=sorted(dag.tags or []),
        start_date=dag.start_date,
        end_date=dag.end_date,
        catchup=bool(dag.catchup),
        max_active_runs=dag.max_active_runs,
        max_active_tasks=dag.max_active_tasks,
        is_paused_upon_creation=dag.is_paused_upon_creation,
        timetable={"type": dag.timetable.type_name, "value": dag.timetable.serialize()},
        depends_on_past=any(getattr(task, "depends_on_past", False) for task in dag.task_dict.values()),
        allowed_run_types=_run_type_names(getattr(dag, "allowed_run_types", None)),
        params=_params_of(dag),
    )


_NOT_JSON = object()


def _as_json(value: Any) -> Any:
    """`value` as plain JSON data (tuples become lists, so the stored registration equals the
    next one of the same code); `_NOT_JSON` when it has no JSON form (NaN included)."""
    try:
        return json.loads(json.dumps(value, allow_nan=False))
    except (TypeError, ValueError):
        return _NOT_JSON


def _params_of(dag: Any) -> dict[str, dict[str, Any]]:
    """`SerializedDag.params`: each DAG param's schema, description and default (if set), so the
    broker can check a run's conf with the SDK's own validation (`sdk.params.merge_params`)."""
    from riir_airflow.sdk.params import Param
    from riir_airflow.sdk.types import is_arg_set

    out: dict[str, dict[str, Any]] = {}
    for name, param in (getattr(dag, "params", None) or {}).items():  # ParamsDict: the Params
        if not isinstance(param, Param):
            param = Param(param)
        schema = _as_json(param.schema)
        entry: dict[str, Any] = {
            "schema": schema if isinstance(schema, dict) else {},
            "description": None if param.description is None else str(param.description),
        }
        default = _as_json(param.value) if is_arg_set(param.value) else None
        if is_arg_set(param.value) and default is not _NOT_JSON:
            entry["default"] = default
        if not isinstance(schema, dict) or default is _NOT_JSON:
            entry["unchecked"] = True
        out[str(name)] = entry
    return out


def _run_type_names(types: Any) -> list[str] | None:
    return None if types is None else sorted(str(getattr(t, "value", t)) for t in types)


def _group_ids(group: Any) -> list[str]:
    """The ids of the TaskGroups around a task, outermost first (the DAG's root group excluded)."""
    ids: list[str] = []
    while group is not None and group.group_id is not None:
        ids.append(group.group_id)
        group = group.parent_group
    return ids[::-1]


def _log_fields(**fields: Any) -> None:
    """Put `fields` on every JSON log line from now on (see `riir_airflow.jsonlog`)."""
    from riir_airflow.jsonlog import JsonFormatter

    for handler in logging.getLogger().handlers:
        if isinstance(handler.formatter, JsonFormatter):
            handler.formatter.fields.update(fields)


def run_app(options: AppOptions) -> int:
    from riir_airflow.runtime.app.executor import ForkExecutor
    from riir_airflow.runtime.app.forkserver import ForkServer
    from riir_airflow.runtime.app.log_shipper import LogShipper
    from riir_airflow.runtime.app.run_driver import RunControl
    from riir_airflow.runtime.app.scheduler import AppScheduler
    from riir_airflow.runtime.app.session import AppSession
    from riir_airflow.runtime.app.trigger_loop import TriggerLoop
    from riir_airflow.runtime.app.worker import run_request, warm_up
    from riir_airflow.runtime.clock import SystemClock
    from riir_airflow.runtime.loader import load_dag_file
    from riir_airflow.store.broker_client import BrokerStore
    from riir_airflow.wire.errors import BrokerError

    path = options.path.resolve()
    store = BrokerStore(options.broker_url, options.token, retries=APP_BROKER_RETRIES)
    loaded = load_dag_file(path)
    if loaded.errors or not loaded.dags:
        text = "\n".join(e.traceback or str(e) for e in loaded.errors) or f"{path}: the file defines no DAG"
        log.error("DAG file does not load fileloc=%s: %s", path, text.strip().splitlines()[-1])
        try:
            store.report_import_error(str(path), text)
        except BrokerError as exc:
            log.error("could not report the import error to the broker: %s", exc)
        return 2
    dags = loaded.dags
    for dag in dags.values():
        dag.validate()
    code_hash = hashlib.sha256(path.read_bytes()).hexdigest()
    _log_fields(dag_ids=",".join(dags))

    warm_up()
    forkserver = ForkServer(lambda data: run_request(dags, data)).start()  # before any thread
    scheduler: AppScheduler | None = None
    session = AppSession(
        store,
        [serialize_dag(dag, str(path)) for dag in dags.values()],
        code_hash=code_hash,
        fileloc=str(path),
        on_command=lambda command: scheduler.on_command(command) if scheduler else None,
        on_leases_changed=lambda: scheduler.wake() if scheduler else None,
    )
    try:
        answer = session.register()
    except BrokerError as exc:
        log.error("the broker refused this app: %s", exc)
        forkserver.stop()
        return 3
    _log_fields(app_id=session.app_id)
    shipper = LogShipper(store)
    executor = ForkExecutor(
        forkserver, shipper.add, parallelism=options.parallelism,
        dag_limits={dag_id: dag.max_active_tasks for dag_id, dag in dags.items()},
    )  # fmt: skip
    triggers = TriggerLoop()
    control = RunControl(
        broker_url=options.broker_url,
        token=lambda: store._http.token,
        fencing=lambda: dict(store.fencing),
        logs=shipper,
    )
    scheduler = AppScheduler(
        dags, store, executor=executor, triggers=triggers, control=control, holds_lease=session.holds,
        paused=answer.paused, clock=SystemClock(), tick_seconds=options.tick_seconds,
    )  # fmt: skip

    def on_signal(signum: int, _frame: Any) -> None:
        if scheduler.control.draining.is_set():
            log.warning("second %s: stopping now", signal.Signals(signum).name)
            executor.kill_all("drain")
            return
        log.info("%s received: draining grace=%ss", signal.Signals(signum).name, options.drain_grace)
        scheduler.drain()
        scheduler.stop()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    session.start()
    log.info(
        "app running app_id=%s dag_ids=%s pid=%s parallelism=%s broker=%s",
        session.app_id, ",".join(dags), os.getpid(), executor.parallelism, options.broker_url,
    )  # fmt: skip
    scheduler.run_forever()

    clean = scheduler.wait_drained(options.drain_grace)
    shipper.close()
    session.close()
    triggers.close()
    executor.close()
    forkserver.stop()
    log.info("app stopped app_id=%s drained=%s", session.app_id, "clean" if clean else "handed back")
    return 0

"""The local way to run: a DAG run in this process against the SQLite store under $AIRFLOW_HOME.

Used by `dag.test()`, `riir-airflow dags test` and `tasks test`. History persists between
calls, so a second run sees the first (prev_* context, depends_on_past, prior-date XComs).
"""

from __future__ import annotations

import contextlib
import datetime
import re
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from riir_airflow.runtime.assets import register_asset_schedule
from riir_airflow.runtime.clock import Clock
from riir_airflow.runtime.dag_runner import DagRunner
from riir_airflow.runtime.store_secrets import StoreMetastore

if TYPE_CHECKING:
    from riir_airflow.sdk.dag import DAG
    from riir_airflow.store.protocol import Store
    from riir_airflow.store.records import DagRunRecord

__all__ = ["local_store", "test_dag", "using_store"]


def local_store() -> Store:
    from riir_airflow.compat.config import get_airflow_home
    from riir_airflow.store.local import LocalStore

    home = Path(get_airflow_home())
    home.mkdir(parents=True, exist_ok=True)
    return LocalStore.for_home(home)


@contextlib.contextmanager
def using_store(
    store: Store, *, conn_file_path: str | None = None, variable_file_path: str | None = None
) -> Iterator[Store]:
    """Make Variables/Connections resolve against `store` (and optional files) while inside."""
    from riir_airflow.sdk import secrets

    previous = secrets.get_metastore_backend()
    secrets.set_metastore_backend(StoreMetastore(store))
    files: contextlib.AbstractContextManager[Any] = contextlib.nullcontext()
    if conn_file_path or variable_file_path:
        files = secrets.added_backends(
            secrets.LocalFilesystemBackend(
                variables_file_path=variable_file_path, connections_file_path=conn_file_path
            )
        )
    try:
        with files:
            yield store
    finally:
        secrets.set_metastore_backend(previous)


def test_dag(
    dag: DAG,
    *,
    logical_date: datetime.datetime | None = None,
    logical_date_given: bool = True,
    run_after: datetime.datetime | None = None,
    conf: dict[str, Any] | None = None,
    conn_file_path: str | None = None,
    variable_file_path: str | None = None,
    mark_success_pattern: str | re.Pattern[str] | None = None,
    store: Store | None = None,
    clock: Clock | None = None,
) -> DagRunRecord:
    """One manual run of `dag`, in process, to completion (Airflow's `dag.test()`).

    `logical_date` omitted (logical_date_given=False) means now; given as None, the run has no
    logical date (Airflow 3).
    """
    owned = store is None
    store = store or local_store()
    try:
        with using_store(store, conn_file_path=conn_file_path, variable_file_path=variable_file_path):
            runner = DagRunner(dag, store, clock, mark_success_pattern=mark_success_pattern)
            register_asset_schedule(store, dag)  # so the store knows what this DAG waits on
            if not logical_date_given:
                logical_date = runner.clock.now()
            run = runner.create_manual_run(logical_date=logical_date, run_after=run_after, conf=conf)
            # As dag.test(): a run whose tasks wait on depends_on_past forever is left running.
            return runner.run(run, leave_blocked=True)
    finally:
        if owned:
            store.close()

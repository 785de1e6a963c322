"""Airflow's `DagBag`: the DAGs of a folder (or one file) and the files that failed to load.

DAG integrity tests use it (`assert not DagBag().import_errors`); it loads files the same way
the CLI and the DAG app do.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from riir_airflow.sdk.dag import DAG

__all__ = ["DagBag"]


class DagBag:
    def __init__(
        self,
        dag_folder: str | Path | None = None,
        include_examples: bool = False,
        safe_mode: bool = True,
        read_dags_from_db: bool = False,
        **_: object,
    ) -> None:
        from riir_airflow.compat.config import conf

        self.dag_folder = str(dag_folder or conf.get("core", "dags_folder"))
        self.dags: dict[str, DAG] = {}
        self.import_errors: dict[str, str] = {}
        self.safe_mode = safe_mode
        self.collect_dags(self.dag_folder)

    def collect_dags(self, dag_folder: str | Path) -> None:
        from riir_airflow.runtime.loader import find_dag_files, load_dag_file

        path = Path(dag_folder)
        if path.is_file():
            files = [path]
        elif path.is_dir():
            files = find_dag_files(path) if self.safe_mode else sorted(path.rglob("*.py"))
        else:
            files = []
        for file in files:
            loaded = load_dag_file(file)
            self.dags.update(loaded.dags)
            if loaded.errors:
                self.import_errors[str(loaded.path)] = "\n".join(str(e) for e in loaded.errors)

    def get_dag(self, dag_id: str) -> DAG | None:
        return self.dags.get(dag_id)

    @property
    def dag_ids(self) -> list[str]:
        return list(self.dags)

    def size(self) -> int:
        return len(self.dags)

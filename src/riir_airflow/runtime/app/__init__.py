"""The long-running DAG app (`riir-airflow app FILE`): see `main` and docs/decisions/0007.

Importing this package starts nothing; `run_app(AppOptions(...))` runs an app until SIGTERM.
"""

from riir_airflow.runtime.app.main import AppOptions, run_app, serialize_dag

__all__ = ["AppOptions", "run_app", "serialize_dag"]

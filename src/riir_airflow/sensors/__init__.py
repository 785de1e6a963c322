"""Airflow 2.x path `airflow.sensors`: each submodule re-exports the standard provider's sensor."""

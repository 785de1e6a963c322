"""Airflow 2.x path `airflow.operators`: each submodule re-exports the standard provider's operator."""

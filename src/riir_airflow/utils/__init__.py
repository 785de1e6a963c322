"""Airflow 2.x path `airflow.utils`: re-export modules only (no helpers live here)."""

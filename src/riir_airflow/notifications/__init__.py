"""Airflow 2.x path `airflow.notifications`."""

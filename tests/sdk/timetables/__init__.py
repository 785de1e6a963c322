"""Tests of riir_airflow.sdk.timetables (unit tests and parity with Airflow 3.3)."""

"""Tests of the metastore layer (riir_airflow.metastore) on SQLite and on the real PostgreSQL."""

"""Alembic migrations of the metastore; run through `riir_airflow.metastore.migrate`."""

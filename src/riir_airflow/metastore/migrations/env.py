"""Alembic environment for the metastore, driven only programmatically (`metastore.migrate`).

There is no alembic.ini: `migrate.alembic_config()` builds the Config in code and hands over an
open SQLAlchemy Connection in `config.attributes["connection"]`; this script runs the migrations
on it inside the caller's transaction (the caller commits). Offline (SQL script) mode is not
supported: the broker migrates the database it is pointed at.
"""

from __future__ import annotations

from alembic import context

from riir_airflow.metastore.tables import metadata

connection = context.config.attributes.get("connection")
if connection is None or context.is_offline_mode():
    raise RuntimeError(
        "run metastore migrations through riir_airflow.metastore.migrate (riir-airflow db migrate)"
    )

context.configure(
    connection=connection,
    target_metadata=metadata,
    render_as_batch=connection.dialect.name == "sqlite",  # ALTER TABLE via table copy on SQLite
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()

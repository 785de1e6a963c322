"""Deferred tasks' triggers: `task_deferral`, one row per deferred task instance, so a restarted
DAG app resumes its triggers (store.DeferralRecord). Goes with its run (ON DELETE CASCADE).

Written by hand and frozen, like 0001: the column types are spelled out as they are at this
revision, whatever `coltypes` becomes later.

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from riir_airflow.metastore.coltypes import UtcDateTime

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

# Frozen copies of `coltypes.IdText` / `coltypes.UtcDateTime` as they were at this revision.
ID = sa.Text().with_variant(postgresql.TEXT(collation="C"), "postgresql")
DT = UtcDateTime(timezone=True)
TABLE = "task_deferral"


def upgrade() -> None:
    op.create_table(
        TABLE,
        sa.Column("dag_id", ID, nullable=False),
        sa.Column("run_id", ID, nullable=False),
        sa.Column("task_id", ID, nullable=False),
        sa.Column("map_index", sa.Integer(), nullable=False),
        sa.Column("try_number", sa.Integer(), nullable=False),
        sa.Column("classpath", sa.Text(), nullable=False),
        sa.Column("trigger_kwargs", sa.Text(), nullable=False),
        sa.Column("method_name", sa.Text(), nullable=False),
        sa.Column("kwargs", sa.Text(), nullable=True),
        sa.Column("timeout_at", DT, nullable=True),
        sa.PrimaryKeyConstraint("dag_id", "run_id", "task_id", "map_index", name=f"pk_{TABLE}"),
        sa.ForeignKeyConstraint(
            ["dag_id", "run_id"],
            ["dag_run.dag_id", "dag_run.run_id"],
            name=f"fk_{TABLE}_dag_id_dag_run",
            ondelete="CASCADE",
        ),
    )


def downgrade() -> None:
    op.drop_table(TABLE)

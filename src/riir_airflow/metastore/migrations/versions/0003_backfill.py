"""Backfills (Airflow 3's REST API `/api/v2/backfills`): `backfill`, one row per backfill of a DAG
(goes with its DAG, ON DELETE CASCADE), and `backfill_dag_run`, one row per logical date of
the backfill in backfill order, naming the run that holds it (or why none was made).

Written by hand and frozen, like 0001 and 0002: the column types are spelled out as they are at
this revision, whatever `coltypes` becomes later.

Revision ID: 0003
Revises: 0002
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from riir_airflow.metastore.coltypes import JsonText, UtcDateTime

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

# Frozen copies of `coltypes.IdText` / `coltypes.BigId` / `coltypes.UtcDateTime` at this revision.
ID = sa.Text().with_variant(postgresql.TEXT(collation="C"), "postgresql")
BIG = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
DT = UtcDateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "backfill",
        sa.Column("id", BIG, primary_key=True, autoincrement=True, nullable=False),
        sa.Column("dag_id", ID, nullable=False),
        sa.Column("from_date", DT, nullable=False),
        sa.Column("to_date", DT, nullable=False),
        sa.Column("dag_run_conf", JsonText(), nullable=False),
        sa.Column("is_paused", sa.Boolean(), nullable=False),
        sa.Column("reprocess_behavior", sa.Text(), nullable=False),
        sa.Column("max_active_runs", sa.Integer(), nullable=False),
        sa.Column("run_backwards", sa.Boolean(), nullable=False),
        sa.Column("triggering_user_name", sa.Text(), nullable=True),
        sa.Column("created_at", DT, nullable=False),
        sa.Column("completed_at", DT, nullable=True),
        sa.Column("updated_at", DT, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_backfill"),
        sa.ForeignKeyConstraint(
            ["dag_id"], ["dag.dag_id"], name="fk_backfill_dag_id_dag", ondelete="CASCADE"
        ),
        sqlite_autoincrement=True,
    )
    op.create_index("ix_backfill_dag_id_completed_at", "backfill", ["dag_id", "completed_at"], unique=False)
    op.create_table(
        "backfill_dag_run",
        sa.Column("backfill_id", BIG, nullable=False),
        sa.Column("sort_ordinal", sa.Integer(), nullable=False),
        sa.Column("run_id", ID, nullable=True),
        sa.Column("exception_reason", sa.Text(), nullable=True),
        sa.Column("logical_date", DT, nullable=True),
        sa.PrimaryKeyConstraint("backfill_id", "sort_ordinal", name="pk_backfill_dag_run"),
        sa.ForeignKeyConstraint(
            ["backfill_id"],
            ["backfill.id"],
            name="fk_backfill_dag_run_backfill_id_backfill",
            ondelete="CASCADE",
        ),
    )


def downgrade() -> None:
    op.drop_table("backfill_dag_run")
    op.drop_index("ix_backfill_dag_id_completed_at", table_name="backfill")
    op.drop_table("backfill")

"""Asset aliases and task outlets (Airflow 3's REST API `/api/v2/assets/aliases` and
`/assets/{asset_id}/materialize`): `asset_alias`, one row per alias name a registered DAG (its
schedule or a task's outlets) or an asset event named, with a stable integer id; and
`task_outlet_asset_reference`, which asset each task of a registered DAG produces (goes with its
DAG and with its asset, ON DELETE CASCADE).

Written by hand and frozen, like 0001 to 0003: the column types are spelled out as they are at
this revision, whatever `coltypes` becomes later.

Revision ID: 0004
Revises: 0003
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

# Frozen copies of `coltypes.IdText` / `coltypes.BigId` at this revision.
ID = sa.Text().with_variant(postgresql.TEXT(collation="C"), "postgresql")
BIG = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "asset_alias",
        sa.Column("id", BIG, primary_key=True, autoincrement=True, nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("alias_group", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_asset_alias"),
        sa.UniqueConstraint("name", name="uq_asset_alias_name"),
        sqlite_autoincrement=True,
    )
    op.create_table(
        "task_outlet_asset_reference",
        sa.Column("asset_id", BIG, nullable=False),
        sa.Column("dag_id", ID, nullable=False),
        sa.Column("task_id", ID, nullable=False),
        sa.PrimaryKeyConstraint("asset_id", "dag_id", "task_id", name="pk_task_outlet_asset_reference"),
        sa.ForeignKeyConstraint(
            ["asset_id"], ["asset.id"], name="fk_task_outlet_asset_reference_asset_id_asset", ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["dag_id"], ["dag.dag_id"], name="fk_task_outlet_asset_reference_dag_id_dag", ondelete="CASCADE"
        ),
    )
    op.create_index(
        "ix_task_outlet_asset_reference_dag_id", "task_outlet_asset_reference", ["dag_id"], unique=False
    )


def downgrade() -> None:
    op.drop_index("ix_task_outlet_asset_reference_dag_id", table_name="task_outlet_asset_reference")
    op.drop_table("task_outlet_asset_reference")
    op.drop_table("asset_alias")

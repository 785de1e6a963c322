"""The metastore schema: every table, as one SQLAlchemy Core `MetaData`.

The current shape of the database; the Alembic migrations (`migrations/versions/`) are the
history that produces it, and a test checks that migrating an empty database gives exactly this.
Change it only together with a new migration. Layout, and the why:
- Rows of a DAG run (task instances, try history, XComs, rendered fields, logs, deferrals, held
  pool slots, consumed asset events) hang off `dag_run` with ON DELETE CASCADE: deleting a run,
  or retiring a DAG, removes everything of it in one statement. `dag_run` has no foreign key to `dag`: runs
  may exist without a registered DAG (`dags test` histories, the Store contract).
- Asset events outlive the runs that emitted them (lineage); the aliases an event came through
  are rows of `asset_event_alias`, so "events through alias X" is a plain indexed query on both
  databases (no JSON functions, which differ between them).
- `dag_lease.fencing_token` only grows: a lease row is never deleted while its DAG exists, so a
  token once handed out is never handed out again (see `registry.py`).
- Secrets: `connection.password`/`extra` and `variable.val` hold Fernet tokens when their
  `is_*encrypted` flag is set (`crypto.py`); user passwords and API/app tokens only as hashes.
"""

from __future__ import annotations

import sqlalchemy as sa

from riir_airflow.metastore.coltypes import BigId, IdText, JsonText, UtcDateTime

__all__ = [
    "api_token", "app", "app_command", "app_dag", "asset", "asset_alias", "asset_dag_run_queue",
    "asset_dag_schedule", "asset_event", "asset_event_alias", "audit_log", "backfill", "backfill_dag_run", "connection", "dag",
    "dag_lease", "dag_run", "dag_run_asset_event", "dag_version", "import_error", "metadata", "pool_slot",
    "rendered_fields", "slot_pool", "task_deferral", "task_instance", "task_instance_history", "task_log",
    "task_outlet_asset_reference", "users", "variable", "xcom",
]  # fmt: skip

# Deterministic constraint names, so migrations can refer to them on both databases.
metadata = sa.MetaData(
    naming_convention={
        "ix": "ix_%(table_name)s_%(column_0_N_name)s", "uq": "uq_%(table_name)s_%(column_0_N_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s", "pk": "pk_%(table_name)s",
    }
)  # fmt: skip

_RUN_KEY = ["dag_id", "run_id"]
_TI_KEY = ("dag_id", "run_id", "task_id", "map_index")


def _run_fk() -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(_RUN_KEY, [f"dag_run.{c}" for c in _RUN_KEY], ondelete="CASCADE")


def _ti_key_columns() -> list[sa.Column]:
    ids = [sa.Column(name, IdText, nullable=False) for name in ("dag_id", "run_id", "task_id")]
    return [*ids, sa.Column("map_index", sa.Integer, nullable=False)]


def _ti_state_columns() -> list[sa.Column]:
    """Every TaskInstanceRecord field after the key, shared by the current table and its history."""
    return [
        sa.Column("state", sa.Text, nullable=False), sa.Column("try_number", sa.Integer, nullable=False),
        sa.Column("max_tries", sa.Integer, nullable=False), sa.Column("start_date", UtcDateTime),
        sa.Column("end_date", UtcDateTime), sa.Column("next_attempt_at", UtcDateTime),
        sa.Column("operator", sa.Text, nullable=False), sa.Column("pool", IdText, nullable=False),
        sa.Column("queue", sa.Text, nullable=False),
        sa.Column("priority_weight", sa.Integer, nullable=False),
        sa.Column("hostname", sa.Text, nullable=False), sa.Column("note", sa.Text),
    ]  # fmt: skip


# -- DAGs and their code versions ----------------------------------------------------------
dag = sa.Table(
    "dag",
    metadata,
    sa.Column("dag_id", IdText, primary_key=True),
    sa.Column("is_paused", sa.Boolean, nullable=False),
    sa.Column("is_stale", sa.Boolean, nullable=False),
    sa.Column("fileloc", sa.Text),
    sa.Column("dag_display_name", sa.Text),
    sa.Column("description", sa.Text),
    sa.Column("owners", JsonText, nullable=False),
    sa.Column("tags", JsonText, nullable=False),
    sa.Column("timetable_summary", sa.Text),
    sa.Column("max_active_runs", sa.Integer),
    sa.Column("max_active_tasks", sa.Integer),
    sa.Column("max_consecutive_failed_dag_runs", sa.Integer, nullable=False),
    sa.Column("has_import_errors", sa.Boolean, nullable=False),
    sa.Column("next_dagrun_logical_date", UtcDateTime),
    sa.Column("next_dagrun_data_interval_start", UtcDateTime),
    sa.Column("next_dagrun_data_interval_end", UtcDateTime),
    sa.Column("next_dagrun_run_after", UtcDateTime),
    sa.Column("last_parsed_time", UtcDateTime),
    sa.Column("created_at", UtcDateTime, nullable=False),
    sa.Column("updated_at", UtcDateTime, nullable=False),
)

dag_version = sa.Table(
    "dag_version",
    metadata,
    sa.Column("id", BigId, primary_key=True, autoincrement=True),
    sa.Column("dag_id", IdText, sa.ForeignKey("dag.dag_id", ondelete="CASCADE"), nullable=False),
    sa.Column("version_number", sa.Integer, nullable=False),
    sa.Column("source_hash", sa.Text, nullable=False),
    sa.Column("serialized_dag", JsonText),
    sa.Column("source_code", sa.Text),
    sa.Column("app_id", IdText),
    sa.Column("created_at", UtcDateTime, nullable=False),
    sa.UniqueConstraint("dag_id", "version_number"),
)

# -- backfills (Airflow 3's `backfill` and `backfill_dag_run`; see metastore/backfills.py) ------------
backfill = sa.Table(
    "backfill",
    metadata,
    sa.Column("id", BigId, primary_key=True, autoincrement=True),
    sa.Column("dag_id", IdText, sa.ForeignKey("dag.dag_id", ondelete="CASCADE"), nullable=False),
    sa.Column("from_date", UtcDateTime, nullable=False),
    sa.Column("to_date", UtcDateTime, nullable=False),
    sa.Column("dag_run_conf", JsonText, nullable=False),
    sa.Column("is_paused", sa.Boolean, nullable=False),
    sa.Column("reprocess_behavior", sa.Text, nullable=False),
    sa.Column("max_active_runs", sa.Integer, nullable=False),
    sa.Column("run_backwards", sa.Boolean, nullable=False),
    sa.Column("triggering_user_name", sa.Text),
    sa.Column("created_at", UtcDateTime, nullable=False),
    sa.Column("completed_at", UtcDateTime),
    sa.Column("updated_at", UtcDateTime, nullable=False),
    sa.Index(None, "dag_id", "completed_at"),
    sqlite_autoincrement=True,
)

backfill_dag_run = sa.Table(
    "backfill_dag_run",
    metadata,
    sa.Column(
        "backfill_id", BigId, sa.ForeignKey("backfill.id", ondelete="CASCADE"), primary_key=True, autoincrement=False
    ),
    sa.Column("sort_ordinal", sa.Integer, primary_key=True),  # 1-based position in the backfill
    sa.Column("run_id", IdText),  # None: no run was made for the date (see exception_reason)
    sa.Column("exception_reason", sa.Text),  # "already exists" / "in flight"
    sa.Column("logical_date", UtcDateTime),
)

# -- runs and what belongs to them ---------------------------------------------------------
dag_run = sa.Table(
    "dag_run",
    metadata,
    sa.Column("dag_id", IdText, primary_key=True),
    sa.Column("run_id", IdText, primary_key=True),
    sa.Column("run_type", sa.Text, nullable=False),
    sa.Column("state", sa.Text, nullable=False),
    sa.Column("run_after", UtcDateTime, nullable=False),
    sa.Column("logical_date", UtcDateTime),
    sa.Column("data_interval_start", UtcDateTime),
    sa.Column("data_interval_end", UtcDateTime),
    sa.Column("start_date", UtcDateTime),
    sa.Column("end_date", UtcDateTime),
    sa.Column("conf", JsonText, nullable=False),
    sa.Column("triggered_by", sa.Text),
    sa.Column("note", sa.Text),
    sa.Column("clear_number", sa.Integer, nullable=False),
    sa.Column("dag_version_id", BigId, sa.ForeignKey("dag_version.id", ondelete="SET NULL")),
    sa.UniqueConstraint("dag_id", "logical_date"),
    sa.Index(None, "dag_id", "state"),
    sa.Index(None, "dag_id", "run_after"),
)

task_instance = sa.Table(
    "task_instance",
    metadata,
    *_ti_key_columns(),
    *_ti_state_columns(),
    sa.PrimaryKeyConstraint(*_TI_KEY),
    _run_fk(),
    sa.Index(None, "dag_id", "state"),
)

task_instance_history = sa.Table(
    "task_instance_history",
    metadata,
    *_ti_key_columns(),
    *_ti_state_columns(),
    sa.PrimaryKeyConstraint(*_TI_KEY, "try_number"),
    _run_fk(),
)

xcom = sa.Table(
    "xcom",
    metadata,
    *_ti_key_columns(),
    sa.Column("key", IdText, nullable=False),
    sa.Column("value", sa.Text, nullable=False),  # JSON text from riir_airflow.sdk.serde
    sa.Column("timestamp", UtcDateTime, nullable=False),
    sa.PrimaryKeyConstraint(*_TI_KEY, "key"),
    _run_fk(),
)

rendered_fields = sa.Table(
    "rendered_task_instance_fields",
    metadata,
    *_ti_key_columns(),
    sa.Column("rendered_fields", JsonText, nullable=False),
    sa.PrimaryKeyConstraint(*_TI_KEY),
    _run_fk(),
)

task_log = sa.Table(
    "task_log",
    metadata,
    sa.Column("id", BigId, primary_key=True, autoincrement=True),
    *_ti_key_columns(),
    sa.Column("try_number", sa.Integer, nullable=False),
    sa.Column("text", sa.Text, nullable=False),
    _run_fk(),
    sa.Index(None, *_TI_KEY, "try_number", "id"),
    sqlite_autoincrement=True,
)

# The trigger a deferred task instance waits on (one per task instance, store.DeferralRecord), so
# a restarted DAG app resumes it. Not keyed to task_instance: the app may write it first.
task_deferral = sa.Table(
    "task_deferral",
    metadata,
    *_ti_key_columns(),
    sa.Column("try_number", sa.Integer, nullable=False),
    sa.Column("classpath", sa.Text, nullable=False),
    sa.Column("trigger_kwargs", sa.Text, nullable=False),  # JSON text from riir_airflow.sdk.serde
    sa.Column("method_name", sa.Text, nullable=False),
    sa.Column("kwargs", sa.Text),  # JSON text from riir_airflow.sdk.serde
    sa.Column("timeout_at", UtcDateTime),
    sa.PrimaryKeyConstraint(*_TI_KEY),
    _run_fk(),
)

# -- variables, connections, pools ---------------------------------------------------------
variable = sa.Table(
    "variable",
    metadata,
    sa.Column("key", IdText, primary_key=True),
    sa.Column("val", sa.Text, nullable=False),
    sa.Column("description", sa.Text),
    sa.Column("is_encrypted", sa.Boolean, nullable=False),
)

connection = sa.Table(
    "connection",
    metadata,
    sa.Column("conn_id", IdText, primary_key=True),
    sa.Column("conn_type", sa.Text),
    sa.Column("description", sa.Text),
    sa.Column("host", sa.Text),
    sa.Column("login", sa.Text),
    sa.Column("password", sa.Text),
    sa.Column("schema", sa.Text),
    sa.Column("port", sa.Integer),
    sa.Column("extra", sa.Text),
    sa.Column("is_encrypted", sa.Boolean, nullable=False),
    sa.Column("is_extra_encrypted", sa.Boolean, nullable=False),
)

slot_pool = sa.Table(
    "slot_pool",
    metadata,
    sa.Column("pool", IdText, primary_key=True),
    sa.Column("slots", sa.Integer, nullable=False),  # -1: unlimited
    sa.Column("description", sa.Text),
    sa.Column("include_deferred", sa.Boolean, nullable=False),
)

pool_slot = sa.Table(
    "pool_slot",
    metadata,
    *_ti_key_columns(),
    sa.Column("pool", IdText, sa.ForeignKey("slot_pool.pool", ondelete="CASCADE"), nullable=False),
    sa.Column("slots", sa.Integer, nullable=False),
    sa.Column("acquired_at", UtcDateTime, nullable=False),
    sa.PrimaryKeyConstraint(*_TI_KEY),
    _run_fk(),
    sa.Index(None, "pool"),
)

# -- assets --------------------------------------------------------------------------------
asset = sa.Table(
    "asset",
    metadata,
    sa.Column("id", BigId, primary_key=True, autoincrement=True),
    sa.Column("name", sa.Text, nullable=False),
    sa.Column("uri", sa.Text, nullable=False),
    sa.Column("asset_group", sa.Text, nullable=False),
    sa.Column("extra", JsonText, nullable=False),
    sa.Column("created_at", UtcDateTime, nullable=False),
    sa.UniqueConstraint("name", "uri"),
)

asset_event = sa.Table(
    "asset_event",
    metadata,
    sa.Column("id", BigId, primary_key=True, autoincrement=True),
    sa.Column("asset_id", BigId, sa.ForeignKey("asset.id", ondelete="SET NULL")),
    sa.Column("name", sa.Text, nullable=False),
    sa.Column("uri", sa.Text, nullable=False),
    sa.Column("asset_group", sa.Text, nullable=False),
    sa.Column("extra", JsonText, nullable=False),
    sa.Column("source_dag_id", IdText),
    sa.Column("source_run_id", IdText),
    sa.Column("source_task_id", IdText),
    sa.Column("source_map_index", sa.Integer, nullable=False),
    sa.Column("timestamp", UtcDateTime, nullable=False),
    sa.Index(None, "uri", "id"),
    sa.Index(None, "name", "timestamp"),
    sa.Index(None, "source_dag_id", "source_run_id"),
    sa.Index(None, "timestamp", "id"),
    sqlite_autoincrement=True,
)

asset_event_alias = sa.Table(
    "asset_event_alias",
    metadata,
    sa.Column("event_id", BigId, sa.ForeignKey("asset_event.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("position", sa.Integer, primary_key=True),
    sa.Column("alias_name", sa.Text, nullable=False),
    sa.Index(None, "alias_name", "event_id"),
)

asset_alias = sa.Table(  # every alias a registered DAG or an event named; ids for the REST API
    "asset_alias",
    metadata,
    sa.Column("id", BigId, primary_key=True, autoincrement=True),
    sa.Column("name", sa.Text, nullable=False, unique=True),
    sa.Column("alias_group", sa.Text, nullable=False),
    sqlite_autoincrement=True,
)

task_outlet_asset_reference = sa.Table(  # the assets a registered DAG's tasks produce (outlets)
    "task_outlet_asset_reference",
    metadata,
    sa.Column("asset_id", BigId, sa.ForeignKey("asset.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("dag_id", IdText, sa.ForeignKey("dag.dag_id", ondelete="CASCADE"), primary_key=True),
    sa.Column("task_id", IdText, primary_key=True),
    sa.Index(None, "dag_id"),
)

asset_dag_schedule = sa.Table(
    "asset_dag_schedule",
    metadata,
    sa.Column("dag_id", IdText, primary_key=True),
    sa.Column("condition", sa.Text, nullable=False),  # sdk.assets.condition_to_json
)

asset_dag_run_queue = sa.Table(
    "asset_dag_run_queue",
    metadata,
    sa.Column("dag_id", IdText, primary_key=True),
    sa.Column("asset_key", sa.Text, primary_key=True),  # the uri, or "alias:<name>"
    sa.Column("first_event_id", BigId, nullable=False),
    sa.Column("created_at", UtcDateTime, nullable=False),
)

dag_run_asset_event = sa.Table(
    "dag_run_asset_event",
    metadata,
    sa.Column("dag_id", IdText, primary_key=True),
    sa.Column("run_id", IdText, primary_key=True),
    sa.Column("event_id", BigId, sa.ForeignKey("asset_event.id", ondelete="CASCADE"), primary_key=True),
    _run_fk(),
)

import_error = sa.Table(
    "import_error",
    metadata,
    sa.Column("id", BigId, primary_key=True, autoincrement=True),
    sa.Column("filename", sa.Text, nullable=False, unique=True),
    sa.Column("app_id", IdText),
    sa.Column("stacktrace", sa.Text, nullable=False),
    sa.Column("timestamp", UtcDateTime, nullable=False),
    sa.Index(None, "app_id"),
)

# -- the registry of DAG apps --------------------------------------------------------------
app = sa.Table(
    "app",
    metadata,
    sa.Column("app_id", IdText, primary_key=True),
    sa.Column("state", sa.Text, nullable=False),  # "alive" | "gone"
    sa.Column("hostname", sa.Text, nullable=False),
    sa.Column("pid", sa.Integer),
    sa.Column("code_hash", sa.Text, nullable=False),
    sa.Column("riir_version", sa.Text, nullable=False),
    sa.Column("fileloc", sa.Text, nullable=False),
    sa.Column("registered_at", UtcDateTime, nullable=False),
    sa.Column("last_heartbeat", UtcDateTime, nullable=False),
    sa.Column("gone_at", UtcDateTime),
    sa.Index(None, "state", "last_heartbeat"),
)

app_dag = sa.Table(
    "app_dag",
    metadata,
    sa.Column("app_id", IdText, sa.ForeignKey("app.app_id", ondelete="CASCADE"), primary_key=True),
    sa.Column("dag_id", IdText, primary_key=True),
    sa.Column("position", sa.Integer, nullable=False),  # order the app listed its DAGs in
    sa.Index(None, "dag_id"),
)

dag_lease = sa.Table(
    "dag_lease",
    metadata,
    sa.Column("dag_id", IdText, primary_key=True),
    sa.Column("app_id", IdText, sa.ForeignKey("app.app_id", ondelete="SET NULL")),
    sa.Column("fencing_token", sa.BigInteger, nullable=False),
    sa.Column("acquired_at", UtcDateTime),
    sa.Column("expires_at", UtcDateTime),
)

app_command = sa.Table(
    "app_command",
    metadata,
    sa.Column("id", BigId, primary_key=True, autoincrement=True),
    sa.Column("dag_id", IdText, nullable=False),
    sa.Column("kind", sa.Text, nullable=False),
    sa.Column("payload", JsonText, nullable=False),
    sa.Column("created_at", UtcDateTime, nullable=False),
    sa.Index(None, "dag_id", "id"),
    sqlite_autoincrement=True,
)

# -- users, tokens, audit ------------------------------------------------------------------
users = sa.Table(
    "users",
    metadata,
    sa.Column("id", BigId, primary_key=True, autoincrement=True),
    sa.Column("username", IdText, nullable=False, unique=True),
    sa.Column("password_hash", sa.Text, nullable=False),
    sa.Column("email", sa.Text),
    sa.Column("first_name", sa.Text),
    sa.Column("last_name", sa.Text),
    sa.Column("role", sa.Text, nullable=False),
    sa.Column("active", sa.Boolean, nullable=False),
    sa.Column("created_at", UtcDateTime, nullable=False),
    sa.Column("last_login", UtcDateTime),
)

api_token = sa.Table(
    "api_token",
    metadata,
    sa.Column("id", IdText, primary_key=True),
    sa.Column("kind", sa.Text, nullable=False),  # "api" | "app"
    sa.Column("token_hash", sa.Text, nullable=False, unique=True),
    sa.Column("user_id", BigId, sa.ForeignKey("users.id", ondelete="CASCADE")),
    sa.Column("dag_ids", JsonText, nullable=False),
    sa.Column("description", sa.Text),
    sa.Column("created_at", UtcDateTime, nullable=False),
    sa.Column("expires_at", UtcDateTime),
    sa.Column("revoked_at", UtcDateTime),
)

audit_log = sa.Table(
    "audit_log",
    metadata,
    sa.Column("id", BigId, primary_key=True, autoincrement=True),
    sa.Column("dttm", UtcDateTime, nullable=False),
    sa.Column("event", sa.Text, nullable=False),
    sa.Column("owner", sa.Text),
    sa.Column("dag_id", IdText),
    sa.Column("run_id", IdText),
    sa.Column("task_id", IdText),
    sa.Column("map_index", sa.Integer),
    sa.Column("extra", sa.Text),
    sa.Index(None, "dttm"),
    sa.Index(None, "dag_id", "dttm"),
    sqlite_autoincrement=True,
)

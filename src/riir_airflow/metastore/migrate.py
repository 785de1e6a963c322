"""Creating, checking and resetting the metastore schema: Alembic, driven in code.

Contract (what `riir-airflow db migrate|check|reset` and the broker's start-up rely on):
- `upgrade(engine)` creates the schema on an empty database or brings an older one to the head
  revision, in one transaction (PostgreSQL and SQLite both have transactional DDL, so a failed
  migration leaves the database as it was). On PostgreSQL it holds an advisory lock meanwhile,
  so brokers starting together migrate once, one after the other.
- `check(engine)` never raises for the usual failures: it reports whether the database is
  reachable and at the head revision, and if not, why (`SchemaStatus.reason`).
- `reset(engine)` drops every metastore table (and Alembic's version table) and migrates again.
- No alembic.ini: the configuration is built here (`alembic_config`), with the migrations
  shipped inside the package (`metastore/migrations`).
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory

from riir_airflow.metastore.engine import WRITE, safe_url
from riir_airflow.metastore.tables import metadata

__all__ = [
    "MIGRATIONS_DIR",
    "SchemaStatus",
    "alembic_config",
    "check",
    "current_revision",
    "head_revision",
    "reset",
    "upgrade",
]

MIGRATIONS_DIR = Path(__file__).with_name("migrations")
_VERSION_TABLE = "alembic_version"
_PG_LOCK_KEY = 0x52_49_49_52  # "RIIR": the advisory lock that serializes migrations


@dataclasses.dataclass(frozen=True, slots=True)
class SchemaStatus:
    """What `check()` found: the database's revision against the code's head revision."""

    url: str
    head: str
    current: str | None = None
    reachable: bool = True
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.reachable and self.current == self.head

    @property
    def reason(self) -> str:
        """One line saying what is wrong (or that all is well)."""
        if not self.reachable:
            return f"cannot reach the metastore at {self.url}: {self.error}"
        if self.current is None:
            return f"the metastore at {self.url} has no schema yet: run `riir-airflow db migrate`"
        if self.current != self.head:
            known = self.error or "run `riir-airflow db migrate`"
            return (
                f"the metastore is at revision {self.current}, this riir-airflow needs {self.head}: {known}"
            )
        return f"the metastore at {self.url} is reachable and at revision {self.head}"


def alembic_config(connection: sa.Connection | None = None) -> Config:
    """An Alembic Config for the packaged migrations, running on `connection` if given."""
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    cfg.set_main_option("path_separator", "os")
    if connection is not None:
        cfg.attributes["connection"] = connection
    return cfg


def head_revision() -> str:
    """The newest revision this code ships."""
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert head is not None, "no metastore migrations found"
    return head


def current_revision(conn: sa.Connection) -> str | None:
    """The revision the database is at; None for a database without the schema."""
    return MigrationContext.configure(conn).get_current_revision()


def _lock(conn: sa.Connection) -> None:
    if conn.dialect.name == "postgresql":
        conn.execute(sa.select(sa.func.pg_advisory_xact_lock(_PG_LOCK_KEY)))


def upgrade(engine: sa.Engine, revision: str = "head") -> tuple[str | None, str | None]:
    """Migrate to `revision` (default: head) in one transaction; (revision before, revision after)."""
    with engine.connect() as conn:
        conn = conn.execution_options(**{WRITE: True})
        with conn.begin():
            _lock(conn)
            before = current_revision(conn)
            command.upgrade(alembic_config(conn), revision)
            after = current_revision(conn)
    return before, after


def check(engine: sa.Engine) -> SchemaStatus:
    """Whether the database is reachable and at the head revision (never raises for either)."""
    url, head = safe_url(engine.url), head_revision()
    try:
        with engine.connect() as conn:
            current = current_revision(conn)
    except sa.exc.SQLAlchemyError as exc:
        detail = str(getattr(exc, "orig", None) or exc).strip().splitlines()
        return SchemaStatus(url, head, reachable=False, error=detail[0] if detail else type(exc).__name__)
    error = None
    if current is not None and current != head:
        known = {s.revision for s in ScriptDirectory.from_config(alembic_config()).walk_revisions()}
        if current not in known:
            error = "the database was migrated by a newer riir-airflow; upgrade riir-airflow"
    return SchemaStatus(url, head, current=current, error=error)


def reset(engine: sa.Engine) -> str | None:
    """Drop every metastore table and Alembic's version table, then migrate to head; the new revision."""
    with engine.connect() as conn:
        conn = conn.execution_options(**{WRITE: True})
        with conn.begin():
            _lock(conn)
            metadata.drop_all(conn, checkfirst=True)
            conn.execute(sa.text(f"DROP TABLE IF EXISTS {_VERSION_TABLE}"))
    return upgrade(engine)[1]

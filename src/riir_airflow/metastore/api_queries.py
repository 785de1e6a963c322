"""Read queries of the public REST API (`/api/v2`): filtered, ordered, paginated listings with totals.

Why a module of its own: the Store and the registry answer what the runtime and the apps need
(one run, one task instance); the REST API lists across DAGs and runs with Airflow's filters,
ordering and `total_entries`, which is a different kind of query. Keeping them here leaves the
Store contract alone and puts every such SQL statement in one place.

Contract:
- `ApiQueries(db).page(entity, conditions, order, limit, offset)` -> `(rows, total)`: `rows` are
  the RowMappings of one page, `total` the number of rows matching `conditions` (ignoring
  `limit`/`offset`). Entities: "dag", "dag_run", "task_instance", "ti_history", "xcom",
  "event_log", "import_error", "dag_version", "variable", "connection", "pool", "asset",
  "asset_event", "asset_queue" (asset_dag_run_queue rows joined to their asset by uri and to
  their DAG), "asset_alias"; `ENTITIES[name].fields` are the names conditions
  and ordering may use (anything else -> KeyError, which the API answers with 400).
- A condition is `(field, op, value)`: op is one of `eq`, `ne`, `in`, `not_in`, `gt`, `gte`,
  `lt`, `lte`, `pattern` (Airflow's `*_pattern`: case-insensitive substring with `%`/`_`
  wildcards, `|` separates alternatives, `~` matches everything), `prefix` (case-sensitive,
  literal prefix; `|` separates alternatives), `json_has` (a JSON-list column holds the value)
  `json_has_any` (it holds one of the values) and `contains` (literal substring of the column's text, for `conf_contains`).
- `order` is a list of `(field, descending)`; the entity's key columns always follow as tie
  breakers, so pages never overlap or skip rows.
- Each call is one transaction (joins an enclosing one, see `database.py`). The writes here
  are the deletes the Store has no method for: `delete_xcom` (one key) and
  `delete_queued_events` (rows of the asset-triggered run queue).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa

from riir_airflow.metastore import tables as t
from riir_airflow.metastore.coltypes import to_utc
from riir_airflow.metastore.database import Database

__all__ = ["ENTITIES", "ApiQueries", "Condition", "Entity"]

Condition = tuple[str, str, Any]


@dataclass(frozen=True)
class Entity:
    """A listable thing: its SELECT, the columns its fields name, and its key (tie breakers)."""

    select: Any
    fields: dict[str, Any]
    key: tuple[Any, ...]
    json_fields: frozenset[str] = field(default_factory=frozenset)
    # `total` may be counted on this table alone when no condition names a joined field (the join
    # neither adds nor drops rows: every task instance has its run), which spares PostgreSQL the
    # join over the whole set on each page.
    count_from: sa.Table | None = None
    joined_fields: frozenset[str] = field(default_factory=frozenset)


def _run_join(table: sa.Table) -> Any:
    r = t.dag_run.c
    return sa.and_(r.dag_id == table.c.dag_id, r.run_id == table.c.run_id)


def _ti_entity(table: sa.Table) -> Entity:
    c, r = table.c, t.dag_run.c
    select = sa.select(table, r.logical_date, r.run_after, r.dag_version_id).join(t.dag_run, _run_join(table))
    fields = {name: c[name] for name in (
        "dag_id", "run_id", "task_id", "map_index", "state", "try_number", "start_date", "end_date", "operator",
        "pool", "queue", "priority_weight", "hostname", "max_tries",
    )}  # fmt: skip
    fields.update({"logical_date": r.logical_date, "run_after": r.run_after, "dag_run_id": c.run_id,
                   "id": c.task_id, "operator_name": c.operator})  # fmt: skip
    key = (c.dag_id, c.run_id, c.task_id, c.map_index)
    if "try_number" in table.primary_key.columns:
        key = (*key, c.try_number)
    return Entity(
        select, fields, key, count_from=table, joined_fields=frozenset({"logical_date", "run_after"})
    )


def _entities() -> dict[str, Entity]:
    d, r, x, a, e, v = (t.dag.c, t.dag_run.c, t.xcom.c, t.audit_log.c, t.import_error.c, t.dag_version.c)
    latest = sa.select(sa.func.max(v.version_number)).where(v.dag_id == d.dag_id).scalar_subquery()
    display = sa.func.coalesce(d.dag_display_name, d.dag_id)
    dag = Entity(
        sa.select(t.dag, latest.label("latest_version")),
        {"dag_id": d.dag_id, "dag_display_name": display, "is_paused": d.is_paused, "is_stale": d.is_stale,
         "has_import_errors": d.has_import_errors, "fileloc": d.fileloc, "tags": d.tags, "owners": d.owners,
         "next_dagrun": d.next_dagrun_logical_date, "next_dagrun_run_after": d.next_dagrun_run_after,
         "last_parsed_time": d.last_parsed_time, "timetable_summary": d.timetable_summary},
        (d.dag_id,),
        frozenset({"tags", "owners"}),
    )  # fmt: skip
    dag_run = Entity(
        sa.select(t.dag_run),
        {name: r[name] for name in ("dag_id", "run_id", "state", "run_type", "logical_date", "run_after",
                                    "start_date", "end_date", "conf", "triggered_by", "note", "clear_number",
                                    "data_interval_start", "data_interval_end")}
        | {"id": r.run_after, "dag_run_id": r.run_id, "dag_version": r.dag_version_id},
        (r.dag_id, r.run_id),
    )  # fmt: skip
    xcom = Entity(
        sa.select(t.xcom, r.logical_date, r.run_after).join(t.dag_run, _run_join(t.xcom)),
        {"dag_id": x.dag_id, "run_id": x.run_id, "task_id": x.task_id, "map_index": x.map_index, "key": x.key,
         "timestamp": x.timestamp, "logical_date": r.logical_date, "run_after": r.run_after,
         "dag_run_id": x.run_id},
        (x.dag_id, x.run_id, x.task_id, x.map_index, x.key),
    )  # fmt: skip
    event_log = Entity(
        sa.select(t.audit_log),
        {"id": a.id, "event_log_id": a.id, "dttm": a.dttm, "when": a.dttm, "event": a.event, "owner": a.owner,
         "dag_id": a.dag_id, "run_id": a.run_id, "task_id": a.task_id, "map_index": a.map_index,
         "extra": a.extra},
        (a.id,),
    )  # fmt: skip
    import_error = Entity(
        sa.select(t.import_error),
        {"id": e.id, "import_error_id": e.id, "filename": e.filename, "timestamp": e.timestamp,
         "app_id": e.app_id},
        (e.id,),
    )  # fmt: skip
    dag_version = Entity(
        sa.select(t.dag_version),
        {"id": v.id, "dag_id": v.dag_id, "version_number": v.version_number, "created_at": v.created_at},
        (v.dag_id, v.version_number),
    )
    return {
        "dag": dag, "dag_run": dag_run, "task_instance": _ti_entity(t.task_instance),
        "ti_history": _ti_entity(t.task_instance_history), "xcom": xcom, "event_log": event_log,
        "import_error": import_error, "dag_version": dag_version, **_config_entities(), **_asset_entities(),
    }  # fmt: skip


def _config_entities() -> dict[str, Entity]:
    var, conn, pool = t.variable.c, t.connection.c, t.slot_pool.c
    return {
        "variable": Entity(
            sa.select(t.variable),
            {"key": var.key, "id": var.key, "_val": var.val, "value": var.val, "description": var.description,
             "is_encrypted": var.is_encrypted},
            (var.key,),
        ),
        "connection": Entity(
            sa.select(t.connection),
            {name: conn[name] for name in ("conn_id", "conn_type", "description", "host", "port")}
            | {"connection_id": conn.conn_id, "id": conn.conn_id},
            (conn.conn_id,),
        ),
        "pool": Entity(
            sa.select(t.slot_pool),
            {"pool": pool.pool, "name": pool.pool, "id": pool.pool, "slots": pool.slots},
            (pool.pool,),
        ),
    }  # fmt: skip


def _asset_entities() -> dict[str, Entity]:
    a, e, q, d = t.asset.c, t.asset_event.c, t.asset_dag_run_queue.c, t.dag.c
    last = (
        sa.select(e.asset_id, sa.func.max(e.id).label("last_event_id"))
        .where(e.asset_id.is_not(None))
        .group_by(e.asset_id)
        .subquery()
    )
    last_event = t.asset_event.alias("last_event")
    asset = Entity(
        sa.select(t.asset, last_event.c.id.label("last_event_id"), last_event.c.timestamp.label("last_event_timestamp"))
        .outerjoin(last, last.c.asset_id == a.id)
        .outerjoin(last_event, last_event.c.id == last.c.last_event_id),
        {"id": a.id, "name": a.name, "uri": a.uri, "group": a.asset_group, "created_at": a.created_at,
         "updated_at": a.created_at},
        (a.id,),
    )  # fmt: skip
    asset_event = Entity(
        sa.select(t.asset_event),
        {name: e[name] for name in ("id", "asset_id", "name", "uri", "source_dag_id", "source_task_id",
                                    "source_run_id", "source_map_index", "timestamp")},
        (e.id,),
    )  # fmt: skip
    queue = Entity(
        sa.select(q.dag_id, q.asset_key, q.created_at, a.id.label("asset_id"),
                  sa.func.coalesce(d.dag_display_name, q.dag_id).label("dag_display_name"))
        .join(t.asset, a.uri == q.asset_key)
        .outerjoin(t.dag, d.dag_id == q.dag_id),
        {"dag_id": q.dag_id, "asset_id": a.id, "created_at": q.created_at, "asset_key": q.asset_key},
        (q.dag_id, a.id),
    )  # fmt: skip
    al = t.asset_alias.c
    alias = Entity(sa.select(t.asset_alias), {"id": al.id, "name": al.name, "group": al.alias_group}, (al.id,))
    return {"asset": asset, "asset_event": asset_event, "asset_queue": queue, "asset_alias": alias}


ENTITIES = _entities()


_INT_MIN, _INT_MAX = -(2**63), 2**63 - 1  # what both databases take as a bound parameter


def _clamp(value: Any) -> Any:
    """An int as a bound parameter the database accepts: numbers beyond 64 bits (which no row holds)
    are clamped to the 64-bit range, so they compare as they would and match nothing."""
    if isinstance(value, int) and not isinstance(value, bool):
        return min(max(value, _INT_MIN), _INT_MAX)
    return value


def _alternatives(value: str) -> list[str]:
    return [part for part in str(value).split("|") if part != ""]


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


class ApiQueries:
    """The REST API's listings over the metastore; see the module docstring."""

    def __init__(self, db: Database) -> None:
        self.db = db

    def _contains(self, column: Any, text: str) -> Any:
        """Case-sensitive literal substring test on both dialects (LIKE is case-blind on SQLite)."""
        column = sa.type_coerce(column, sa.Text)
        if self.db.dialect == "postgresql":
            return sa.func.strpos(column, text) > 0
        return sa.func.instr(column, text) > 0

    def condition(self, entity: Entity, cond: Condition) -> Any:
        """The WHERE clause of one condition (KeyError for an unknown field, ValueError for an op)."""
        name, op, value = cond
        column = entity.fields[name]
        if isinstance(value, list | tuple):
            value = [to_utc(v) if hasattr(v, "tzinfo") else _clamp(v) for v in value]
        elif hasattr(value, "tzinfo"):
            value = to_utc(value)
        else:
            value = _clamp(value)
        if op == "eq":
            return column == value
        if op == "ne":
            return column != value
        if op == "in":
            return column.in_(list(value))
        if op == "not_in":
            return column.not_in(list(value))
        if op in ("gt", "gte", "lt", "lte"):
            return {
                "gt": column > value,
                "gte": column >= value,
                "lt": column < value,
                "lte": column <= value,
            }[op]
        if op == "pattern":
            if value == "~":
                return sa.true()
            terms = _alternatives(value)
            return sa.or_(*(sa.type_coerce(column, sa.Text).ilike(f"%{term}%") for term in terms))
        if op == "prefix":
            terms = _alternatives(value)
            return sa.or_(
                *(sa.type_coerce(column, sa.Text).startswith(term, autoescape=True) for term in terms)
            )
        if op == "json_has":
            return self._contains(column, json.dumps(value))
        if op == "json_has_any":
            return sa.or_(*(self._contains(column, json.dumps(v)) for v in value))
        if op == "contains":
            return self._contains(column, str(value))
        raise ValueError(f"unknown condition operator {op!r}")

    def page(
        self,
        entity_name: str,
        conditions: Sequence[Condition] = (),
        order: Sequence[tuple[str, bool]] = (),
        limit: int | None = None,
        offset: int = 0,
        *,
        extra_where: Sequence[Any] = (),
    ) -> tuple[list[sa.RowMapping], int]:
        """One page of the entity's rows matching every condition, and the number matching."""
        entity = ENTITIES[entity_name]
        where = [self.condition(entity, cond) for cond in conditions]
        where.extend(extra_where)
        query = entity.select.where(*where) if where else entity.select
        columns = [(entity.fields[name], desc) for name, desc in order]
        order_by = [col.desc() if desc else col.asc() for col, desc in columns]
        order_by += [col.desc() if columns and columns[0][1] else col.asc() for col in entity.key]
        if (
            entity.count_from is not None
            and not extra_where
            and not {c[0] for c in conditions} & entity.joined_fields
        ):
            counted = sa.select(sa.func.count()).select_from(entity.count_from).where(*where)
        else:
            counted = sa.select(sa.func.count()).select_from(query.order_by(None).subquery())
        paged = query.order_by(*order_by).offset(_clamp(offset))
        if limit is not None:
            paged = paged.limit(limit)
        with self.db.tx() as conn:
            total = int(conn.execute(counted).scalar_one())
            rows = list(conn.execute(paged).mappings()) if limit != 0 else []
        return rows, total

    def dag_tags(self) -> list[tuple[str, str]]:
        """Every (tag, dag_id) pair of the registered DAGs, by tag then dag_id."""
        with self.db.tx() as conn:
            rows = conn.execute(sa.select(t.dag.c.dag_id, t.dag.c.tags))
            pairs = {(str(tag), dag_id) for dag_id, tags in rows for tag in tags or ()}
        return sorted(pairs)

    def dag_run_counts(self, dag_ids: Sequence[str] | None) -> list[tuple[str, str, int]]:
        """(dag_id, state, count) of runs, for `dag_ids` (None: every DAG with a row or a run)."""
        r = t.dag_run.c
        query = sa.select(r.dag_id, r.state, sa.func.count()).group_by(r.dag_id, r.state)
        if dag_ids is not None:
            query = query.where(r.dag_id.in_(list(dag_ids)))
        with self.db.tx() as conn:
            return [(dag_id, state, int(n)) for dag_id, state, n in conn.execute(query)]

    def dag_ids(self) -> list[str]:
        """The ids of every registered DAG, sorted."""
        with self.db.tx() as conn:
            return list(conn.execute(sa.select(t.dag.c.dag_id).order_by(t.dag.c.dag_id)).scalars())

    def one(self, entity_name: str, conditions: Sequence[Condition]) -> sa.RowMapping | None:
        """The first row of the entity matching every condition (by its key), None if none does."""
        rows, _ = self.page(entity_name, conditions, limit=1)
        return rows[0] if rows else None

    def dag_versions_by_id(self, ids: Sequence[int]) -> dict[int, sa.RowMapping]:
        """dag_version rows by id (without the serialized DAG and source)."""
        wanted = sorted({i for i in ids if i is not None})
        if not wanted:
            return {}
        v = t.dag_version.c
        query = sa.select(v.id, v.dag_id, v.version_number, v.created_at).where(v.id.in_(wanted))
        with self.db.tx() as conn:
            return {row["id"]: row for row in conn.execute(query).mappings()}

    def dag_version_source(self, dag_id: str, version_number: int | None) -> sa.RowMapping | None:
        """The version row (newest if `version_number` is None) with `source_code`, or None."""
        v = t.dag_version.c
        query = sa.select(t.dag_version).where(v.dag_id == dag_id)
        if version_number is not None:
            query = query.where(v.version_number == version_number)
        with self.db.tx() as conn:
            return conn.execute(query.order_by(v.version_number.desc()).limit(1)).mappings().first()

    def event_runs(self, event_ids: Sequence[int]) -> dict[int, list[dict[str, Any]]]:
        """Per asset event: the runs that consumed it (dag_run columns plus `triggering`: the event
        is the newest the run consumed), by dag_id and run_id."""
        wanted = sorted(set(event_ids))
        out: dict[int, list[dict[str, Any]]] = {i: [] for i in wanted}
        if not wanted:
            return out
        link, r = t.dag_run_asset_event.c, t.dag_run.c
        newest = (
            sa.select(link.dag_id, link.run_id, sa.func.max(link.event_id).label("newest"))
            .group_by(link.dag_id, link.run_id)
            .subquery()
        )
        query = (
            sa.select(link.event_id, t.dag_run, newest.c.newest)
            .join(t.dag_run, sa.and_(r.dag_id == link.dag_id, r.run_id == link.run_id))
            .join(newest, sa.and_(newest.c.dag_id == link.dag_id, newest.c.run_id == link.run_id))
            .where(link.event_id.in_(wanted))
            .order_by(link.dag_id, link.run_id)
        )
        with self.db.tx() as conn:
            for row in conn.execute(query).mappings():
                out[row["event_id"]].append({**row, "triggering": row["newest"] == row["event_id"]})
        return out

    def asset_schedules(self) -> list[tuple[str, str]]:
        """(dag_id, condition JSON) of every DAG scheduled on assets, by dag_id."""
        s = t.asset_dag_schedule.c
        with self.db.tx() as conn:
            return [(d, c) for d, c in conn.execute(sa.select(s.dag_id, s.condition).order_by(s.dag_id))]

    def producing_dag_ids(self, asset_id: int, limit: int = 2) -> list[str]:
        """Up to `limit` ids (sorted) of the registered DAGs with a task whose outlets name the
        asset (`task_outlet_asset_reference`)."""
        r = t.task_outlet_asset_reference.c
        query = sa.select(r.dag_id).where(r.asset_id == _clamp(asset_id)).distinct().order_by(r.dag_id).limit(limit)
        with self.db.tx() as conn:
            return list(conn.execute(query).scalars())

    def producing_tasks(self, asset_ids: Sequence[int]) -> dict[int, list[tuple[str, str]]]:
        """Per asset id: (dag_id, task_id) of every registered task whose outlets name the asset
        (`task_outlet_asset_reference`), sorted; one query for all of `asset_ids`."""
        out: dict[int, list[tuple[str, str]]] = {asset_id: [] for asset_id in asset_ids}
        if not out:
            return out
        r = t.task_outlet_asset_reference.c
        query = (
            sa.select(r.asset_id, r.dag_id, r.task_id)
            .where(r.asset_id.in_(sorted({_clamp(i) for i in out})))
            .order_by(r.asset_id, r.dag_id, r.task_id)
        )
        with self.db.tx() as conn:
            for asset_id, dag_id, task_id in conn.execute(query):
                out[asset_id].append((dag_id, task_id))
        return out

    def pool_stats(self, pools: Sequence[str]) -> dict[str, dict[str, int]]:
        """Per pool: `granted` (slots held, riir's truth for how full it is) and the number of task
        instances in it per state (`running`, `queued`, `scheduled`, `deferred`)."""
        names = sorted(set(pools))
        stats: dict[str, dict[str, int]] = {name: {"granted": 0} for name in names}
        if not names:
            return stats
        ps, ti = t.pool_slot.c, t.task_instance.c
        states = ("running", "queued", "scheduled", "deferred")
        with self.db.tx() as conn:
            granted = sa.select(ps.pool, sa.func.sum(ps.slots)).where(ps.pool.in_(names)).group_by(ps.pool)
            for pool, n in conn.execute(granted):
                stats[pool]["granted"] = int(n or 0)
            counted = (
                sa.select(ti.pool, ti.state, sa.func.count())
                .where(ti.pool.in_(names), ti.state.in_(states))
                .group_by(ti.pool, ti.state)
            )
            for pool, state, n in conn.execute(counted):
                stats[pool][state] = int(n)
        return stats

    def delete_queued_events(self, conditions: Sequence[Condition]) -> int:
        """Delete the asset-triggered run queue rows matching `conditions` (fields of "asset_queue");
        how many."""
        q = t.asset_dag_run_queue.c
        with self.db.tx(write=True) as conn:
            rows, _ = self.page("asset_queue", conditions)
            deleted = 0
            for row in rows:
                where = sa.and_(q.dag_id == row["dag_id"], q.asset_key == row["asset_key"])
                deleted += conn.execute(t.asset_dag_run_queue.delete().where(where)).rowcount
            return deleted

    def delete_xcom(self, dag_id: str, run_id: str, task_id: str, map_index: int, key: str) -> bool:
        """Delete one XCom key of one task instance; False if there was none."""
        x = t.xcom.c
        where = sa.and_(x.dag_id == dag_id, x.run_id == run_id, x.task_id == task_id, x.map_index == map_index,
                        x.key == key)  # fmt: skip
        with self.db.tx(write=True) as conn:
            return conn.execute(t.xcom.delete().where(where)).rowcount > 0

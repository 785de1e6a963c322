"""The asset half of `MetastoreStore`: events, asset-scheduled DAGs and their run queue.

Triggering works as Airflow's scheduler does (and as `LocalStore` does, so both pass the same
contract): recording an event adds a row (dag_id, asset key) to `asset_dag_run_queue` for every
DAG registered in `asset_dag_schedule` whose condition mentions the event's asset (key: its uri)
or an alias it was emitted through (key: `alias:<name>`); a DAG is triggered when its condition
holds over its queued keys; consuming the queue (what creating an asset-triggered run does)
deletes its rows. A queue row remembers the first event that queued it, so consuming returns
every matching event since then, and may link them to the run as its triggering events.

Each event also makes sure its asset exists in `asset` (name, uri), and so does registering a
DAG's schedule for the assets its condition names (as Airflow's DAG parsing does), so the
broker's asset views list every asset a DAG waits on or that ever had an event; the aliases an event came through are rows of
`asset_event_alias`, kept in emission order. Every alias a schedule, a registered task's outlets
or an event names gets an `asset_alias` row (its id is the REST API's), and registering a DAG
records which asset each of its tasks produces (`sync_task_outlets`, making sure the asset exists).
"""

from __future__ import annotations

import dataclasses
import datetime
import functools
from collections.abc import Iterable, Mapping
from contextlib import AbstractContextManager
from typing import Any

import sqlalchemy as sa

from riir_airflow.metastore import tables as t
from riir_airflow.metastore.codec import event_from_row, event_values
from riir_airflow.metastore.coltypes import insert_ignore, to_utc, upsert, utc_now
from riir_airflow.store.records import AssetEventRecord

__all__ = ["AssetMethods", "ensure_aliases", "ensure_assets", "sync_task_outlets"]


@functools.lru_cache(maxsize=256)
def _condition(text: str) -> tuple[Any, frozenset[str]]:
    """A registered condition JSON as (condition, the queue keys it mentions); cached, pure."""
    from riir_airflow.sdk.assets import condition_from_json, status_key

    try:
        condition = condition_from_json(text)
    except (KeyError, TypeError, AttributeError, ValueError) as exc:
        raise ValueError(f"not an asset condition: {text!r} ({exc})") from None
    keys = {status_key(a) for a in condition.iter_assets()}
    keys |= {status_key(a) for a in condition.iter_asset_aliases()}
    return condition, frozenset(keys)


def ensure_assets(conn: sa.Connection, assets: Iterable[Any], now: datetime.datetime) -> None:
    """Make sure an `asset` row exists for each `sdk.assets.Asset` (by name and uri; an existing
    row is left as it is)."""
    rows = {(a.name, a.uri): {"name": a.name, "uri": a.uri, "asset_group": a.group, "extra": {}, "created_at": now}
            for a in assets}  # fmt: skip
    insert_ignore(conn, t.asset, list(rows.values()), ("name", "uri"))


def ensure_aliases(conn: sa.Connection, aliases: Iterable[tuple[str, str]]) -> None:
    """Make sure an `asset_alias` row exists for each (name, group); an alias keeps the id and
    group of its first row, so its id is stable for the REST API."""
    rows = {name: {"name": name, "alias_group": group} for name, group in aliases}
    insert_ignore(conn, t.asset_alias, list(rows.values()), ("name",))


def sync_task_outlets(conn: sa.Connection, dag_id: str, outlets: Mapping[str, str | None],
                      now: datetime.datetime) -> None:  # fmt: skip
    """Replace the DAG's `task_outlet_asset_reference` rows by `outlets` (task_id -> the task's
    outlets as `condition_to_json` text, None for none), making sure each named asset and alias
    exists; a text that is no condition is skipped (the task produces nothing known)."""
    r = t.task_outlet_asset_reference.c
    conn.execute(t.task_outlet_asset_reference.delete().where(r.dag_id == dag_id))
    produced: dict[str, list[Any]] = {}
    for task_id, text in outlets.items():
        try:
            condition = _condition(text)[0] if text else None
        except ValueError:
            continue
        if condition is not None:
            produced[task_id] = list(condition.iter_assets())
            ensure_aliases(conn, ((a.name, a.group) for a in condition.iter_asset_aliases()))
    ensure_assets(conn, (a for assets in produced.values() for a in assets), now)
    a = t.asset.c
    refs = {
        (task_id, asset.name, asset.uri) for task_id, assets in produced.items() for asset in assets
    }
    rows = [
        {"asset_id": conn.execute(sa.select(a.id).where(a.name == name, a.uri == uri)).scalar_one(),
         "dag_id": dag_id, "task_id": task_id}
        for task_id, name, uri in sorted(refs)
    ]  # fmt: skip
    insert_ignore(conn, t.task_outlet_asset_reference, rows)


def _event_keys(event: AssetEventRecord) -> set[str]:
    """The queue keys news of `event` goes under: its uri and `alias:<name>` per source alias."""
    from riir_airflow.sdk.assets import ALIAS_KEY_PREFIX

    return {event.uri, *(ALIAS_KEY_PREFIX + alias for alias in event.source_aliases or [])}


def _through_alias(alias: str) -> Any:
    """Events emitted through `alias` (a correlated EXISTS on asset_event_alias)."""
    a = t.asset_event_alias.c
    return sa.exists().where(a.event_id == t.asset_event.c.id, a.alias_name == alias)


def _read_events(conn: sa.Connection, query: sa.Select[Any]) -> list[AssetEventRecord]:
    """Run a query of asset_event rows and attach each event's aliases (in emission order)."""
    rows = list(conn.execute(query).mappings())
    aliases: dict[int, list[str]] = {row["id"]: [] for row in rows}
    if aliases:
        a = t.asset_event_alias.c
        found = conn.execute(
            sa.select(a.event_id, a.alias_name)
            .where(a.event_id.in_(list(aliases)))
            .order_by(a.event_id, a.position)
        )
        for event_id, name in found:
            aliases[event_id].append(name)
    return [event_from_row(row, aliases[row["id"]]) for row in rows]


class AssetMethods:
    """Store methods for assets; mixed into `MetastoreStore`, which provides `_tx`."""

    def _tx(self, write: bool = False) -> AbstractContextManager[sa.Connection]:  # pragma: no cover
        raise NotImplementedError

    def _require_run(self, conn: sa.Connection, dag_id: str, run_id: str) -> None:  # pragma: no cover
        raise NotImplementedError

    @staticmethod
    def _asset_id(conn: sa.Connection, event: AssetEventRecord, now: datetime.datetime) -> int:
        a = t.asset.c
        insert_ignore(
            conn,
            t.asset,
            {
                "name": event.name,
                "uri": event.uri,
                "asset_group": event.group,
                "extra": {},
                "created_at": now,
            },
            ("name", "uri"),
        )
        return conn.execute(sa.select(a.id).where(a.name == event.name, a.uri == event.uri)).scalar_one()

    def record_asset_event(self, event: AssetEventRecord) -> AssetEventRecord:
        """Insert the event (timestamp defaults to now), queue it for the registered DAGs that
        wait on it, and return it as stored (with its id)."""
        if event.timestamp is None:
            event = dataclasses.replace(event, timestamp=utc_now())
        values = event_values(event)  # validates before any SQL runs
        aliases = list(event.source_aliases or [])
        keys = _event_keys(event)
        with self._tx(write=True) as conn:
            asset_id = self._asset_id(conn, event, values["timestamp"])
            result = conn.execute(t.asset_event.insert().values(**values, asset_id=asset_id))
            event_id = result.inserted_primary_key[0]
            if aliases:
                ensure_aliases(conn, ((name, "asset") for name in aliases))
                conn.execute(
                    t.asset_event_alias.insert(),
                    [{"event_id": event_id, "position": i, "alias_name": n} for i, n in enumerate(aliases)],
                )
            queued = [
                {
                    "dag_id": dag_id,
                    "asset_key": key,
                    "first_event_id": event_id,
                    "created_at": values["timestamp"],
                }
                for dag_id, condition in conn.execute(sa.select(t.asset_dag_schedule))
                for key in sorted(keys & _condition(condition)[1])
            ]
            insert_ignore(conn, t.asset_dag_run_queue, queued, ("dag_id", "asset_key"))
            (stored,) = _read_events(conn, sa.select(t.asset_event).where(t.asset_event.c.id == event_id))
        return stored

    def get_asset_events(
        self,
        *,
        name: str | None = None,
        uri: str | None = None,
        source_dag_id: str | None = None,
        source_run_id: str | None = None,
        source_alias: str | None = None,
        after: datetime.datetime | None = None,
        before: datetime.datetime | None = None,
        limit: int | None = None,
        descending: bool = False,
    ) -> list[AssetEventRecord]:
        """Events matching every given filter, ordered by (timestamp, id) (reversed if
        descending), then cut to `limit`; `after`/`before` are exclusive timestamp bounds."""
        if limit is not None and limit < 0:
            raise ValueError(f"limit must be >= 0, not {limit}")
        e = t.asset_event.c
        query = sa.select(t.asset_event)
        for column, value in (
            (e.name, name),
            (e.uri, uri),
            (e.source_dag_id, source_dag_id),
            (e.source_run_id, source_run_id),
        ):
            if value is not None:
                query = query.where(column == value)
        if source_alias is not None:
            query = query.where(_through_alias(source_alias))
        if after is not None:
            query = query.where(e.timestamp > to_utc(after))
        if before is not None:
            query = query.where(e.timestamp < to_utc(before))
        order = [e.timestamp, e.id]
        query = query.order_by(*(col.desc() for col in order) if descending else order)
        if limit is not None:
            query = query.limit(limit)
        with self._tx() as conn:
            return _read_events(conn, query)

    def register_dag_schedule(self, dag_id: str, condition_json: str | None) -> None:
        """Replace the DAG's registered condition (None: forget it and its queue); queued keys
        the new condition does not mention are dropped. ValueError if the text is no condition."""
        keys = None if condition_json is None else _condition(condition_json)[1]
        q = t.asset_dag_run_queue.c
        with self._tx(write=True) as conn:
            if keys is None:
                conn.execute(t.asset_dag_schedule.delete().where(t.asset_dag_schedule.c.dag_id == dag_id))
                conn.execute(t.asset_dag_run_queue.delete().where(q.dag_id == dag_id))
                return
            upsert(conn, t.asset_dag_schedule, {"dag_id": dag_id, "condition": condition_json}, ("dag_id",))
            condition = _condition(condition_json)[0]  # type: ignore[arg-type]
            ensure_assets(conn, condition.iter_assets(), utc_now())
            ensure_aliases(conn, ((alias.name, alias.group) for alias in condition.iter_asset_aliases()))
            conn.execute(
                t.asset_dag_run_queue.delete().where(q.dag_id == dag_id, q.asset_key.not_in(sorted(keys)))
            )

    def get_dag_schedule(self, dag_id: str) -> str | None:
        s = t.asset_dag_schedule.c
        with self._tx() as conn:
            return conn.execute(sa.select(s.condition).where(s.dag_id == dag_id)).scalar_one_or_none()

    def dags_triggered_by(self, event: AssetEventRecord | None = None) -> list[str]:
        """Sorted ids of registered DAGs whose condition holds over their queued keys; with
        `event`, only those whose condition mentions the event's uri or aliases."""
        s, q = t.asset_dag_schedule.c, t.asset_dag_run_queue.c
        with self._tx() as conn:
            schedules = list(conn.execute(sa.select(s.dag_id, s.condition).order_by(s.dag_id)))
            queued: dict[str, set[str]] = {}
            for dag_id, key in conn.execute(sa.select(q.dag_id, q.asset_key)):
                queued.setdefault(dag_id, set()).add(key)
        wanted = None if event is None else _event_keys(event)
        triggered: list[str] = []
        for dag_id, text in schedules:
            condition, keys = _condition(text)
            if wanted is not None and not wanted & keys:
                continue
            statuses = dict.fromkeys(queued.get(dag_id, ()), True)
            if statuses and condition.evaluate(statuses):
                triggered.append(dag_id)
        return triggered

    def consume_asset_dag_run_queue(
        self, dag_id: str, *, run_id: str | None = None
    ) -> list[AssetEventRecord]:
        """Delete the DAG's queue rows and return the events since each row was queued (for an
        asset key: events of that uri; for an alias key: events through that alias), ordered by
        (timestamp, id); with `run_id` they are linked to that run (KeyError if it is missing)."""
        from riir_airflow.sdk.assets import ALIAS_KEY_PREFIX

        q, e = t.asset_dag_run_queue.c, t.asset_event.c
        with self._tx(write=True) as conn:
            if run_id is not None:
                self._require_run(conn, dag_id, run_id)
            matches = []
            for key, first in conn.execute(
                sa.select(q.asset_key, q.first_event_id).where(q.dag_id == dag_id)
            ):
                if key.startswith(ALIAS_KEY_PREFIX):
                    matches.append(sa.and_(_through_alias(key[len(ALIAS_KEY_PREFIX) :]), e.id >= first))
                else:
                    matches.append(sa.and_(e.uri == key, e.id >= first))
            if not matches:
                return []
            events = _read_events(
                conn, sa.select(t.asset_event).where(sa.or_(*matches)).order_by(e.timestamp, e.id)
            )
            conn.execute(t.asset_dag_run_queue.delete().where(q.dag_id == dag_id))
            if run_id is not None:
                links = [{"dag_id": dag_id, "run_id": run_id, "event_id": ev.id} for ev in events]
                insert_ignore(conn, t.dag_run_asset_event, links)
        return events

    def get_dag_run_asset_events(self, dag_id: str, run_id: str) -> list[AssetEventRecord]:
        """The events a run consumed (its triggering asset events), ordered by (timestamp, id)."""
        link, e = t.dag_run_asset_event.c, t.asset_event.c
        query = (
            sa.select(t.asset_event)
            .join(t.dag_run_asset_event, link.event_id == e.id)
            .where(link.dag_id == dag_id, link.run_id == run_id)
            .order_by(e.timestamp, e.id)
        )
        with self._tx() as conn:
            return _read_events(conn, query)

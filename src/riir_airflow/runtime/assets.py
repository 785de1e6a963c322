"""Assets at run time: the context accessors, emitting outlet events, and asset-triggered runs.

- Context keys (`asset_context`): `outlet_events` (`outlet_events[asset].extra` is a dict the
  task fills during execute; `outlet_events[alias].add(Asset(...), extra=...)` emits through an
  alias), `inlet_events` (`inlet_events[asset]`: that asset's events from the store, newest
  last; also by alias, by uri/name string, or by position in `inlets`), and
  `triggering_asset_events` (the events an asset-triggered run consumed, by asset and by alias;
  empty for other runs) with its 2.x form `triggering_dataset_events` (a dict by uri).
- `emit_outlet_events`: what a successful try records: one event per Asset in the task's
  `outlets` (extra from `outlet_events[asset].extra`), and the events added through each
  AssetAlias outlet (the same asset and extra added through several aliases is one event that
  names all of them).
- `register_asset_schedule`: tell the store a DAG's asset condition (or that it has none), so
  `dags_triggered_by` can answer.
- `create_asset_triggered_runs`: what a scheduler does with the store's queue: one queued
  `asset_triggered` run (no logical date) per DAG whose condition holds, consuming its queue.
- `asset_report`: the `asset_events` / `triggered_dag_ids` keys of the `dags test` report.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from riir_airflow.sdk.assets import Asset, AssetAlias, condition_to_json
from riir_airflow.sdk.serde import to_plain_json
from riir_airflow.store.records import AssetEventRecord

if TYPE_CHECKING:
    from riir_airflow.runtime.clock import Clock
    from riir_airflow.sdk.baseoperator import BaseOperator
    from riir_airflow.sdk.dag import DAG
    from riir_airflow.store.protocol import Store
    from riir_airflow.store.records import DagRunRecord, TaskInstanceRecord

__all__ = [
    "AssetEvent",
    "InletEventsAccessors",
    "OutletEventAccessor",
    "OutletEventAccessors",
    "TriggeringAssetEvents",
    "asset_context",
    "asset_report",
    "condition_to_json_or_none",
    "create_asset_triggered_runs",
    "emit_outlet_events",
    "outlets_to_json_or_none",
    "register_asset_schedule",
]

log = logging.getLogger("riir_airflow.task")


class AssetEvent:
    """One asset event as a task sees it (in `inlet_events` and `triggering_asset_events`)."""

    def __init__(self, record: AssetEventRecord) -> None:
        self.id = record.id
        self.asset = Asset(name=record.name, uri=record.uri, group=record.group)
        self.extra: dict[str, Any] = record.extra
        self.source_dag_id = record.source_dag_id
        self.source_run_id = record.source_run_id
        self.source_task_id = record.source_task_id
        self.source_map_index = record.source_map_index
        self.source_aliases = [AssetAlias(name) for name in record.source_aliases]
        self.timestamp = record.timestamp

    @property
    def dataset(self) -> Asset:  # 2.x name
        return self.asset

    @property
    def uri(self) -> str:
        return self.asset.uri

    def __repr__(self) -> str:
        return (
            f"AssetEvent(asset={self.asset!r}, extra={self.extra!r}, source_dag_id={self.source_dag_id!r}, "
            f"source_task_id={self.source_task_id!r}, timestamp={self.timestamp})"
        )


def _resolve_key(key: Any, known: Iterable[Any]) -> Asset | AssetAlias:
    """An accessor key as an Asset or AssetAlias: objects as given, a string as the known
    asset or alias with that uri or name (else an Asset of that uri)."""
    if isinstance(key, Asset | AssetAlias):
        return key
    if isinstance(key, str):
        for obj in known:
            if isinstance(obj, Asset) and key in (obj.uri, obj.name):
                return obj
        for obj in known:
            if isinstance(obj, AssetAlias) and key == obj.name:
                return obj
        return Asset(uri=key)
    raise TypeError(f"Key should be an asset, an asset alias or a string, not {type(key).__name__}")


class OutletEventAccessor:
    """`outlet_events[key]`: the event extra of an outlet asset, or the events of an alias."""

    def __init__(self, key: Asset | AssetAlias) -> None:
        self.key = key
        self.extra: dict[str, Any] = {}
        self.asset_alias_events: list[tuple[Asset, dict[str, Any]]] = []

    def add(self, asset: Asset, extra: dict[str, Any] | None = None) -> None:
        """Through an alias: emit an event of `asset` with `extra` when the task succeeds.
        On a plain asset's accessor this does nothing, as in Airflow."""
        if not isinstance(self.key, AssetAlias):
            return
        if not isinstance(asset, Asset):
            raise TypeError(f"add() takes an Asset, not {type(asset).__name__}")
        self.asset_alias_events.append((asset, dict(extra or {})))

    def __repr__(self) -> str:
        return f"OutletEventAccessor(key={self.key!r}, extra={self.extra!r})"


class OutletEventAccessors(Mapping[Any, OutletEventAccessor]):
    """`outlet_events`: one accessor per asset or alias, made on first access."""

    def __init__(self, outlets: Sequence[Any] = ()) -> None:
        self._outlets = list(outlets)
        self._dict: dict[Asset | AssetAlias, OutletEventAccessor] = {}

    def __getitem__(self, key: Any) -> OutletEventAccessor:
        resolved = _resolve_key(key, self._outlets)
        if resolved not in self._dict:
            self._dict[resolved] = OutletEventAccessor(resolved)
        return self._dict[resolved]

    def get_accessor(self, key: Asset | AssetAlias) -> OutletEventAccessor | None:
        """The accessor of `key` if the task used it, without creating one."""
        return self._dict.get(key)

    def __iter__(self) -> Iterator[Asset | AssetAlias]:
        return iter(self._dict)

    def __len__(self) -> int:
        return len(self._dict)


class InletEventsAccessors(Mapping[Any, list[AssetEvent]]):
    """`inlet_events`: the stored events of an asset (or emitted through an alias), oldest first.

    Any asset may be asked for, not only the task's `inlets` (Airflow raises KeyError for
    others); an int indexes `inlets`. Each access reads the store afresh.
    """

    def __init__(self, inlets: Sequence[Any], store: Store) -> None:
        self._inlets = [i for i in inlets if isinstance(i, Asset | AssetAlias)]
        self._store = store

    def __getitem__(self, key: Any) -> list[AssetEvent]:
        if isinstance(key, int) and not isinstance(key, bool):
            key = self._inlets[key]
        resolved = _resolve_key(key, self._inlets)
        if isinstance(resolved, AssetAlias):
            records = self._store.get_asset_events(source_alias=resolved.name)
        else:
            records = self._store.get_asset_events(uri=resolved.uri)
        return [AssetEvent(record) for record in records]

    def __iter__(self) -> Iterator[Asset | AssetAlias]:
        return iter(self._inlets)

    def __len__(self) -> int:
        return len(self._inlets)


class TriggeringAssetEvents(Mapping[Any, list[AssetEvent]]):
    """`triggering_asset_events`: the events that triggered this run, by asset and by alias."""

    def __init__(self, events: Iterable[AssetEvent]) -> None:
        self._events: dict[Asset | AssetAlias, list[AssetEvent]] = {}
        for event in events:
            self._events.setdefault(event.asset, []).append(event)
            for alias in event.source_aliases:
                self._events.setdefault(alias, []).append(event)

    def __getitem__(self, key: Any) -> list[AssetEvent]:
        return self._events[_resolve_key(key, self._events)]

    def __iter__(self) -> Iterator[Asset | AssetAlias]:
        return iter(self._events)

    def __len__(self) -> int:
        return len(self._events)

    def __repr__(self) -> str:
        return f"TriggeringAssetEvents({self._events!r})"


def asset_context(task: BaseOperator, run: DagRunRecord, store: Store) -> dict[str, Any]:
    """The asset keys of a task's context. Only an asset-triggered run has triggering events:
    the store is asked for them only then (one round trip less for every other try)."""
    triggering = (
        [AssetEvent(r) for r in store.get_dag_run_asset_events(run.dag_id, run.run_id)]
        if run.run_type == "asset_triggered"
        else []
    )
    by_uri: dict[str, list[AssetEvent]] = {}
    for event in triggering:
        by_uri.setdefault(event.asset.uri, []).append(event)
    return {
        "outlet_events": OutletEventAccessors(task.outlets),
        "inlet_events": InletEventsAccessors(task.inlets, store),
        "triggering_asset_events": TriggeringAssetEvents(triggering),
        "triggering_dataset_events": by_uri,
    }


def _outlet_event_records(
    task: BaseOperator, record: TaskInstanceRecord, outlet_events: Any
) -> list[AssetEventRecord]:
    source = {
        "source_dag_id": record.dag_id,
        "source_run_id": record.run_id,
        "source_task_id": record.task_id,
        "source_map_index": record.map_index,
    }
    accessors = outlet_events if isinstance(outlet_events, OutletEventAccessors) else OutletEventAccessors()
    events: list[AssetEventRecord] = []
    seen: set[Asset] = set()
    through_aliases: dict[tuple[Asset, str], tuple[dict[str, Any], list[str]]] = {}
    for outlet in task.outlets:
        if isinstance(outlet, Asset) and outlet not in seen:
            seen.add(outlet)
            accessor = accessors.get_accessor(outlet)
            extra = to_plain_json(accessor.extra) if accessor is not None else {}
            events.append(
                AssetEventRecord(name=outlet.name, uri=outlet.uri, group=outlet.group, extra=extra, **source)
            )
        elif isinstance(outlet, AssetAlias):
            accessor = accessors.get_accessor(outlet)
            for asset, extra in accessor.asset_alias_events if accessor is not None else []:
                plain = to_plain_json(extra)
                key = (asset, _extra_key(plain))
                aliases = through_aliases.setdefault(key, (plain, []))[1]
                if outlet.name not in aliases:
                    aliases.append(outlet.name)
    for (asset, _), (extra, aliases) in through_aliases.items():
        events.append(
            AssetEventRecord(
                name=asset.name,
                uri=asset.uri,
                group=asset.group,
                extra=extra,
                source_aliases=aliases,
                **source,
            )
        )
    return events


def _extra_key(extra: dict[str, Any]) -> str:
    """A hashable form of an event extra (to merge identical alias events)."""
    return json.dumps(extra, sort_keys=True)


def emit_outlet_events(
    store: Store, task: BaseOperator, record: TaskInstanceRecord, context: Mapping[str, Any], clock: Clock
) -> list[AssetEventRecord]:
    """Record the asset events of a successful try (see the module docstring); returns them."""
    now = clock.now()
    stored = []
    for event in _outlet_event_records(task, record, context.get("outlet_events")):
        event.timestamp = now
        stored.append(store.record_asset_event(event))
        log.info(
            "Asset event: %s%s",
            event.uri,
            f" via {', '.join(event.source_aliases)}" if event.source_aliases else "",
        )
    return stored


def condition_to_json_or_none(dag: DAG) -> str | None:
    """The DAG's asset condition as stored (`condition_to_json`), None when it has none or
    one riir-airflow cannot store (logged)."""
    condition = getattr(dag.timetable, "asset_condition", None)
    if condition is None:
        return None
    try:
        return condition_to_json(condition)
    except (TypeError, AttributeError):
        log.warning(
            "DAG %s: schedule %r is not an asset condition riir-airflow can store", dag.dag_id, condition
        )
        return None


def outlets_to_json_or_none(task: BaseOperator) -> str | None:
    """The task's Asset and AssetAlias outlets as one stored condition (`condition_to_json` of
    their list, read back as an `AssetAll`), None when it has none; other outlets are left out."""
    outlets = [o for o in getattr(task, "outlets", None) or () if isinstance(o, (Asset, AssetAlias))]
    return condition_to_json(outlets) if outlets else None


def register_asset_schedule(store: Store, dag: DAG) -> None:
    """Record the DAG's asset condition in the store's registry (forget it when it has none)."""
    store.register_dag_schedule(dag.dag_id, condition_to_json_or_none(dag))


def create_asset_triggered_runs(store: Store, dags: Iterable[DAG], clock: Clock) -> list[DagRunRecord]:
    """For each of `dags` whose asset condition holds over its queue: create a queued
    `asset_triggered` run without a logical date, and consume the queue into it (the run's
    `triggering_asset_events`). Returns the runs created."""
    from riir_airflow.sdk.run_type import DagRunType, generate_run_id
    from riir_airflow.sdk.state import DagRunState
    from riir_airflow.store.records import DagRunRecord

    ready = set(store.dags_triggered_by())
    created = []
    for dag in dags:
        if dag.dag_id not in ready:
            continue
        now = clock.now()
        run = store.create_dag_run(
            DagRunRecord(
                dag_id=dag.dag_id,
                run_id=generate_run_id(run_type=DagRunType.ASSET_TRIGGERED, logical_date=None, run_after=now),
                run_type=DagRunType.ASSET_TRIGGERED.value,
                state=DagRunState.QUEUED,
                run_after=now,
                triggered_by="asset",
            )
        )
        store.consume_asset_dag_run_queue(dag.dag_id, run_id=run.run_id)
        created.append(run)
    return created


def asset_report(store: Store, run: DagRunRecord) -> dict[str, Any]:
    """`asset_events` (what the run's tasks emitted, in order) and `triggered_dag_ids` (the
    registered DAGs those events trigger) for the `dags test` report."""
    events = store.get_asset_events(source_dag_id=run.dag_id, source_run_id=run.run_id)
    triggered: set[str] = set()
    for event in events:
        triggered.update(store.dags_triggered_by(event))
    return {
        "asset_events": [
            {"uri": e.uri, "name": e.name, "extra": e.extra, "source_task_id": e.source_task_id}
            for e in events
        ],
        "triggered_dag_ids": sorted(triggered),
    }

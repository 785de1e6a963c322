"""Assets (Airflow 3) and Datasets (their Airflow 2.x name): what tasks produce and DAGs wait for.

Authoring surface:

- ``Asset(name=None, uri=None, *, group="asset", extra=None, watchers=None)``: one of ``name`` /
  ``uri`` is required and each defaults to the other. ``Dataset(uri, extra=None)`` (2.x) is an
  Asset whose name is its uri. Two assets are equal when their ``(name, uri)`` are; ``extra``,
  ``group`` and ``watchers`` do not take part.
- ``AssetAlias(name, group="asset")``: a name under which a task emits events for assets it
  decides on at run time (``outlet_events[alias].add(Asset(...))``).
- Conditions: ``AssetAll(*conditions)`` / ``AssetAny(*conditions)``, also built with ``a & b``
  and ``a | b`` (``(a | b) | c`` extends the left ``AssetAny`` to three members, as Airflow
  does; ``a | (b | c)`` stays nested). A list of assets as a schedule means ``AssetAll``.
- ``condition.evaluate(statuses)``: pure; ``statuses`` maps keys to "has a new event". An asset
  is up when its uri or its name (or the Asset object itself) maps to True; an alias is up when
  ``status_key(alias)`` (``"alias:<name>"``) or the AssetAlias object does.
- ``condition_to_json`` / ``condition_from_json``: the JSON form of a condition (what the store
  keeps for asset-scheduled DAGs); ``as_condition(schedule)``: a ``schedule=`` value (asset, list
  of assets, condition) as one condition.

URI normalisation (kept simple; Airflow 3 has per-scheme rules on top of this): a uri containing
``://`` is split and rebuilt with its scheme lower-cased, any ``user:password@`` dropped, the
``#fragment`` dropped, query parameters sorted, and a trailing ``/`` removed from a path longer
than ``/`` (an empty path becomes ``/``). Anything else (a plain name, a file path) is kept as
given. The ``airflow`` scheme is reserved. A name defaults to the uri *as given*, the uri to the
name, normalised.

Importing this module does no I/O.
"""

from __future__ import annotations

import json
from collections.abc import Collection, Iterator
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

__all__ = [
    "Asset",
    "AssetAlias",
    "AssetAll",
    "AssetAny",
    "BaseAsset",
    "Dataset",
    "DatasetAlias",
    "DatasetAll",
    "DatasetAny",
    "as_condition",
    "condition_from_json",
    "condition_to_json",
    "normalize_uri",
    "status_key",
]

_MAX_LEN = 1500
_RESERVED_SCHEMES = frozenset({"airflow"})
ALIAS_KEY_PREFIX = "alias:"


def _check_name(value: object, what: str) -> str:
    if not isinstance(value, str):
        raise TypeError(f"{what} must be a string, not {type(value).__name__}")
    if not value:
        raise ValueError(f"{what} cannot be empty")
    if value.isspace():
        raise ValueError(f"{what} cannot be just whitespace")
    if len(value) > _MAX_LEN:
        raise ValueError(f"{what} cannot exceed {_MAX_LEN} characters")
    return value


def normalize_uri(uri: str) -> str:
    """The normalised form of an asset uri (rules in the module docstring)."""
    if "://" not in uri:
        return uri
    parts = urlsplit(uri)
    scheme = parts.scheme.lower()
    if scheme in _RESERVED_SCHEMES:
        raise ValueError(f"Asset scheme {scheme!r} is reserved")
    netloc = parts.netloc.rpartition("@")[2]
    path = parts.path
    if len(path) > 1 and path.endswith("/"):
        path = path.rstrip("/") or "/"
    if not path:
        path = "/"
    query = urlencode(sorted(parse_qsl(parts.query, keep_blank_values=True)))
    return urlunsplit((scheme, netloc, path, query, ""))


def _json_dict(extra: Any, what: str) -> dict[str, Any]:
    if extra is None:
        return {}
    if not isinstance(extra, dict):
        raise TypeError(f"{what} must be a dict, not {type(extra).__name__}")
    try:
        json.dumps(extra)
    except (TypeError, ValueError) as exc:
        raise TypeError(f"{what} must be JSON-serializable: {exc}") from None
    return dict(extra)


class BaseAsset:
    """Anything that can be a schedule condition: an asset, an alias, or a boolean of them."""

    _is_asset_schedule = True  # the marker timetable_from_schedule looks for

    def __or__(self, other: object) -> AssetAny:
        if not getattr(other, "_is_asset_schedule", False) or not isinstance(other, BaseAsset):
            return NotImplemented
        return AssetAny(self, other)

    def __and__(self, other: object) -> AssetAll:
        if not getattr(other, "_is_asset_schedule", False) or not isinstance(other, BaseAsset):
            return NotImplemented
        return AssetAll(self, other)

    def evaluate(self, statuses: dict[Any, bool]) -> bool:
        """Whether the condition holds when the keys of ``statuses`` mapping to True are up."""
        raise NotImplementedError

    def iter_assets(self) -> Iterator[Asset]:
        """The assets the condition mentions, depth first, each once."""
        return iter(())

    def iter_asset_aliases(self) -> Iterator[AssetAlias]:
        """The aliases the condition mentions, depth first, each once."""
        return iter(())

    def as_dict(self) -> dict[str, Any]:
        """The JSON-compatible form (see :func:`condition_to_json`)."""
        raise NotImplementedError


class Asset(BaseAsset):
    """A piece of data a task produces (``outlets``) and DAGs can be scheduled on."""

    def __init__(
        self,
        name: str | None = None,
        uri: str | None = None,
        *,
        group: str = "asset",
        extra: dict[str, Any] | None = None,
        watchers: list[Any] | None = None,
    ) -> None:
        if name is None and uri is None:
            raise TypeError(f"{type(self).__name__}() requires either 'name' or 'uri'")
        if name is None:
            name = uri
        if uri is None:
            uri = name
        self.name: str = _check_name(name, "Asset name")
        self.uri: str = normalize_uri(_check_name(uri, "Asset uri"))
        if not isinstance(group, str):
            raise TypeError(f"Asset group must be a string, not {type(group).__name__}")
        self.group: str = group
        self.extra: dict[str, Any] = _json_dict(extra, "Asset extra")
        self.watchers: list[Any] = list(watchers or [])

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Asset):
            return NotImplemented
        return (self.name, self.uri) == (other.name, other.uri)

    def __hash__(self) -> int:
        return hash((self.name, self.uri))

    def __repr__(self) -> str:
        return f"{type(self).__name__}(name={self.name!r}, uri={self.uri!r}, group={self.group!r}, extra={self.extra!r})"

    def evaluate(self, statuses: dict[Any, bool]) -> bool:
        return bool(statuses.get(self.uri) or statuses.get(self.name) or statuses.get(self))

    def iter_assets(self) -> Iterator[Asset]:
        yield self

    def as_dict(self) -> dict[str, Any]:
        return {"asset": {"name": self.name, "uri": self.uri, "group": self.group}}


class Dataset(Asset):
    """Airflow 2.x's name for an asset: identified by its uri (the name is the uri)."""

    def __init__(self, uri: str, extra: dict[str, Any] | None = None, **kwargs: Any) -> None:
        kwargs.pop("name", None)
        super().__init__(name=uri, uri=uri, extra=extra, **kwargs)

    def __repr__(self) -> str:
        return f"Dataset(uri={self.uri!r}, extra={self.extra!r})"


class AssetAlias(BaseAsset):
    """A name under which a task emits events for assets chosen at run time."""

    def __init__(self, name: str, group: str = "asset") -> None:
        self.name: str = _check_name(name, "AssetAlias name")
        self.group: str = group

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, AssetAlias):
            return NotImplemented
        return self.name == other.name

    def __hash__(self) -> int:
        return hash(("asset-alias", self.name))

    def __repr__(self) -> str:
        return f"AssetAlias(name={self.name!r}, group={self.group!r})"

    def evaluate(self, statuses: dict[Any, bool]) -> bool:
        return bool(statuses.get(status_key(self)) or statuses.get(self))

    def iter_asset_aliases(self) -> Iterator[AssetAlias]:
        yield self

    def as_dict(self) -> dict[str, Any]:
        return {"alias": {"name": self.name, "group": self.group}}


class _AssetBooleanCondition(BaseAsset):
    _word = ""

    def __init__(self, *objects: Any) -> None:
        for obj in objects:
            if not getattr(obj, "_is_asset_schedule", False):
                raise TypeError("expect asset expressions in condition")
        self.objects: tuple[Any, ...] = objects

    def __eq__(self, other: object) -> bool:
        if type(other) is not type(self):
            return NotImplemented
        assert isinstance(other, _AssetBooleanCondition)
        return self.objects == other.objects

    def __hash__(self) -> int:
        return hash((type(self).__name__, self.objects))

    def __repr__(self) -> str:
        return f"{type(self).__name__}({', '.join(repr(o) for o in self.objects)})"

    def _unique(self, method: str) -> Iterator[Any]:
        seen: set[Any] = set()
        for obj in self.objects:
            for item in getattr(obj, method)():
                if item not in seen:
                    seen.add(item)
                    yield item

    def iter_assets(self) -> Iterator[Asset]:
        return self._unique("iter_assets")

    def iter_asset_aliases(self) -> Iterator[AssetAlias]:
        return self._unique("iter_asset_aliases")

    def as_dict(self) -> dict[str, Any]:
        return {self._word: [obj.as_dict() for obj in self.objects]}


class AssetAny(_AssetBooleanCondition):
    """Holds when any member holds (``a | b``)."""

    _word = "any"

    def __or__(self, other: object) -> AssetAny:
        if not isinstance(other, BaseAsset):
            return NotImplemented
        return AssetAny(*self.objects, other)

    def evaluate(self, statuses: dict[Any, bool]) -> bool:
        return any(obj.evaluate(statuses) for obj in self.objects)


class AssetAll(_AssetBooleanCondition):
    """Holds when every member holds (``a & b``; a list of assets as a schedule)."""

    _word = "all"

    def __and__(self, other: object) -> AssetAll:
        if not isinstance(other, BaseAsset):
            return NotImplemented
        return AssetAll(*self.objects, other)

    def evaluate(self, statuses: dict[Any, bool]) -> bool:
        return all(obj.evaluate(statuses) for obj in self.objects)


# Airflow 2.x names.
DatasetAlias = AssetAlias
DatasetAll = AssetAll
DatasetAny = AssetAny


def status_key(obj: Asset | AssetAlias) -> str:
    """The string key under which the store queues news of ``obj``: an asset's uri, or
    ``"alias:<name>"`` for an alias (so alias and asset names never collide)."""
    if isinstance(obj, AssetAlias):
        return ALIAS_KEY_PREFIX + obj.name
    return obj.uri


def as_condition(schedule: Any) -> BaseAsset | None:
    """A ``schedule=`` value as one condition: a condition stays itself, a collection of them
    becomes ``AssetAll``; anything else (cron, timedelta, None, ...) gives None."""
    if isinstance(schedule, BaseAsset):
        return schedule
    if isinstance(schedule, Collection) and not isinstance(schedule, str | bytes | dict):
        items = list(schedule)
        if all(isinstance(item, BaseAsset) for item in items):
            return AssetAll(*items)
    return None


def condition_to_json(condition: Any) -> str:
    """JSON text of a condition (or of a list of them, taken as ``AssetAll``):
    ``{"asset": {"name", "uri", "group"}}``, ``{"alias": {"name", "group"}}``,
    ``{"all": [...]}``, ``{"any": [...]}``. ``TypeError`` for anything else."""
    resolved = as_condition(condition)
    if resolved is None:
        raise TypeError(f"{condition!r} is not an asset condition")
    return json.dumps(resolved.as_dict(), sort_keys=True)


def _from_dict(data: Any) -> BaseAsset:
    if not isinstance(data, dict) or len(data) != 1:
        raise ValueError(f"not an asset condition: {data!r}")
    ((kind, value),) = data.items()
    if kind == "asset":
        return Asset(name=value["name"], uri=value["uri"], group=value.get("group", "asset"))
    if kind == "alias":
        return AssetAlias(value["name"], group=value.get("group", "asset"))
    if kind == "all":
        return AssetAll(*(_from_dict(item) for item in value))
    if kind == "any":
        return AssetAny(*(_from_dict(item) for item in value))
    raise ValueError(f"unknown asset condition kind {kind!r}")


def condition_from_json(text: str) -> BaseAsset:
    """The condition :func:`condition_to_json` wrote (``ValueError`` for anything else)."""
    return _from_dict(json.loads(text))

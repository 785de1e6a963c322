"""The public timetable interface: value types and the ``Timetable`` base class.

This is the surface a DAG author subclasses to write a custom schedule, with Airflow 3's names
and signatures (``airflow.timetables.base``): a timetable answers two questions,

- :meth:`Timetable.next_dagrun_info`: given the data interval of the last automated run and the
  DAG's :class:`TimeRestriction`, when is the next run and over which data interval?
- :meth:`Timetable.infer_manual_data_interval`: which data interval does a run triggered by
  hand at ``run_after`` cover?

Built-in timetables return pendulum DateTimes in UTC. Wall-clock "now" is obtained through
:func:`riir_airflow.sdk.timetables.utcnow`, which the engine pins per decision; see
:func:`next_run_info` for the engine's entry point.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any, ClassVar, NamedTuple

from pendulum import DateTime

from riir_airflow.sdk.exceptions import AirflowException
from riir_airflow.sdk.timetables._time import frozen_now, to_utc

__all__ = [
    "AirflowTimetableInvalid",
    "DagRunInfo",
    "DataInterval",
    "TimeRestriction",
    "Timetable",
    "interval_in_utc",
    "next_run_info",
    "restriction_in_utc",
]


class AirflowTimetableInvalid(AirflowException, ValueError):
    """A timetable (typically its cron expression or delta) is invalid.

    It is also a ``ValueError`` so that code validating a plain ``schedule=`` value can catch
    the built-in exception type.
    """


class DataInterval(NamedTuple):
    """The span of data a DAG run covers: ``[start, end]``, both timezone-aware."""

    start: DateTime
    end: DateTime

    @classmethod
    def exact(cls, at: DateTime) -> DataInterval:
        """An interval holding only the instant ``at`` (start == end)."""
        return cls(start=at, end=at)


class TimeRestriction(NamedTuple):
    """Bounds on automated scheduling, taken from the DAG's start_date, end_date and catchup.

    ``earliest`` and ``latest`` are inclusive; ``None`` means unbounded. With ``catchup=False``
    a timetable skips runs whose time has already passed, creating only the most recent one.
    """

    earliest: DateTime | None
    latest: DateTime | None
    catchup: bool


class DagRunInfo(NamedTuple):
    """What a timetable decides about one run: when it may start and what data it covers."""

    run_after: DateTime
    """The earliest instant the run may be created and its tasks scheduled."""
    data_interval: DataInterval | None
    """The data interval the run covers (``None`` only for partition-driven runs)."""
    partition_date: DateTime | None = None
    partition_key: str | None = None

    @classmethod
    def exact(cls, at: DateTime) -> DagRunInfo:
        """A run at ``at`` whose data interval is the single instant ``at``."""
        return cls(run_after=at, data_interval=DataInterval.exact(at))

    @classmethod
    def interval(cls, start: DateTime, end: DateTime) -> DagRunInfo:
        """A run over ``[start, end]`` that may start once the interval has ended."""
        return cls(run_after=end, data_interval=DataInterval(start, end))

    @property
    def logical_date(self) -> DateTime | None:
        """The run's logical date: the start of its data interval (``None`` without one)."""
        return self.data_interval.start if self.data_interval is not None else None


class Timetable:
    """Base class of every timetable; subclass it for a custom schedule.

    Subclasses override :meth:`next_dagrun_info` and :meth:`infer_manual_data_interval`, and, if
    their constructor takes arguments, :meth:`serialize` / :meth:`deserialize` so that the
    timetable can be stored and rebuilt. The class attributes below describe the timetable to
    the scheduler and the UI; their defaults suit an ordinary periodic schedule.
    """

    description: str = ""
    """Human-readable description shown in the UI, e.g. ``"At 06:00"``."""
    periodic: bool = True
    """Whether runs recur; ``None`` and ``@once`` schedules set this to False."""
    can_be_scheduled: bool = True
    """Whether the scheduler asks this timetable for runs at all (False for ``schedule=None``)."""
    run_ordering: Sequence[str] = ("data_interval_end", "logical_date")
    """DAG run fields the UI orders runs of this timetable by."""
    active_runs_limit: int | None = None
    """Upper bound on concurrently active runs (``@continuous`` uses 1); None means no bound."""
    partitioned: ClassVar[bool] = False
    """Whether runs are keyed by asset partitions rather than data intervals."""
    asset_condition: Any = None
    """The asset expression that triggers this DAG, for asset-driven timetables."""

    @classmethod
    def deserialize(cls, data: dict[str, Any]) -> Timetable:
        """Rebuild a timetable from :meth:`serialize`'s output (default: no-argument constructor)."""
        return cls()

    def serialize(self) -> dict[str, Any]:
        """Return a JSON-compatible dict :meth:`deserialize` accepts (default: empty)."""
        return {}

    def validate(self) -> None:
        """Raise :class:`AirflowTimetableInvalid` if misconfigured (default: nothing to check)."""

    @property
    def summary(self) -> str:
        """Short label for the UI; the class name unless a subclass says better."""
        return type(self).__name__

    @property
    def type_name(self) -> str:
        """Class name for built-in timetables, the full import path for custom ones."""
        cls = type(self)
        if cls.__module__.startswith(("riir_airflow.sdk.timetables.", "riir_airflow.timetables.")):
            return cls.__name__
        return f"{cls.__module__}.{cls.__qualname__}"

    def infer_manual_data_interval(self, *, run_after: DateTime) -> DataInterval:
        """Return the data interval of a run triggered by hand at ``run_after``."""
        raise NotImplementedError()

    def next_dagrun_info(
        self,
        *,
        last_automated_data_interval: DataInterval | None,
        restriction: TimeRestriction,
    ) -> DagRunInfo | None:
        """Return the next automated run, or None when no run should be created now.

        ``last_automated_data_interval`` is the data interval of the latest scheduled or
        backfilled run (manual runs do not count); it is None before the first run. ``None`` as
        a result is not final: the timetable may return a run when asked again later.
        """
        raise NotImplementedError()

    def next_dagrun_info_v2(
        self, *, last_dagrun_info: DagRunInfo | None, restriction: TimeRestriction
    ) -> DagRunInfo | None:
        """Airflow 3.2+ spelling taking the last run's info; defers to :meth:`next_dagrun_info`."""
        return self.next_dagrun_info(
            last_automated_data_interval=last_dagrun_info.data_interval if last_dagrun_info else None,
            restriction=restriction,
        )

    def generate_run_id(
        self,
        *,
        run_type: Any,
        run_after: DateTime,
        data_interval: DataInterval | None,
        **extra: Any,
    ) -> str:
        """Return ``<run_type>__<run_after iso>``, Airflow 3's run id for automated runs."""
        return f"{getattr(run_type, 'value', run_type)}__{run_after.isoformat()}"

    def _compares_by_value(self) -> bool:
        # Only a class that says how to serialise itself can be compared by that form; a custom
        # timetable inheriting the empty default keeps identity semantics.
        return type(self).serialize is not Timetable.serialize

    def __eq__(self, other: object) -> bool:
        """Same class and same serialised form (identity for classes without ``serialize``)."""
        if type(other) is not type(self):
            return NotImplemented
        assert isinstance(other, Timetable)
        if not self._compares_by_value():
            return self is other
        return self.serialize() == other.serialize()

    def __hash__(self) -> int:
        if not self._compares_by_value():
            return id(self)
        return hash((type(self).__name__, repr(sorted(self.serialize().items()))))

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.summary!r})"


def interval_in_utc(interval: DataInterval | None) -> DataInterval | None:
    """``interval`` with both ends as UTC pendulum DateTimes (None stays None)."""
    if interval is None:
        return None
    return DataInterval(to_utc(interval.start), to_utc(interval.end))


def restriction_in_utc(restriction: TimeRestriction) -> TimeRestriction:
    """``restriction`` with its bounds as UTC pendulum DateTimes.

    Built-in timetables compute on UTC instants, as Airflow's scheduler does once a DAG's dates
    have been normalised, so that ``relativedelta`` steps land on the same calendar dates.
    """
    return TimeRestriction(
        to_utc(restriction.earliest) if restriction.earliest is not None else None,
        to_utc(restriction.latest) if restriction.latest is not None else None,
        bool(restriction.catchup),
    )


def next_run_info(
    timetable: Timetable,
    *,
    last_automated_data_interval: DataInterval | None,
    restriction: TimeRestriction,
    now: dt.datetime | None,
) -> DagRunInfo | None:
    """The engine's way to ask any timetable (built-in or custom) for its next run as of ``now``.

    Normalises the inputs to UTC (what the scheduler's store hands back after a round trip),
    pins :func:`~riir_airflow.sdk.timetables.utcnow` to ``now`` for the duration of the call, and
    returns the answer with its datetimes in UTC. ``now=None`` uses the real clock.
    """
    with frozen_now(now):
        info = timetable.next_dagrun_info(
            last_automated_data_interval=interval_in_utc(last_automated_data_interval),
            restriction=restriction_in_utc(restriction),
        )
    if info is None:
        return None
    return info._replace(
        run_after=to_utc(info.run_after),
        data_interval=interval_in_utc(info.data_interval),
    )

"""Generate ``data/airflow_cases.json``: what the real Airflow 3.3 schedules, case by case.

Run with the Airflow virtualenv's interpreter (never in CI; riir's tests only read the JSON):

    /work/airflow-venv/bin/python tests/sdk/timetables/generate_cases.py

Each case is a deterministic (seeded) combination of schedule, time zone, start_date, end_date,
catchup and a fixed "now". For each, Airflow's own timetable (built the way a DAG builds it,
through ``airflow.sdk`` and converted to the scheduler's core class) is asked for the first 20
runs a fresh deployment creates: ``next_dagrun_info`` is called repeatedly with the previous
run's data interval (normalised to UTC, as the metadata database hands it back) and
``TimeRestriction(start_date, end_date, catchup)`` with both dates in UTC (as the DAG stores
them). Every clock read Airflow's timetables make (``utcnow`` and, in
MultipleCronTriggerTimetable, ``time.time``) is patched to return the case's ``now``.

The script also records the manual data interval (``infer_manual_data_interval``) for a few
``run_after`` instants, and the timetable's ``summary`` and ``serialize()`` output.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import importlib.metadata
import json
import os
import random
import sys
import tempfile
import types
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from unittest import mock

os.environ.setdefault("AIRFLOW_HOME", tempfile.mkdtemp(prefix="riir-timetable-cases-"))

import pendulum
from dateutil.relativedelta import relativedelta

SEED = 20240331
RUNS_PER_CASE = 20
OUT = Path(__file__).parent / "data" / "airflow_cases.json"

TIMEZONES = ["UTC", "Europe/Amsterdam", "America/New_York", "Australia/Sydney", "Asia/Kolkata"]
# Local wall-clock instants at which the zone's clocks jump (2024), to start schedules near them.
DST_CHANGES = {
    "Europe/Amsterdam": ["2024-03-31T02:00", "2024-10-27T03:00"],
    "America/New_York": ["2024-03-10T02:00", "2024-11-03T02:00"],
    "Australia/Sydney": ["2024-04-07T03:00", "2024-10-06T02:00"],
}
PRESETS = ["@hourly", "@daily", "@weekly", "@monthly", "@quarterly", "@yearly", "@annually", "@midnight"]
FIXED_CRONS = [
    "0 6 * * *", "30 2 * * *", "0 2 * * *", "15 1 * * *", "*/15 * * * *", "30 * * * *",
    "0 */2 * * *", "0 */3 * * 1-5", "5 4 * * sun", "0 0 1,15 * *", "0 9-17 * * 1-5",
    "*/30 2-3 * * *", "0 2,3 * * *", "45 23 * * 6", "0 0 29 2 *", "0 3 * * *", "* * * * *",
]  # fmt: skip
DELTAS: list[dt.timedelta | relativedelta] = [
    dt.timedelta(hours=1), dt.timedelta(minutes=30), dt.timedelta(days=1), dt.timedelta(hours=6),
    dt.timedelta(days=7), dt.timedelta(hours=25), dt.timedelta(minutes=45),
    relativedelta(months=1), relativedelta(months=3), relativedelta(days=1), relativedelta(weeks=1),
    relativedelta(months=1, days=2), relativedelta(years=1), relativedelta(hours=12),
]  # fmt: skip


def random_cron(rng: random.Random) -> str:
    """A cron expression with ranges, steps and lists, always able to fire."""
    minute = rng.choice(["0", "5", "15", "30", "45", "*/5", "*/10", "*/20", "0,30"])
    hour = rng.choice(["*", "0", "1", "2", "3", "6", "12", "23", "*/2", "*/4", "1-4", "9-17", "2,3"])
    dom = rng.choice(["*", "*", "*", "1", "15", "1-7", "*/10", "31"])
    month = rng.choice(["*", "*", "*", "*/3", "1-6", "3,10,11"])
    dow = rng.choice(["*", "*", "*", "1-5", "0", "sat,sun", "6"])
    return f"{minute} {hour} {dom} {month} {dow}"


def encode_delta(delta: dt.timedelta | relativedelta) -> dict[str, Any]:
    if isinstance(delta, dt.timedelta):
        return {"seconds": delta.total_seconds()}
    fields = ("years", "months", "days", "hours", "minutes", "seconds")
    return {"relativedelta": {f: getattr(delta, f) for f in fields if getattr(delta, f)}}


def decode_delta(value: dict[str, Any]) -> dt.timedelta | relativedelta:
    if "seconds" in value:
        return dt.timedelta(seconds=value["seconds"])
    return relativedelta(**value["relativedelta"])


def iso(value: dt.datetime) -> str:
    """UTC ISO string of an aware datetime (the JSON's one datetime format)."""
    return pendulum.instance(value).in_timezone("UTC").isoformat()


def random_start(rng: random.Random, tz: str) -> pendulum.DateTime:
    """A local start_date: near one of the zone's DST changes half the time, else anywhere."""
    zone = pendulum.timezone(tz)
    if tz in DST_CHANGES and rng.random() < 0.5:
        change = pendulum.parse(rng.choice(DST_CHANGES[tz]), tz=zone)
        start = change.subtract(hours=rng.choice([1, 2, 3, 5, 10, 26, 50, 24 * 6]))
    else:
        start = pendulum.datetime(
            rng.choice([2023, 2024, 2025]), rng.randint(1, 12), rng.randint(1, 28), tz=zone
        )
    if rng.random() < 0.3:
        start = start.add(hours=rng.randint(0, 23), minutes=rng.choice([0, 7, 30]))
    return start


def random_now(rng: random.Random, start: pendulum.DateTime) -> pendulum.DateTime:
    """A fixed "now" around the start: before it, on it, or hours to a year after it."""
    offset = rng.choice([-3 * 86400, -3600, 0, 0, 1800, 3600, 2 * 86400, 10 * 86400, 40 * 86400, 400 * 86400])
    now = start.in_timezone("UTC").add(seconds=offset)
    if rng.random() < 0.5:
        now = now.add(seconds=rng.randint(0, 86399), microseconds=rng.choice([0, 0, 123456]))
    return now


def make_case(rng: random.Random, index: int) -> dict[str, Any]:
    """One case description (inputs only; expectations are added by ``evaluate``)."""
    tz = rng.choice(TIMEZONES)
    kind = rng.choices(
        ["cron_trigger", "cron_data_interval", "delta_trigger", "delta_data_interval", "cron_trigger_args",
         "multi_cron_trigger", "events", "once", "continuous"],
        weights=[30, 24, 10, 10, 8, 6, 5, 3, 3],
    )[0]  # fmt: skip
    start: pendulum.DateTime | None = random_start(rng, tz)
    case: dict[str, Any] = {"id": f"case{index:03d}", "kind": kind, "timezone": tz}
    if kind in ("cron_trigger", "cron_data_interval", "cron_trigger_args"):
        pool = rng.choice([PRESETS, FIXED_CRONS, None])
        case["schedule"] = rng.choice(pool) if pool else random_cron(rng)
    elif kind in ("delta_trigger", "delta_data_interval"):
        case["schedule"] = encode_delta(rng.choice(DELTAS))
    elif kind == "multi_cron_trigger":
        case["schedule"] = [rng.choice(FIXED_CRONS + PRESETS[:3]) for _ in range(rng.randint(2, 3))]
    elif kind == "events":
        assert start is not None
        events = [start.add(hours=rng.randint(-48, 24 * 30)) for _ in range(rng.randint(3, 25))]
        events += rng.sample(events, k=min(2, len(events)))  # duplicates
        case["schedule"] = [e.isoformat() for e in events]
        case["restrict_to_events"] = rng.random() < 0.5
    else:
        case["schedule"] = "@" + kind
    if kind in ("cron_trigger_args", "multi_cron_trigger"):
        case["interval"] = encode_delta(
            rng.choice([dt.timedelta(0), dt.timedelta(hours=1), dt.timedelta(days=1), relativedelta(days=1)])
        )
        case["run_immediately"] = rng.choice([False, True, None, 600.0, 7200.0])
    catchup = rng.random() < 0.5
    optional_start = kind in ("cron_trigger", "cron_trigger_args", "delta_trigger", "multi_cron_trigger")
    if (optional_start or kind == "continuous") and not catchup and rng.random() < 0.3:
        start = None  # Airflow 3: start_date is optional without catchup
    now = random_now(rng, start or random_start(rng, tz))
    end = None
    if start is not None and rng.random() < 0.25:
        end = start.add(hours=rng.choice([5, 30, 24 * 9, 24 * 60]))
    case.update(
        catchup=catchup,
        start_date=start.isoformat() if start else None,
        end_date=end.isoformat() if end else None,
        now=iso(now),
    )
    return case


def _base_case(case_id: str, kind: str, tz: str, schedule: Any, catchup: bool) -> dict[str, Any]:
    return {"id": case_id, "kind": kind, "timezone": tz, "schedule": schedule, "catchup": catchup}


def dst_cases() -> list[dict[str, Any]]:
    """Targeted cases across every DST change of the DST zones, hourly and daily crons.

    catchup on: 20 runs from just before the change (hourly) or days before it (daily).
    catchup off: "now" half an hour before, and half/one and a half hours after, the change,
    with ticks inside the skipped or repeated local hour.
    """
    cases: list[dict[str, Any]] = []
    hourly = ["0 * * * *", "30 * * * *", "*/20 * * * *", "15 2-3 * * *"]
    daily = ["30 2 * * *", "0 2 * * *", "0 3 * * *", "30 1 * * *", "0 */2 * * *", "0 0 * * *", "@daily"]
    for tz, changes in DST_CHANGES.items():
        zone = pendulum.timezone(tz)
        for change_text in changes:
            change = pendulum.parse(change_text, tz=zone)
            for kind in ("cron_trigger", "cron_data_interval"):
                for cron in hourly + daily:
                    start = change.subtract(hours=3 if cron in hourly else 72)
                    case = _base_case(f"dst{len(cases):03d}", kind, tz, cron, True)
                    case.update(start_date=start.isoformat(), end_date=None, now=iso(start.add(days=400)))
                    cases.append(case)
                for cron in ("30 * * * *", "30 2 * * *", "30 1 * * *"):
                    for offset in (-30, 30, 90):
                        now = change.in_timezone("UTC").add(minutes=offset)
                        case = _base_case(f"dst{len(cases):03d}", kind, tz, cron, False)
                        case.update(
                            start_date=change.subtract(days=20).isoformat(), end_date=None, now=iso(now)
                        )
                        cases.append(case)
    return cases


def first_run_cases() -> list[dict[str, Any]]:
    """No start_date: the ``run_immediately`` rule around its 5-minute and 10% thresholds."""
    cases: list[dict[str, Any]] = []
    anchor = pendulum.datetime(2024, 6, 3, 0, 0, tz="UTC")  # a Monday midnight: a tick of all crons
    for cron in ("0 * * * *", "*/10 * * * *", "0 0 * * *", "0 0 * * 1"):
        for run_immediately in (False, True, None, 600.0):
            for offset in (0, 299, 301, 8640, 8641):
                case = _base_case(f"first{len(cases):03d}", "cron_trigger_args", "UTC", cron, offset % 2 == 0)
                case.update(
                    interval={"seconds": 0.0},
                    run_immediately=run_immediately,
                    start_date=None,
                    end_date=None,
                    now=iso(anchor.add(seconds=offset)),
                )
                cases.append(case)
    return cases


def with_manual_run_afters(case: dict[str, Any]) -> dict[str, Any]:
    now = pendulum.parse(case["now"])
    case["manual_run_after"] = [iso(now), iso(now.add(hours=13, minutes=17)), iso(now.subtract(days=33))]
    return case


@contextlib.contextmanager
def airflow_clock(now: pendulum.DateTime) -> Iterator[None]:
    """Patch every clock read of Airflow's timetables to return ``now``."""
    import airflow._shared.timezones.timezone as tzmod
    import airflow.timetables.interval as interval_mod
    import airflow.timetables.trigger as trigger_mod

    def fixed_utcnow() -> dt.datetime:
        return dt.datetime.fromtimestamp(now.timestamp(), tz=tzmod.utc)

    fake_time = types.SimpleNamespace(time=lambda: now.timestamp())
    with (
        mock.patch.object(tzmod, "utcnow", fixed_utcnow),
        mock.patch.object(interval_mod, "utcnow", fixed_utcnow),
        mock.patch.object(trigger_mod, "utcnow", fixed_utcnow),
        mock.patch.object(trigger_mod, "time", fake_time),
    ):
        yield


def build_timetable(case: dict[str, Any]) -> Any:
    """Airflow's core timetable for the case, built the way a DAG file would get it."""
    from airflow.sdk.definitions.dag import _create_timetable
    from airflow.serialization.encoders import coerce_to_core_timetable
    from airflow.timetables.events import EventsTimetable
    from airflow.timetables.trigger import CronTriggerTimetable, MultipleCronTriggerTimetable

    kind, tz, schedule = case["kind"], pendulum.timezone(case["timezone"]), case["schedule"]
    if kind in ("cron_trigger_args", "multi_cron_trigger"):
        kwargs = {"timezone": tz, "interval": decode_delta(case["interval"])}
        run_immediately = case["run_immediately"]
        kwargs["run_immediately"] = (
            dt.timedelta(seconds=run_immediately) if isinstance(run_immediately, float) else run_immediately
        )
        if kind == "multi_cron_trigger":
            return MultipleCronTriggerTimetable(*schedule, **kwargs)
        return CronTriggerTimetable(schedule, **kwargs)
    if kind == "events":
        return EventsTimetable(
            [pendulum.parse(e) for e in schedule], restrict_to_events=case["restrict_to_events"]
        )
    value = decode_delta(schedule) if isinstance(schedule, dict) else schedule
    data_intervals = kind in ("cron_data_interval", "delta_data_interval")
    os.environ["AIRFLOW__SCHEDULER__CREATE_CRON_DATA_INTERVALS"] = str(data_intervals)
    return coerce_to_core_timetable(_create_timetable(value, tz))


def info_row(info: Any) -> list[str]:
    """One expected run: ``[run_after, data_interval_start, data_interval_end]`` (UTC ISO)."""
    return [iso(info.run_after), iso(info.data_interval.start), iso(info.data_interval.end)]


def evaluate(case: dict[str, Any]) -> dict[str, Any]:
    """Add Airflow's answers (runs, manual intervals, summary, serialized form) to ``case``."""
    from airflow._shared.timezones.timezone import convert_to_utc
    from airflow.timetables.base import DataInterval, TimeRestriction

    timetable = build_timetable(case)
    now = pendulum.parse(case["now"])
    start = pendulum.parse(case["start_date"]) if case["start_date"] else None
    end = pendulum.parse(case["end_date"]) if case["end_date"] else None
    restriction = TimeRestriction(convert_to_utc(start), convert_to_utc(end), case["catchup"])
    runs: list[list[str]] = []
    previous = None
    with airflow_clock(now):
        try:
            for _ in range(RUNS_PER_CASE):
                info = timetable.next_dagrun_info(
                    last_automated_data_interval=previous, restriction=restriction
                )
                if info is None:
                    break
                runs.append(info_row(info))
                previous = DataInterval(
                    convert_to_utc(info.data_interval.start), convert_to_utc(info.data_interval.end)
                )
        except Exception as exc:  # noqa: BLE001 - recorded: riir must fail at the same step
            case["error"] = f"{type(exc).__name__}: {exc}"
        manual = [
            timetable.infer_manual_data_interval(run_after=pendulum.parse(r))
            for r in case["manual_run_after"]
        ]
    case.update(
        airflow_class=type(timetable).__name__,
        summary=timetable.summary,
        serialized=timetable.serialize(),
        expected=runs,
        manual=[[iso(m.start), iso(m.end)] for m in manual],
    )
    return case


def main(count: int = 260) -> None:
    import airflow

    rng = random.Random(SEED)
    inputs = [make_case(rng, i) for i in range(count)] + dst_cases() + first_run_cases()
    cases = [evaluate(with_manual_run_afters(case)) for case in inputs]
    payload = {
        "generated_with": {
            "apache-airflow": airflow.__version__,
            "pendulum": importlib.metadata.version("pendulum"),
        },
        "seed": SEED,
        "runs_per_case": RUNS_PER_CASE,
        "expected_row": ["run_after", "data_interval_start", "data_interval_end"],
        "manual_row": ["data_interval_start", "data_interval_end"],
        "cases": cases,
    }
    OUT.parent.mkdir(parents=True, exist_ok=True)
    # One case per line: compact, yet a regenerated file diffs case by case.
    lines = [json.dumps(case, sort_keys=True, separators=(",", ":")) for case in cases]
    header = json.dumps({k: v for k, v in payload.items() if k != "cases"}, sort_keys=True)[:-1]
    OUT.write_text(header + ',\n"cases": [\n' + ",\n".join(lines) + "\n]}\n")
    errors = sum(1 for c in cases if "error" in c)
    print(f"wrote {len(cases)} cases ({errors} with errors) to {OUT}", file=sys.stderr)


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 260)

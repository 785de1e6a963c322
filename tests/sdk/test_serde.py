"""XCom values as JSON text: exact round trips, refusals, and the plain-JSON report form."""

from __future__ import annotations

import datetime
import json
from typing import Any

import pendulum
import pytest

from riir_airflow.sdk.serde import deserialize_value, serialize_value, to_plain_json


@pytest.mark.parametrize(
    "value",
    [
        None,
        True,
        0,
        -3,
        1.5,
        "text",
        "",
        "ünïcode ✓",
        [1, "a", None],
        {"a": 1, "nested": {"b": [1, 2]}},
        (1, "two"),
        {"tuple_inside": (1, 2)},
        {1, 2, 3},
        frozenset(),
        [],
        {},
        datetime.date(2024, 1, 2),
        datetime.timedelta(seconds=90.5),
    ],
    ids=repr,
)
def test_round_trip_keeps_value_and_type(value: Any) -> None:
    back = deserialize_value(serialize_value(value))
    assert back == value
    assert type(back) is type(value) or isinstance(value, frozenset)


def test_datetime_round_trips_as_an_aware_datetime() -> None:
    moment = pendulum.datetime(2024, 3, 5, 6, 7, 8, tz="Europe/Amsterdam")
    back = deserialize_value(serialize_value(moment))
    assert back == moment
    assert isinstance(back, datetime.datetime)
    assert back.utcoffset() == datetime.timedelta(hours=1)


def test_plain_datetime_round_trips() -> None:
    moment = datetime.datetime(2024, 1, 1, 12, tzinfo=datetime.UTC)
    assert deserialize_value(serialize_value(moment)) == moment


def test_serialized_text_is_json() -> None:
    assert json.loads(serialize_value({"a": [1, 2]})) == {"a": [1, 2]}


def test_dict_with_non_string_keys_is_refused() -> None:
    with pytest.raises(TypeError, match="keys must be strings"):
        serialize_value({1: "a"})


def test_unknown_objects_are_refused() -> None:
    class Thing:
        pass

    with pytest.raises(TypeError, match="Thing"):
        serialize_value(Thing())
    with pytest.raises(TypeError):
        serialize_value([object()])


def test_a_user_dict_that_looks_like_a_tag_is_not_misread() -> None:
    # A plain dict holding the tag key must not come back as another type.
    value = {"__riir_type__": "user data", "v": 1}
    assert deserialize_value(serialize_value(value)) == value


def test_to_plain_json_turns_python_types_into_json_data() -> None:
    moment = pendulum.datetime(2024, 1, 1)
    assert to_plain_json(
        {"t": (1, 2), "s": {3, 1}, "d": moment, "day": datetime.date(2024, 1, 2), "td": datetime.timedelta(minutes=1)}
    ) == {"t": [1, 2], "s": [1, 3], "d": "2024-01-01T00:00:00+00:00", "day": "2024-01-02", "td": 60.0}


def test_an_unserializable_return_value_fails_the_task(run_dag) -> None:
    from riir_airflow.sdk import DAG, task

    with DAG("unserializable") as the_dag:

        @task
        def returns_object() -> object:
            return object()

        returns_object()
    result = run_dag(the_dag)
    assert result.ti_state("returns_object") == "failed"
    assert "cannot serialize" in result.log("returns_object")

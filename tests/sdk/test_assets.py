"""Assets and Datasets: construction, uri normalisation, equality, conditions, schedule mapping,
the JSON form of conditions, AssetOrTimeSchedule, and the 2.x/3.x import paths (spec 6.1, 15)."""

from __future__ import annotations

import datetime

import pendulum
import pytest

from riir_airflow.sdk import DAG, Asset, AssetAlias, AssetAll, AssetAny
from riir_airflow.sdk.assets import (
    Dataset,
    as_condition,
    condition_from_json,
    condition_to_json,
    status_key,
)
from riir_airflow.sdk.timetables import (
    AssetOrTimeSchedule,
    AssetTriggeredTimetable,
    CronTriggerTimetable,
    DataInterval,
    TimeRestriction,
    timetable_from_schedule,
)

a, b, c = Asset("a"), Asset("b"), Asset("c")


def _names(condition: object) -> object:
    """A condition as nested tuples of names, e.g. ("any", "a", ("all", "b", "c"))."""
    if isinstance(condition, AssetAny | AssetAll):
        word = "any" if isinstance(condition, AssetAny) else "all"
        return (word, *(_names(o) for o in condition.objects))
    return condition.name  # type: ignore[attr-defined]


# -- construction ----------------------------------------------------------------------------
def test_asset_name_alone_is_also_its_uri() -> None:
    asset = Asset("orders")
    assert (asset.name, asset.uri, asset.group, asset.extra, asset.watchers) == (
        "orders",
        "orders",
        "asset",
        {},
        [],
    )


def test_asset_uri_alone_is_also_its_name_as_given() -> None:
    asset = Asset(uri="S3://Bucket/key/")
    assert asset.name == "S3://Bucket/key/"
    assert asset.uri == "s3://Bucket/key"


def test_asset_keeps_name_uri_group_and_extra_given() -> None:
    asset = Asset(name="orders", uri="s3://b/orders", group="sales", extra={"owner": "me"})
    assert (asset.name, asset.uri, asset.group, asset.extra) == (
        "orders",
        "s3://b/orders",
        "sales",
        {"owner": "me"},
    )


def test_asset_without_name_or_uri_is_a_type_error() -> None:
    with pytest.raises(TypeError, match="requires either 'name' or 'uri'"):
        Asset()


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({"name": ""}, ValueError, "cannot be empty"),
        ({"name": "   "}, ValueError, "whitespace"),
        ({"name": "x" * 1501}, ValueError, "1500"),
        ({"name": 3}, TypeError, "string"),
        ({"uri": "airflow://x"}, ValueError, "reserved"),
        ({"name": "a", "extra": {"when": datetime.datetime(2024, 1, 1)}}, TypeError, "JSON"),
        ({"name": "a", "extra": ["not", "a", "dict"]}, TypeError, "dict"),
    ],
)
def test_invalid_asset_arguments_are_refused(kwargs: dict, error: type, message: str) -> None:
    with pytest.raises(error, match=message):
        Asset(**kwargs)


@pytest.mark.parametrize(
    ("given", "normalised"),
    [  # each pair checked against Airflow 3.3.2's Asset(uri=...).uri
        ("s3://bucket/key", "s3://bucket/key"),
        ("S3://Bucket/key/", "s3://Bucket/key"),
        ("x://a/b?q=1&a=2", "x://a/b?a=2&q=1"),
        ("x://user:pw@h/a", "x://h/a"),
        ("x://a/b/#frag", "x://a/b"),
        ("Foo://x", "foo://x/"),
        ("http://Host/", "http://Host/"),
        ("x://h//", "x://h/"),
        ("file:///tmp/a/", "file:///tmp/a"),
        ("/tmp/a", "/tmp/a"),
        ("a b", "a b"),
    ],
)
def test_uri_normalisation_follows_airflow_for_plain_schemes(given: str, normalised: str) -> None:
    assert Asset(uri=given).uri == normalised


def test_dataset_is_an_asset_named_by_its_uri() -> None:
    dataset = Dataset("s3://bucket/key", extra={"a": 1})
    assert isinstance(dataset, Asset)
    assert (dataset.name, dataset.uri, dataset.extra) == ("s3://bucket/key", "s3://bucket/key", {"a": 1})
    assert dataset == Asset(uri="s3://bucket/key")


def test_asset_alias_has_a_name_and_group_and_refuses_an_empty_name() -> None:
    alias = AssetAlias("daily")
    assert (alias.name, alias.group) == ("daily", "asset")
    with pytest.raises(ValueError):
        AssetAlias("")


# -- equality --------------------------------------------------------------------------------
def test_assets_are_equal_and_hash_alike_by_name_and_uri_only() -> None:
    one = Asset(name="n", uri="s3://b/k", group="g1", extra={"x": 1})
    two = Asset(name="n", uri="s3://b/k/", group="g2", extra={"x": 2})
    assert one == two and hash(one) == hash(two)
    assert len({one, two}) == 1
    assert Asset(name="n", uri="s3://b/k") != Asset(name="other", uri="s3://b/k")
    assert Asset(name="n", uri="s3://b/k") != Asset(name="n", uri="s3://b/other")
    assert Asset("a") != AssetAlias("a")


def test_aliases_are_equal_by_name() -> None:
    assert AssetAlias("x") == AssetAlias("x", group="other")
    assert len({AssetAlias("x"), AssetAlias("x")}) == 1


def test_conditions_are_equal_by_type_and_members() -> None:
    assert AssetAny(a, b) == AssetAny(a, b)
    assert AssetAny(a, b) != AssetAll(a, b)
    assert AssetAny(a, b) != AssetAny(b, a)
    assert hash(AssetAll(a, b)) == hash(AssetAll(Asset("a"), Asset("b")))


# -- building conditions ---------------------------------------------------------------------
def test_or_and_build_any_and_all() -> None:
    assert a | b == AssetAny(a, b)
    assert a & b == AssetAll(a, b)


def test_chained_or_and_extend_the_left_condition_as_airflow_does() -> None:
    assert _names(a | b | c) == ("any", "a", "b", "c")
    assert _names(a & b & c) == ("all", "a", "b", "c")
    assert _names(a | (b | c)) == ("any", "a", ("any", "b", "c"))
    assert _names((a | b) & c) == ("all", ("any", "a", "b"), "c")
    assert _names(a | AssetAlias("al")) == ("any", "a", "al")


def test_combining_with_a_non_asset_is_a_type_error() -> None:
    with pytest.raises(TypeError):
        a | 3  # type: ignore[operator]
    with pytest.raises(TypeError):
        (a | b) & "x"  # type: ignore[operator]
    with pytest.raises(TypeError, match="asset expressions"):
        AssetAny(a, 3)


def test_iter_assets_and_aliases_list_each_member_once_depth_first() -> None:
    condition = (a | AssetAlias("al")) & (b | a)
    assert list(condition.iter_assets()) == [a, b]
    assert list(condition.iter_asset_aliases()) == [AssetAlias("al")]


# -- evaluation ------------------------------------------------------------------------------
def test_asset_is_up_when_its_uri_or_name_maps_to_true() -> None:
    asset = Asset(name="orders", uri="s3://b/orders")
    assert asset.evaluate({"s3://b/orders": True})
    assert asset.evaluate({"orders": True})
    assert asset.evaluate({asset: True})
    assert not asset.evaluate({"s3://b/orders": False})
    assert not asset.evaluate({})


def test_any_needs_one_member_and_all_needs_every_member() -> None:
    assert (a | b).evaluate({"b": True})
    assert not (a | b).evaluate({"c": True})
    assert not (a & b).evaluate({"a": True})
    assert (a & b).evaluate({"a": True, "b": True})


def test_nested_conditions_evaluate_bottom_up() -> None:
    condition = (a | b) & c
    assert not condition.evaluate({"a": True})
    assert not condition.evaluate({"c": True})
    assert condition.evaluate({"b": True, "c": True})
    assert (a | (b & c)).evaluate({"b": True, "c": True})


def test_alias_is_up_under_its_status_key() -> None:
    alias = AssetAlias("daily")
    assert status_key(alias) == "alias:daily"
    assert alias.evaluate({"alias:daily": True})
    assert not alias.evaluate({"daily": True})  # an asset named "daily" is something else
    assert status_key(Asset(name="n", uri="s3://b/k")) == "s3://b/k"


def test_evaluate_is_pure() -> None:
    statuses = {"a": True}
    condition = a & b
    assert not condition.evaluate(statuses)
    assert statuses == {"a": True}


# -- JSON form ---------------------------------------------------------------------------------
def test_condition_json_round_trips_nested_conditions_and_aliases() -> None:
    condition = (Asset(name="n", uri="s3://b/k", group="g") | AssetAlias("al")) & c
    text = condition_to_json(condition)
    assert condition_from_json(text) == condition
    assert condition_from_json(text).objects[0].objects[0].group == "g"


def test_condition_json_of_a_list_is_that_of_all_its_members() -> None:
    assert condition_to_json([a, b]) == condition_to_json(AssetAll(a, b))


def test_condition_json_refuses_what_is_no_condition() -> None:
    with pytest.raises(TypeError):
        condition_to_json("@daily")
    with pytest.raises(ValueError):
        condition_from_json('{"nope": 1}')


def test_as_condition_maps_schedules_to_one_condition_or_none() -> None:
    assert as_condition(a) is a
    assert as_condition([a, b]) == AssetAll(a, b)
    assert as_condition("@daily") is None
    assert as_condition(None) is None
    assert as_condition([a, "@daily"]) is None


# -- schedule mapping ----------------------------------------------------------------------
@pytest.mark.parametrize(
    ("schedule", "condition"),
    [
        (a, a),
        ([a, b], AssetAll(a, b)),
        ((a, b), AssetAll(a, b)),
        (a | b, AssetAny(a, b)),
        (a & b, AssetAll(a, b)),
        (Dataset("s3://x"), Dataset("s3://x")),
        (AssetAlias("al"), AssetAlias("al")),
    ],
)
def test_asset_schedules_map_to_the_asset_triggered_timetable_with_one_condition(
    schedule: object, condition: object
) -> None:
    timetable = timetable_from_schedule(schedule, timezone="UTC")
    assert isinstance(timetable, AssetTriggeredTimetable)
    assert timetable.asset_condition == condition
    assert timetable.can_be_scheduled is False


def test_dag_with_asset_schedule_has_the_asset_triggered_timetable() -> None:
    the_dag = DAG("consumer", schedule=[a, b], start_date=pendulum.datetime(2024, 1, 1, tz="UTC"))
    assert isinstance(the_dag.timetable, AssetTriggeredTimetable)
    assert the_dag.timetable.asset_condition == AssetAll(a, b)


def test_asset_or_time_schedule_runs_on_its_timetable_and_carries_the_condition() -> None:
    cron = CronTriggerTimetable("@daily", timezone="UTC")
    timetable = AssetOrTimeSchedule(timetable=cron, assets=[a, b])
    assert timetable.asset_condition == AssetAll(a, b)
    assert timetable.summary == "Asset or 0 0 * * *"
    restriction = TimeRestriction(pendulum.datetime(2024, 1, 1, tz="UTC"), None, True)
    assert timetable.next_dagrun_info(last_automated_data_interval=None, restriction=restriction) == (
        cron.next_dagrun_info(last_automated_data_interval=None, restriction=restriction)
    )
    at = pendulum.datetime(2024, 1, 5, 12, tz="UTC")
    assert timetable.infer_manual_data_interval(run_after=at) == DataInterval(at, at)


def test_asset_or_time_schedule_as_dag_schedule_stays_itself() -> None:
    schedule = AssetOrTimeSchedule(timetable=CronTriggerTimetable("@daily", timezone="UTC"), assets=a | b)
    the_dag = DAG("both", schedule=schedule, start_date=pendulum.datetime(2024, 1, 1, tz="UTC"))
    assert the_dag.timetable is schedule
    assert the_dag.timetable.asset_condition == AssetAny(a, b)


def test_asset_or_time_schedule_serializes_and_compares_by_value() -> None:
    schedule = AssetOrTimeSchedule(timetable=CronTriggerTimetable("@daily", timezone="UTC"), assets=[a])
    again = AssetOrTimeSchedule.deserialize(schedule.serialize())
    assert again == schedule
    assert again.asset_condition == AssetAll(a)


def test_asset_or_time_schedule_refuses_a_non_condition() -> None:
    with pytest.raises(ValueError):
        AssetOrTimeSchedule(timetable=CronTriggerTimetable("@daily", timezone="UTC"), assets="@daily")


# -- import paths ------------------------------------------------------------------------------
def test_asset_names_resolve_on_the_3x_and_2x_paths() -> None:
    import riir_airflow
    from riir_airflow import sdk
    from riir_airflow.datasets import Dataset as Dataset2x
    from riir_airflow.datasets import DatasetAlias, DatasetAll, DatasetAny
    from riir_airflow.timetables.assets import AssetOrTimeSchedule as OrTime3x
    from riir_airflow.timetables.datasets import DatasetOrTimeSchedule

    assert riir_airflow.Asset is Asset and riir_airflow.Dataset is Dataset is Dataset2x
    assert {"Asset", "AssetAlias", "AssetAll", "AssetAny", "AssetOrTimeSchedule"} <= set(sdk.__all__)
    assert (DatasetAlias, DatasetAll, DatasetAny) == (AssetAlias, AssetAll, AssetAny)
    assert OrTime3x is AssetOrTimeSchedule
    two_x = DatasetOrTimeSchedule(timetable=CronTriggerTimetable("@daily", timezone="UTC"), datasets=[a])
    assert isinstance(two_x, AssetOrTimeSchedule) and two_x.asset_condition == AssetAll(a)

"""Asset events at run time: what a successful task emits (outlets, `outlet_events` extra, alias
events), what tasks read (`inlet_events`, `triggering_asset_events`), and which DAGs the events
trigger, in process and through `riir-airflow dags test --output json` (spec 5.1, 15)."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path
from typing import Any

import pendulum

from riir_airflow.providers.standard.operators.empty import EmptyOperator
from riir_airflow.providers.standard.operators.python import PythonOperator
from riir_airflow.runtime.assets import create_asset_triggered_runs
from riir_airflow.runtime.clock import FakeClock
from riir_airflow.runtime.dag_runner import DagRunner
from riir_airflow.runtime.local import test_dag as dag_test
from riir_airflow.runtime.local import using_store
from riir_airflow.sdk import DAG, Asset, AssetAlias, task
from riir_airflow.sdk.assets import Dataset
from riir_airflow.sdk.exceptions import AirflowException, AirflowSkipException

T0 = pendulum.datetime(2024, 1, 1, tz="UTC")
ORDERS = Asset(name="orders", uri="s3://bucket/orders")
CUSTOMERS = Asset("s3://bucket/customers")


def _events(store: Any, **filters: Any) -> list[tuple[str, dict, str | None]]:
    return [(e.uri, e.extra, e.source_task_id) for e in store.get_asset_events(**filters)]


def _last_json_line(stdout: str) -> dict:
    return json.loads(stdout.strip().splitlines()[-1])


# -- emitting ----------------------------------------------------------------------------------
def test_successful_task_records_one_event_per_outlet_asset_with_its_source(run_dag, local_store) -> None:
    with DAG("producer") as the_dag:
        EmptyOperator(task_id="write", outlets=[ORDERS, CUSTOMERS, ORDERS])
        EmptyOperator(task_id="no_outlets")
    result = run_dag(the_dag)
    events = local_store.get_asset_events()
    assert [(e.name, e.uri) for e in events] == [
        ("orders", "s3://bucket/orders"),
        ("s3://bucket/customers", "s3://bucket/customers"),
    ]
    for event in events:
        assert (event.source_dag_id, event.source_run_id, event.source_task_id, event.source_map_index) == (
            "producer", result.run_id, "write", -1,
        )  # fmt: skip
        assert event.extra == {} and event.source_aliases == []
        assert event.timestamp == T0


def test_failed_task_records_no_asset_event(run_dag, local_store) -> None:
    def boom() -> None:
        raise AirflowException("no")

    with DAG("producer") as the_dag:
        PythonOperator(task_id="write", python_callable=boom, outlets=[ORDERS])
    assert run_dag(the_dag).state == "failed"
    assert local_store.get_asset_events() == []


def test_skipped_task_records_no_asset_event(run_dag, local_store) -> None:
    def skip() -> None:
        raise AirflowSkipException("not today")

    with DAG("producer") as the_dag:
        PythonOperator(task_id="write", python_callable=skip, outlets=[ORDERS])
    assert run_dag(the_dag).ti_state("write") == "skipped"
    assert local_store.get_asset_events() == []


def test_only_the_successful_try_of_a_retried_task_records_an_event(run_dag, local_store) -> None:
    def flaky(ti: Any) -> None:
        if ti.try_number == 1:
            raise AirflowException("first try fails")

    with DAG("producer") as the_dag:
        PythonOperator(task_id="write", python_callable=flaky, outlets=[ORDERS], retries=1, retry_delay=0)
    assert run_dag(the_dag).ti("write").try_number == 2
    assert _events(local_store) == [("s3://bucket/orders", {}, "write")]


def test_extra_set_during_execute_becomes_the_event_extra(run_dag, local_store) -> None:
    with DAG("producer") as the_dag:

        @task(outlets=[ORDERS, CUSTOMERS])
        def write(outlet_events: Any = None) -> None:
            outlet_events[ORDERS].extra["rows"] = 3
            outlet_events["s3://bucket/customers"].extra.update(day=pendulum.datetime(2024, 1, 2, tz="UTC"))

        write()
    run_dag(the_dag)
    assert _events(local_store) == [
        ("s3://bucket/orders", {"rows": 3}, "write"),
        ("s3://bucket/customers", {"day": "2024-01-02T00:00:00+00:00"}, "write"),
    ]


def test_extra_set_on_an_asset_that_is_not_an_outlet_emits_nothing(run_dag, local_store) -> None:
    with DAG("producer") as the_dag:

        @task(outlets=[ORDERS])
        def write(outlet_events: Any = None) -> None:
            outlet_events[CUSTOMERS].extra["ignored"] = True

        write()
    run_dag(the_dag)
    assert _events(local_store) == [("s3://bucket/orders", {}, "write")]


def test_alias_outlet_records_the_events_the_task_added_through_it(run_dag, local_store) -> None:
    daily = AssetAlias("daily")
    with DAG("producer") as the_dag:

        @task(outlets=[daily])
        def write(outlet_events: Any = None) -> None:
            outlet_events[daily].add(Asset("s3://bucket/2024-01-01"), extra={"part": 1})
            outlet_events[daily].add(Asset("s3://bucket/2024-01-02"))
            outlet_events[ORDERS].add(Asset("s3://bucket/not-through-an-alias"))  # ignored, as in Airflow

        @task(outlets=[AssetAlias("unused")])
        def adds_nothing() -> None:
            pass

        write()
        adds_nothing()
    run_dag(the_dag)
    events = local_store.get_asset_events()
    assert [(e.uri, e.extra, e.source_aliases) for e in events] == [
        ("s3://bucket/2024-01-01", {"part": 1}, ["daily"]),
        ("s3://bucket/2024-01-02", {}, ["daily"]),
    ]


def test_same_asset_and_extra_added_through_two_aliases_is_one_event_naming_both(
    run_dag, local_store
) -> None:
    first, second = AssetAlias("first"), AssetAlias("second")
    with DAG("producer") as the_dag:

        @task(outlets=[first, second])
        def write(outlet_events: Any = None) -> None:
            outlet_events[first].add(ORDERS, extra={"v": 1})
            outlet_events[second].add(ORDERS, extra={"v": 1})
            outlet_events[second].add(ORDERS, extra={"v": 2})

        write()
    run_dag(the_dag)
    assert [(e.extra, e.source_aliases) for e in local_store.get_asset_events()] == [
        ({"v": 1}, ["first", "second"]),
        ({"v": 2}, ["second"]),
    ]


def test_each_successful_mapped_instance_records_its_own_event(run_dag, local_store) -> None:
    with DAG("producer") as the_dag:

        @task(outlets=[ORDERS])
        def write(n: int, outlet_events: Any = None) -> None:
            if n == 1:
                raise AirflowSkipException("skip one")
            outlet_events[ORDERS].extra["n"] = n

        write.expand(n=[0, 1, 2])
    run_dag(the_dag)
    assert [(e.source_map_index, e.extra) for e in local_store.get_asset_events()] == [
        (0, {"n": 0}),
        (2, {"n": 2}),
    ]


def test_2x_datasets_as_outlets_record_events_by_uri(run_dag, local_store) -> None:
    with DAG("producer") as the_dag:
        EmptyOperator(task_id="write", outlets=[Dataset("s3://bucket/legacy")])
    run_dag(the_dag)
    assert _events(local_store, uri="s3://bucket/legacy") == [("s3://bucket/legacy", {}, "write")]


# -- reading ---------------------------------------------------------------------------------
def test_inlet_events_lists_stored_events_of_the_asset_oldest_first(run_dag, local_store) -> None:
    with DAG("producer") as producer:

        @task(outlets=[ORDERS])
        def write(params: Any = None, outlet_events: Any = None) -> None:
            outlet_events[ORDERS].extra["batch"] = params["batch"]

        write()
    with DAG("reader") as reader:

        @task(inlets=[ORDERS, CUSTOMERS])
        def read(inlet_events: Any = None) -> dict:
            return {
                "by_asset": [e.extra["batch"] for e in inlet_events[ORDERS]],
                "by_index": [e.source_dag_id for e in inlet_events[0]],
                "by_uri": len(inlet_events["s3://bucket/orders"]),
                "newest": inlet_events[ORDERS][-1].extra,
                "no_events": list(inlet_events[CUSTOMERS]),
                "iterates_inlets": [a.uri for a in inlet_events],
            }

        read()
    clock = FakeClock(T0)
    run_dag(producer, logical_date=T0, conf={"batch": 1}, clock=clock)
    clock.advance(pendulum.duration(hours=1))
    run_dag(producer, logical_date=T0.add(days=1), conf={"batch": 2}, clock=clock)
    assert run_dag(reader, clock=clock).xcom("read") == {
        "by_asset": [1, 2],
        "by_index": ["producer", "producer"],
        "by_uri": 2,
        "newest": {"batch": 2},
        "no_events": [],
        "iterates_inlets": ["s3://bucket/orders", "s3://bucket/customers"],
    }


def test_inlet_events_of_an_alias_are_the_events_emitted_through_it(run_dag, local_store) -> None:
    daily = AssetAlias("daily")
    with DAG("producer") as producer:

        @task(outlets=[daily, ORDERS])
        def write(outlet_events: Any = None) -> None:
            outlet_events[daily].add(Asset("s3://bucket/2024-01-01"))

        write()
    with DAG("reader") as reader:

        @task(inlets=[daily])
        def read(inlet_events: Any = None) -> list:
            return [e.asset.uri for e in inlet_events[daily]]

        read()
    run_dag(producer)
    assert run_dag(reader).xcom("read") == ["s3://bucket/2024-01-01"]


def test_manual_run_sees_empty_triggering_asset_events(run_dag) -> None:
    with DAG("consumer", schedule=ORDERS) as the_dag:

        @task
        def read(triggering_asset_events: Any = None, triggering_dataset_events: Any = None) -> list:
            return [len(triggering_asset_events), triggering_asset_events == {}, triggering_dataset_events]

        read()
    assert run_dag(the_dag).xcom("read") == [0, True, {}]


# -- triggering --------------------------------------------------------------------------------
def _consumer(dag_id: str, schedule: Any) -> DAG:
    with DAG(dag_id, schedule=schedule, start_date=T0) as the_dag:

        @task
        def read(
            triggering_asset_events: Any = None, triggering_dataset_events: Any = None, dag_run: Any = None
        ):
            return {
                "orders": [
                    [e.extra, e.source_task_id, e.source_dag_id]
                    for e in triggering_asset_events.get(ORDERS, [])
                ],
                "by_uri_2x": sorted(triggering_dataset_events),
                "keys": sorted(a.uri for a in triggering_asset_events),
                "run_type": dag_run.run_type.value,
                "logical_date": dag_run.logical_date,
            }

        read()
    return the_dag


def _producer(dag_id: str, outlets: list) -> DAG:
    with DAG(dag_id) as the_dag:

        @task(outlets=outlets)
        def write(outlet_events: Any = None) -> None:
            for outlet in outlets:
                outlet_events[outlet].extra["by"] = dag_id

        write()
    return the_dag


def test_asset_triggered_run_reads_the_events_that_triggered_it(airflow_home, local_store) -> None:
    consumer = _consumer("consumer", [ORDERS, CUSTOMERS])
    clock = FakeClock(T0)
    dag_test(consumer, store=local_store, clock=clock)  # a manual run; registers the condition
    dag_test(_producer("p_orders", [ORDERS]), store=local_store, clock=clock)
    assert create_asset_triggered_runs(local_store, [consumer], clock) == []  # customers missing
    dag_test(_producer("p_customers", [CUSTOMERS]), store=local_store, clock=clock)

    (run,) = create_asset_triggered_runs(local_store, [consumer], clock)
    assert run.run_type == "asset_triggered" and run.run_id.startswith("asset_triggered__")
    assert run.logical_date is None
    with using_store(local_store):
        finished = DagRunner(consumer, local_store, clock).run(run)
    assert finished.state.value == "success"
    (xcom,) = local_store.get_xcoms("consumer", run_id=run.run_id, keys=["return_value"])
    assert json.loads(xcom.value) == {
        "orders": [[{"by": "p_orders"}, "write", "p_orders"]],
        "by_uri_2x": ["s3://bucket/customers", "s3://bucket/orders"],
        "keys": ["s3://bucket/customers", "s3://bucket/orders"],
        "run_type": "asset_triggered",
        "logical_date": None,
    }
    assert create_asset_triggered_runs(local_store, [consumer], clock) == []  # the queue was consumed


def test_report_lists_the_runs_events_and_the_dags_they_trigger(airflow_home, local_store) -> None:
    from riir_airflow.runtime.report import run_report

    dag_test(_consumer("needs_both", [ORDERS, CUSTOMERS]), store=local_store)
    dag_test(_consumer("needs_orders", ORDERS), store=local_store)
    dag_test(_consumer("not_asset_scheduled", None), store=local_store)

    orders_run = dag_test(_producer("p_orders", [ORDERS]), store=local_store)
    report = run_report(local_store, orders_run)
    assert report["asset_events"] == [
        {
            "uri": "s3://bucket/orders",
            "name": "orders",
            "extra": {"by": "p_orders"},
            "source_task_id": "write",
        }
    ]
    assert report["triggered_dag_ids"] == ["needs_orders"]

    customers_run = dag_test(_producer("p_customers", [CUSTOMERS]), store=local_store)
    assert run_report(local_store, customers_run)["triggered_dag_ids"] == ["needs_both"]


def test_dag_whose_schedule_is_no_longer_assets_is_forgotten_by_the_registry(
    airflow_home, local_store
) -> None:
    dag_test(_consumer("consumer", ORDERS), store=local_store)
    assert local_store.get_dag_schedule("consumer") is not None
    dag_test(_consumer("consumer", "@daily"), store=local_store)
    assert local_store.get_dag_schedule("consumer") is None


# -- through the CLI -----------------------------------------------------------------------------
PRODUCER = """
from riir_airflow.sdk import DAG, Asset, task

with DAG("producer"):

    @task(outlets=[Asset("s3://bucket/orders")])
    def write(params=None, outlet_events=None):
        outlet_events[Asset("s3://bucket/orders")].extra["batch"] = params["batch"]

    write()
"""

CONSUMER = """
from riir_airflow.sdk import DAG, Asset, task

orders = Asset("s3://bucket/orders")

with DAG("consumer", schedule=[orders]):

    @task(inlets=[orders])
    def read(inlet_events=None):
        return [e.extra["batch"] for e in inlet_events[orders]]

    read()
"""


def test_inlet_events_see_events_of_earlier_dags_test_runs(airflow_home: Path, cli) -> None:
    (airflow_home / "producer.py").write_text(textwrap.dedent(PRODUCER))
    (airflow_home / "consumer.py").write_text(textwrap.dedent(CONSUMER))
    for batch, day in ((1, "2024-01-01"), (2, "2024-01-02")):
        done = cli(
            "dags", "test", "producer.py", day, "--conf", json.dumps({"batch": batch}), "--output", "json"
        )
        assert done.returncode == 0, done.stderr
    done = cli("dags", "test", "consumer.py", "--output", "json")
    assert done.returncode == 0, done.stderr
    assert _last_json_line(done.stdout)["tasks"]["read"]["xcom_return"] == [1, 2]


def test_triggered_dag_ids_come_from_dag_files_tested_earlier_in_the_same_home(
    airflow_home: Path, cli
) -> None:
    (airflow_home / "producer.py").write_text(textwrap.dedent(PRODUCER))
    (airflow_home / "consumer.py").write_text(textwrap.dedent(CONSUMER))
    conf = json.dumps({"batch": 7})

    before = cli("dags", "test", "producer.py", "--conf", conf, "--output", "json")
    assert before.returncode == 0, before.stderr
    report = _last_json_line(before.stdout)
    assert report["asset_events"] == [
        {
            "uri": "s3://bucket/orders",
            "name": "s3://bucket/orders",
            "extra": {"batch": 7},
            "source_task_id": "write",
        }
    ]
    assert report["triggered_dag_ids"] == []  # the consumer's file was never loaded here

    assert cli("dags", "test", "consumer.py", "--output", "json").returncode == 0
    after = cli("dags", "test", "producer.py", "--conf", conf, "--output", "json")
    assert after.returncode == 0, after.stderr
    assert _last_json_line(after.stdout)["triggered_dag_ids"] == ["consumer"]

"""A DAG's params, as its app registers them, in the REST API through the official client, on
SQLite and PostgreSQL: a trigger's `conf` and a backfill's `dag_run_conf` are checked against them
(Airflow's 400 / 422, nothing created), and `GET /dags/{dag_id}/details` serves them in Airflow's
shape. A DAG registered without params (an older app) is not checked."""

from __future__ import annotations

import datetime
import json
import warnings

import airflow_client.client as af
import pytest
from airflow_client.client.exceptions import ApiException

from riir_airflow.providers.standard.operators.empty import EmptyOperator
from riir_airflow.runtime.app.main import serialize_dag
from riir_airflow.sdk import DAG, Param

from ..conftest import T0, Broker
from .conftest import pending, register_dag

NOT_INT = {"not": {"type": "integer"}}


def register_params_dag(broker: Broker, dag_id: str = "p") -> None:
    """`dag_id` (daily from 60 days before T0) with params `n` (integer >= 3, default 5), `mode`
    (a plain default) and `who` (a string without default: required), registered as its app does."""
    params = {
        "n": Param(5, type="integer", minimum=3, description="how many"),
        "mode": "fast",
        "who": Param(type="string"),
    }
    with DAG(dag_id, start_date=T0.subtract(days=60), schedule="@daily", params=params) as dag:
        EmptyOperator(task_id="a")
    broker.registry.sync_dags(
        [serialize_dag(dag, f"/dags/{dag_id}.py")], code_hash="h", now=broker.clock.now()
    )


def refusal(call) -> tuple[int, object]:
    with pytest.raises(ApiException) as info:
        call()
    return info.value.status, json.loads(info.value.body)["detail"]


def trigger(client: af.ApiClient, dag_id: str, conf: dict | None) -> af.DAGRunResponse:
    return af.DagRunApi(client).trigger_dag_run(
        dag_id, af.TriggerDAGRunPostBody(logical_date=None, conf=conf)
    )


def test_trigger_with_a_conf_breaking_a_param_is_400_naming_it_and_creates_no_run(
    broker: Broker, api
) -> None:
    register_params_dag(broker)
    client = api("user")
    assert refusal(lambda: trigger(client, "p", {"who": "me", "n": 1})) == (
        400,
        "Invalid input for param n: 1 is not valid: must be bigger than or equal to 3",
    )
    assert refusal(lambda: trigger(client, "p", {"who": 7})) == (
        400,
        "Invalid input for param who: 7 is not valid: must be string",
    )
    assert broker.store.list_dag_runs("p") == [] and pending(broker, "p") == []


def test_trigger_without_a_param_that_has_no_default_is_400(broker: Broker, api) -> None:
    register_params_dag(broker)
    for conf in (None, {}, {"n": 4}):
        status, detail = refusal(lambda conf=conf: trigger(api("user"), "p", conf))
        assert (status, detail) == (
            400,
            "Invalid input for param who: No value passed and Param has no default value",
        )
    assert broker.store.list_dag_runs("p") == []


def test_trigger_with_a_valid_conf_creates_the_run_with_that_conf(broker: Broker, api) -> None:
    register_params_dag(broker)
    run = trigger(api("user"), "p", {"who": "me", "n": 3, "extra": [1, 2]})  # keys beyond the params pass
    assert run.state.value == "queued" and run.conf == {"who": "me", "n": 3, "extra": [1, 2]}
    assert [r.run_id for r in broker.store.list_dag_runs("p")] == [run.dag_run_id]
    assert [c.kind.value for c in pending(broker, "p")] == ["trigger_run"]


def test_trigger_of_a_dag_registered_without_params_is_not_checked(broker: Broker, api) -> None:
    register_dag(broker, "old")  # a SerializedDag with no params field, as an older app sends
    run = trigger(api("user"), "old", {"anything": object.__name__})
    assert run.conf == {"anything": "object"}


def test_backfill_with_a_dag_run_conf_breaking_a_param_is_422_and_creates_nothing(
    broker: Broker, api
) -> None:
    register_params_dag(broker)
    backfills = af.BackfillApi(api("user"))

    def body(conf: dict, from_day: int = 5, to_day: int = 3) -> af.BackfillPostBody:
        return af.BackfillPostBody(
            dag_id="p",
            from_date=T0.subtract(days=from_day),
            to_date=T0.subtract(days=to_day),
            dag_run_conf=conf,
        )

    bad = "Invalid input for param n: 'x' is not valid: must be integer"
    for call in (backfills.create_backfill, backfills.create_backfill_dry_run):
        assert refusal(lambda call=call: call(body({"who": "me", "n": "x"}))) == (422, bad)
        assert refusal(lambda call=call: call(body({}))) == (
            422,
            "Invalid input for param who: No value passed and Param has no default value",
        )
        # the date checks come first, as in Airflow; a range with nothing to run comes after the conf
        assert refusal(lambda call=call: call(body({"n": "x"}, 3, 5)))[1].startswith("from_date")
    # a range where no interval has ended yet: the dry run lists nothing, but judges the conf first
    unended = {"dag_id": "p", "from_date": T0.subtract(hours=12), "to_date": T0.add(days=1)}
    assert (
        backfills.create_backfill_dry_run(
            af.BackfillPostBody(**unended, dag_run_conf={"who": "me"})
        ).total_entries
        == 0
    )
    assert refusal(
        lambda: backfills.create_backfill_dry_run(
            af.BackfillPostBody(**unended, dag_run_conf={"who": "me", "n": "x"})
        )
    ) == (422, bad)
    assert backfills.list_backfills("p").total_entries == 0
    assert broker.store.list_dag_runs("p") == [] and pending(broker, "p") == []
    dates = backfills.create_backfill_dry_run(body({"who": "me", "n": 4}))
    assert dates.total_entries == 3
    made = backfills.create_backfill(body({"who": "me", "n": 4}))
    assert made.dag_run_conf == {"who": "me", "n": 4} and len(broker.store.list_dag_runs("p")) == 3


def test_backfill_create_answers_409_for_a_second_backfill_before_judging_its_conf(
    broker: Broker, api
) -> None:
    register_params_dag(broker)
    backfills = af.BackfillApi(api("user"))
    span = {"dag_id": "p", "from_date": T0.subtract(days=5), "to_date": T0.subtract(days=3)}
    backfills.create_backfill(af.BackfillPostBody(**span, dag_run_conf={"who": "me"}))
    status, _detail = refusal(
        lambda: backfills.create_backfill(af.BackfillPostBody(**span, dag_run_conf={"n": 0}))
    )
    assert status == 409


def test_backfill_without_dag_run_conf_is_not_checked(broker: Broker, api) -> None:
    register_params_dag(broker)  # `who` has no default, yet Airflow checks only a conf that is given
    made = af.BackfillApi(api("user")).create_backfill(
        af.BackfillPostBody(dag_id="p", from_date=T0.subtract(days=5), to_date=T0.subtract(days=5))
    )
    assert made.dag_run_conf == {} and len(broker.store.list_dag_runs("p")) == 1


def test_dag_details_serve_each_param_in_airflows_shape(broker: Broker, api) -> None:
    register_params_dag(broker)
    details = af.DAGApi(api("viewer")).get_dag_details("p")
    assert details.params == {
        "n": {
            "value": 5,
            "schema": {"type": "integer", "minimum": 3},
            "description": "how many",
            "source": None,
        },
        "mode": {"value": "fast", "schema": {}, "description": None, "source": None},
        "who": {"value": None, "schema": {"type": "string"}, "description": None, "source": None},
    }
    assert list(details.params) == ["n", "mode", "who"]


def test_dag_details_of_a_dag_registered_without_params_serve_no_params(broker: Broker, api) -> None:
    register_dag(broker, "old")
    assert af.DAGApi(api("viewer")).get_dag_details("old").params == {}


def test_a_param_whose_default_has_no_json_form_is_left_to_the_app(broker: Broker, api) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the SDK warns about a non-JSON param value
        with DAG(
            "opaque",
            start_date=T0,
            schedule=None,
            params={"day": Param(datetime.date(2024, 1, 1), **NOT_INT)},
        ) as dag:
            EmptyOperator(task_id="a")
    broker.registry.sync_dags([serialize_dag(dag, "/dags/opaque.py")], code_hash="h", now=broker.clock.now())
    client = api("user")
    assert trigger(client, "opaque", {"day": 5}).conf == {"day": 5}  # breaks the schema, unchecked here
    assert af.DAGApi(client).get_dag_details("opaque").params == {
        "day": {"value": None, "schema": NOT_INT, "description": None, "source": None}
    }


def test_registering_the_same_dag_again_keeps_its_version(broker: Broker, api) -> None:
    register_params_dag(broker)
    register_params_dag(broker)  # same code, same params: the stored registration compares equal
    versions = af.DagVersionApi(api("viewer")).get_dag_versions("p")
    assert versions.total_entries == 1

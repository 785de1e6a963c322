"""The wire models: codec round trips, versioning, strictness, and the Store op table.

Pure tests (no server): what both the broker and the DAG app rely on to understand each other.
"""

from __future__ import annotations

import datetime
import json
import subprocess
import sys

import pendulum
import pytest

from riir_airflow.broker.scopes import SCOPE_RULES
from riir_airflow.sdk.state import DagRunState, TaskInstanceState
from riir_airflow.store.broker_client import BrokerStore
from riir_airflow.store.protocol import Store
from riir_airflow.store.records import AssetEventRecord, DagRunRecord, TaskInstanceRecord, XComRecord
from riir_airflow.wire import STORE_OPS, WIRE_VERSION, WireError, decode, dump, encode, load
from riir_airflow.wire.messages import Command, CommandKind, LeaseGrant, RegisterRequest, SerializedDag
from riir_airflow.wire.store_ops import READ_OPS, WRITE_OPS, decode_args, encode_args

PARIS = "Europe/Paris"


def _protocol_methods() -> set[str]:
    return {name for name in dir(Store) if not name.startswith("_") and name != "close"}


# -- the op table -------------------------------------------------------------------------------
def test_every_store_method_is_a_wire_op_classified_as_read_or_write() -> None:
    assert set(STORE_OPS) == _protocol_methods()
    unclassified = set(STORE_OPS) - READ_OPS - WRITE_OPS
    assert not unclassified, (
        f"new Store methods {sorted(unclassified)}: add them to READ_OPS or WRITE_OPS in riir_airflow/wire/store_ops.py"
    )
    assert not READ_OPS & WRITE_OPS


def test_every_store_op_has_a_broker_access_rule() -> None:
    missing = set(STORE_OPS) - set(SCOPE_RULES)
    assert not missing, (
        f"Store methods {sorted(missing)} have no access rule in riir_airflow/broker/scopes.py SCOPE_RULES"
    )
    assert set(SCOPE_RULES) <= set(STORE_OPS)


def test_broker_store_implements_every_store_method_itself() -> None:
    missing = sorted(name for name in STORE_OPS if name not in BrokerStore.__dict__)
    assert not missing, (
        f"add {missing} to riir_airflow/store/broker_client.py BrokerStore (one `self._call` each)"
    )


def test_op_params_and_results_come_from_the_protocol_signature() -> None:
    op = STORE_OPS["get_task_instance"]
    assert [(p.name, p.required) for p in op.params] == [
        ("dag_id", True), ("run_id", True), ("task_id", True), ("map_index", False),
    ]  # fmt: skip
    assert op.path == "/internal/v1/store/get_task_instance"
    assert STORE_OPS["put_task_instances"].write and not op.write


def test_encode_args_binds_like_python_and_fills_defaults() -> None:
    op = STORE_OPS["get_task_instance"]
    assert encode_args(op, ("d", "r"), {"task_id": "t"}) == {
        "dag_id": "d",
        "run_id": "r",
        "task_id": "t",
        "map_index": -1,
    }
    with pytest.raises(TypeError):
        encode_args(op, ("d",), {})
    with pytest.raises(TypeError):
        encode_args(op, ("d", "r", "t"), {"nope": 1})


def test_decode_args_refuses_unknown_and_missing_arguments() -> None:
    op = STORE_OPS["get_dag_run"]
    assert decode_args(op, {"dag_id": "d", "run_id": "r"}) == {"dag_id": "d", "run_id": "r"}
    with pytest.raises(WireError, match="unknown"):
        decode_args(op, {"dag_id": "d", "run_id": "r", "x": 1})
    with pytest.raises(WireError, match="missing"):
        decode_args(op, {"dag_id": "d"})


def test_sequence_filters_keep_none_apart_from_empty() -> None:
    op = STORE_OPS["list_dag_runs"]
    none = decode_args(op, encode_args(op, ("d",), {"states": None}))
    empty = decode_args(op, encode_args(op, ("d",), {"states": []}))
    assert none["states"] is None and empty["states"] == []
    some = decode_args(op, encode_args(op, ("d",), {"states": [DagRunState.FAILED]}))
    assert some["states"] == [DagRunState.FAILED] and some["states"][0] is DagRunState.FAILED


# -- the codec ----------------------------------------------------------------------------------
def test_dag_run_record_round_trips_with_utc_pendulum_dates_and_enum_state() -> None:
    when = pendulum.datetime(2024, 1, 1, 9, tz="Asia/Tokyo")
    run = DagRunRecord("d", "r", "manual", DagRunState.RUNNING, run_after=when, logical_date=when,
                       conf={"a": [1, {"b": None}]}, clear_number=2)  # fmt: skip
    data = json.loads(json.dumps(encode(run, DagRunRecord)))
    assert data["state"] == "running"
    assert data["run_after"] == "2024-01-01T00:00:00.000000+00:00"
    back = decode(data, DagRunRecord)
    assert back == run
    assert back.state is DagRunState.RUNNING
    assert isinstance(back.run_after, pendulum.DateTime) and back.run_after.timezone_name == "UTC"


def test_task_instance_and_xcom_and_asset_event_records_round_trip() -> None:
    at = pendulum.datetime(2024, 3, 1, 12, 30, 1, 5, tz=PARIS)
    records = [
        (
            TaskInstanceRecord(
                "d",
                "r",
                "t",
                3,
                TaskInstanceState.UP_FOR_RETRY,
                2,
                4,
                at,
                at,
                at,
                "Op",
                "p",
                "q",
                7,
                "h",
                "n",
            ),
            TaskInstanceRecord,
        ),
        (XComRecord("d", "r", "t", "k", '{"a": 1}', 2, at, None), XComRecord),
        (
            AssetEventRecord("a", "s3://a", extra={"x": [1]}, source_aliases=["al"], timestamp=at, id=3),
            AssetEventRecord,
        ),
    ]
    for record, cls in records:
        assert decode(json.loads(json.dumps(encode(record, cls))), cls) == record


def test_naive_datetimes_are_refused_when_encoding() -> None:
    run = DagRunRecord("d", "r", "manual", DagRunState.QUEUED, run_after=datetime.datetime(2024, 1, 1))
    with pytest.raises(ValueError, match="naive"):
        encode(run, DagRunRecord)


def test_datetime_text_without_offset_is_a_wire_error() -> None:
    with pytest.raises(WireError):
        decode("2024-01-01T00:00:00", datetime.datetime)


def test_bool_is_not_accepted_as_int_and_int_is_not_accepted_as_str() -> None:
    with pytest.raises(WireError):
        decode(True, int)
    with pytest.raises(WireError):
        decode(1, str)
    assert decode(1, float) == 1.0


def test_unknown_enum_value_is_a_wire_error() -> None:
    with pytest.raises(WireError):
        decode("exploded", TaskInstanceState)


# -- messages and versioning --------------------------------------------------------------------
def test_messages_carry_the_wire_version_and_round_trip() -> None:
    message = RegisterRequest(
        dags=[SerializedDag("d", "/dags/d.py", schedule="@daily", start_date=pendulum.datetime(2024, 1, 1))],
        code_hash="abc",
    )
    body = dump(message)
    assert json.loads(body)["v"] == WIRE_VERSION
    assert load(body, RegisterRequest) == message


def test_another_wire_version_is_refused() -> None:
    data = json.loads(dump(LeaseGrant("d", held=False)))
    data["v"] = WIRE_VERSION + 1
    with pytest.raises(WireError, match="version"):
        load(json.dumps(data), LeaseGrant)
    with pytest.raises(WireError, match="version"):
        load(b'{"dag_id": "d", "held": false}', LeaseGrant)


def test_unknown_fields_are_ignored_and_missing_optional_fields_take_defaults() -> None:
    body = json.dumps({"v": WIRE_VERSION, "kind": "trigger_run", "dag_id": "d", "from_the_future": 1})
    command = load(body, Command)
    assert command == Command(kind=CommandKind.TRIGGER_RUN, dag_id="d")
    assert command.conf == {} and command.task_ids == []


def test_missing_required_field_and_non_json_bodies_are_wire_errors() -> None:
    with pytest.raises(WireError, match="dag_id"):
        load(json.dumps({"v": WIRE_VERSION, "kind": "pause"}), Command)
    with pytest.raises(WireError):
        load(b"not json", Command)
    with pytest.raises(WireError):
        load(b"[1]", Command)


def test_the_app_side_of_the_wire_imports_no_server_dependency() -> None:
    code = (
        "import sys, riir_airflow.wire, riir_airflow.store.broker_client\n"
        "heavy = sorted(m for m in ('fastapi', 'pydantic', 'starlette', 'sqlalchemy', 'uvicorn', 'jwt')"
        " if m in sys.modules)\n"
        "print(','.join(heavy))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""

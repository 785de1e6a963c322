"""Store contract: rendered fields, task logs, variables, connections, and copy semantics.

Mixed into `StoreContract`. "Reads return copies" is pinned both ways: mutating a returned
record (or its `conf` / fields dict) does not change the store, and mutating a record after
handing it to the store does not either, so the runtime can keep and edit its own objects.
"""

from __future__ import annotations

from riir_airflow.sdk.state import DagRunState
from riir_airflow.sdk.state import TaskInstanceState as S
from riir_airflow.store import ConnectionRecord, Store, VariableRecord

from .contract_support import at, run, ti, xcom

__all__ = ["DataContract"]


class DataContract:
    # -- rendered fields ------------------------------------------------------------------
    def test_rendered_fields_round_trip_per_task_instance(self, store: Store) -> None:
        store.create_dag_run(run("r1"))
        store.set_rendered_fields("dag_a", "r1", "t1", -1, {"bash_command": "echo 2024-01-01", "env": "{}"})
        store.set_rendered_fields("dag_a", "r1", "t1", 2, {"bash_command": "echo 2"})
        assert store.get_rendered_fields("dag_a", "r1", "t1") == {
            "bash_command": "echo 2024-01-01",
            "env": "{}",
        }
        assert store.get_rendered_fields("dag_a", "r1", "t1", 2) == {"bash_command": "echo 2"}

    def test_set_rendered_fields_replaces_the_whole_mapping(self, store: Store) -> None:
        store.create_dag_run(run("r1"))
        store.set_rendered_fields("dag_a", "r1", "t1", -1, {"a": "1", "b": "2"})
        store.set_rendered_fields("dag_a", "r1", "t1", -1, {"b": "3"})
        assert store.get_rendered_fields("dag_a", "r1", "t1") == {"b": "3"}

    def test_rendered_fields_of_unknown_task_instance_are_none(self, store: Store) -> None:
        store.create_dag_run(run("r1"))
        store.set_rendered_fields("dag_a", "r1", "t1", -1, {"a": "1"})
        assert store.get_rendered_fields("dag_a", "r1", "t2") is None
        assert store.get_rendered_fields("dag_a", "r1", "t1", 0) is None
        assert store.get_rendered_fields("dag_a", "nope", "t1") is None

    def test_empty_rendered_fields_are_stored_as_empty_not_missing(self, store: Store) -> None:
        store.create_dag_run(run("r1"))
        store.set_rendered_fields("dag_a", "r1", "t1", -1, {})
        assert store.get_rendered_fields("dag_a", "r1", "t1") == {}

    # -- logs -----------------------------------------------------------------------------
    def test_read_log_returns_appended_chunks_in_order(self, store: Store) -> None:
        store.create_dag_run(run("r1"))
        for chunk in ("first\n", "second\n", "", "third, no newline", " ünïcode\n"):
            store.append_log("dag_a", "r1", "t1", -1, 1, chunk)
        assert store.read_log("dag_a", "r1", "t1", -1, 1) == "first\nsecond\nthird, no newline ünïcode\n"

    def test_logs_are_kept_per_try_and_map_index(self, store: Store) -> None:
        store.create_dag_run(run("r1"))
        store.append_log("dag_a", "r1", "t1", -1, 1, "try 1\n")
        store.append_log("dag_a", "r1", "t1", -1, 2, "try 2\n")
        store.append_log("dag_a", "r1", "t1", 0, 1, "map 0\n")
        store.append_log("dag_a", "r1", "t2", -1, 1, "t2\n")
        assert store.read_log("dag_a", "r1", "t1", -1, 1) == "try 1\n"
        assert store.read_log("dag_a", "r1", "t1", -1, 2) == "try 2\n"
        assert store.read_log("dag_a", "r1", "t1", 0, 1) == "map 0\n"
        assert store.read_log("dag_a", "r1", "t2", -1, 1) == "t2\n"

    def test_read_log_of_unknown_try_is_empty(self, store: Store) -> None:
        store.create_dag_run(run("r1"))
        store.append_log("dag_a", "r1", "t1", -1, 1, "x")
        assert store.read_log("dag_a", "r1", "t1", -1, 3) == ""
        assert store.read_log("dag_a", "nope", "t1", -1, 1) == ""

    # -- variables ------------------------------------------------------------------------
    def test_variables_create_read_replace_delete(self, store: Store) -> None:
        assert store.get_variable("k") is None
        store.set_variable(VariableRecord("k", '{"a": 1}', "desc"))
        assert store.get_variable("k") == VariableRecord("k", '{"a": 1}', "desc")
        store.set_variable(VariableRecord("k", "v2"))
        assert store.get_variable("k") == VariableRecord("k", "v2", None)
        assert store.delete_variable("k") is True
        assert store.get_variable("k") is None
        assert store.delete_variable("k") is False

    def test_variables_are_independent_of_each_other(self, store: Store) -> None:
        store.set_variable(VariableRecord("a", "1"))
        store.set_variable(VariableRecord("b", "2"))
        store.delete_variable("a")
        assert store.get_variable("b") == VariableRecord("b", "2")

    # -- connections ----------------------------------------------------------------------
    def test_connections_round_trip_every_field(self, store: Store) -> None:
        record = ConnectionRecord(
            conn_id="pg",
            conn_type="postgres",
            description="main db",
            host="db.local",
            login="me",
            password="s3cret",
            schema="public",
            port=5432,
            extra='{"sslmode": "require"}',
        )
        store.set_connection(record)
        assert store.get_connection("pg") == record

    def test_connections_create_replace_delete(self, store: Store) -> None:
        assert store.get_connection("c") is None
        store.set_connection(ConnectionRecord("c", "http", host="a", port=80))
        store.set_connection(ConnectionRecord("c", "http", host="b"))
        assert store.get_connection("c") == ConnectionRecord("c", "http", host="b")
        store.set_connection(ConnectionRecord("other", "http"))
        assert store.delete_connection("c") is True
        assert store.get_connection("c") is None
        assert store.delete_connection("c") is False
        assert store.get_connection("other") is not None

    # -- copies ---------------------------------------------------------------------------
    def test_mutating_returned_records_does_not_change_the_store(self, store: Store) -> None:
        created = store.create_dag_run(run("r1", conf={"nested": {"a": [1]}}))
        created.state = DagRunState.FAILED
        created.conf["nested"]["a"].append(2)
        got = store.get_dag_run("dag_a", "r1")
        got.conf["x"] = 1
        store.list_dag_runs("dag_a")[0].note = "changed"
        fresh = store.get_dag_run("dag_a", "r1")
        assert (fresh.state, fresh.conf, fresh.note) == (DagRunState.QUEUED, {"nested": {"a": [1]}}, None)

        store.put_task_instances([ti("t1", state=S.RUNNING, try_number=1)])
        store.get_task_instance("dag_a", "r1", "t1").state = S.FAILED
        store.get_task_instances("dag_a", "r1")[0].state = S.FAILED
        store.get_task_instance_tries("dag_a", "r1", "t1")[0].state = S.FAILED
        assert store.get_task_instance("dag_a", "r1", "t1").state is S.RUNNING
        assert store.get_task_instance_tries("dag_a", "r1", "t1")[0].state is S.RUNNING

        store.set_xcom(xcom("t1", value="1"))
        store.get_xcoms("dag_a", run_id="r1")[0].value = "2"
        assert store.get_xcoms("dag_a", run_id="r1")[0].value == "1"

        store.set_rendered_fields("dag_a", "r1", "t1", -1, {"a": "1"})
        store.get_rendered_fields("dag_a", "r1", "t1")["a"] = "2"
        assert store.get_rendered_fields("dag_a", "r1", "t1") == {"a": "1"}

        store.set_variable(VariableRecord("k", "v"))
        store.get_variable("k").value = "changed"
        store.set_connection(ConnectionRecord("c", host="h"))
        store.get_connection("c").host = "changed"
        assert store.get_variable("k").value == "v"
        assert store.get_connection("c").host == "h"

    def test_mutating_a_record_after_writing_it_does_not_change_the_store(self, store: Store) -> None:
        record = run("r1", conf={"a": [1]})
        store.create_dag_run(record)
        record.conf["a"].append(2)
        record.note = "later"
        assert store.get_dag_run("dag_a", "r1").conf == {"a": [1]}
        assert store.get_dag_run("dag_a", "r1").note is None

        instance = ti("t1", state=S.RUNNING, try_number=1)
        store.put_task_instances([instance])
        instance.state = S.FAILED
        assert store.get_task_instance("dag_a", "r1", "t1").state is S.RUNNING

        fields = {"a": "1"}
        store.set_rendered_fields("dag_a", "r1", "t1", -1, fields)
        fields["a"] = "2"
        assert store.get_rendered_fields("dag_a", "r1", "t1") == {"a": "1"}

    def test_datetimes_given_in_another_timezone_are_the_same_instant(self, store: Store) -> None:
        tokyo = at(1, 9).in_timezone("Asia/Tokyo")
        store.create_dag_run(run("r1", logical_date=tokyo, run_after=tokyo))
        got = store.get_dag_run("dag_a", "r1")
        assert got.logical_date == at(1, 9)
        assert (got.logical_date.hour, got.logical_date.timezone_name) == (9, "UTC")

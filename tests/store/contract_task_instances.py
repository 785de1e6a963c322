"""Store contract, task instances: upsert, idempotence, ordering, try history and clear.

Mixed into `StoreContract`. The try history is what the UI's "tries" and the `try_number`
reported by `dags test` rest on: one record per try (try_number >= 1), holding the latest state
that try reached; try 0 ("never tried") has no entry.
"""

from __future__ import annotations

from riir_airflow.sdk.state import TaskInstanceState as S
from riir_airflow.store import Store

from .contract_support import assert_utc, at, run, ti, xcom

__all__ = ["TaskInstanceContract"]


class TaskInstanceContract:
    def test_put_task_instances_round_trips_every_field(self, store: Store) -> None:
        store.create_dag_run(run("r1"))
        record = ti(
            "t1",
            map_index=3,
            state=S.UP_FOR_RETRY,
            try_number=2,
            max_tries=4,
            start_date=at(1, 1),
            end_date=at(1, 2),
            next_attempt_at=at(1, 3),
            operator="BashOperator",
            pool="p",
            queue="q",
            priority_weight=7,
            hostname="host-1",
            note="boom",
        )
        store.put_task_instances([record])
        got = store.get_task_instance("dag_a", "r1", "t1", 3)
        assert got == record
        assert got.state is S.UP_FOR_RETRY

    def test_get_task_instance_defaults_to_the_unmapped_instance(self, store: Store) -> None:
        store.create_dag_run(run("r1"))
        store.put_task_instances([ti("t1", state=S.SUCCESS), ti("t1", map_index=0, state=S.FAILED)])
        assert store.get_task_instance("dag_a", "r1", "t1").state is S.SUCCESS
        assert store.get_task_instance("dag_a", "r1", "t1", 0).state is S.FAILED

    def test_get_task_instance_of_unknown_key_is_none(self, store: Store) -> None:
        store.create_dag_run(run("r1"))
        store.put_task_instances([ti("t1")])
        assert store.get_task_instance("dag_a", "r1", "t2") is None
        assert store.get_task_instance("dag_a", "r1", "t1", 5) is None
        assert store.get_task_instance("dag_a", "nope", "t1") is None

    def test_putting_the_same_records_twice_changes_nothing_more(self, store: Store) -> None:
        store.create_dag_run(run("r1"))
        records = [ti("t1", state=S.RUNNING, try_number=1), ti("t2", map_index=0)]
        store.put_task_instances(records)
        first = (store.get_task_instances("dag_a", "r1"), store.get_task_instance_tries("dag_a", "r1", "t1"))
        store.put_task_instances(records)
        second = (store.get_task_instances("dag_a", "r1"), store.get_task_instance_tries("dag_a", "r1", "t1"))
        assert first == second
        assert len(second[0]) == 2
        assert len(second[1]) == 1

    def test_put_task_instances_replaces_the_record_of_the_same_key(self, store: Store) -> None:
        store.create_dag_run(run("r1"))
        store.put_task_instances([ti("t1", state=S.QUEUED, try_number=1, hostname="a")])
        store.put_task_instances([ti("t1", state=S.SUCCESS, try_number=1, end_date=at(1, 1))])
        (got,) = store.get_task_instances("dag_a", "r1")
        assert (got.state, got.hostname, got.end_date) == (S.SUCCESS, "", at(1, 1))

    def test_put_with_an_empty_sequence_is_a_no_op(self, store: Store) -> None:
        store.create_dag_run(run("r1"))
        store.put_task_instances([])
        assert store.get_task_instances("dag_a", "r1") == []

    def test_get_task_instances_orders_by_task_id_then_map_index(self, store: Store) -> None:
        store.create_dag_run(run("r1"))
        store.put_task_instances(
            [ti("b", map_index=1), ti("a"), ti("b", map_index=0), ti("b", map_index=10), ti("c")]
        )
        keys = [r.key for r in store.get_task_instances("dag_a", "r1")]
        assert keys == [("a", -1), ("b", 0), ("b", 1), ("b", 10), ("c", -1)]

    def test_task_instances_belong_to_their_run_and_dag(self, store: Store) -> None:
        store.create_dag_run(run("r1", day=1))
        store.create_dag_run(run("r2", day=2))
        store.create_dag_run(run("r1", day=1, dag_id="dag_b"))
        store.put_task_instances(
            [ti("t1", state=S.SUCCESS), ti("t1", run_id="r2", state=S.FAILED),
             ti("t1", dag_id="dag_b", state=S.SKIPPED)]
        )  # fmt: skip
        assert [r.state for r in store.get_task_instances("dag_a", "r1")] == [S.SUCCESS]
        assert [r.state for r in store.get_task_instances("dag_a", "r2")] == [S.FAILED]
        assert [r.state for r in store.get_task_instances("dag_b", "r1")] == [S.SKIPPED]

    # -- try history ----------------------------------------------------------------------
    def test_try_history_keeps_the_latest_state_of_each_try_in_try_order(self, store: Store) -> None:
        store.create_dag_run(run("r1"))
        for state, try_number in [
            (S.SCHEDULED, 1), (S.RUNNING, 1), (S.UP_FOR_RETRY, 1),
            (S.SCHEDULED, 2), (S.RUNNING, 2), (S.FAILED, 2),
        ]:  # fmt: skip
            store.put_task_instances([ti("t1", state=state, try_number=try_number)])
        tries = store.get_task_instance_tries("dag_a", "r1", "t1")
        assert [(t.try_number, t.state) for t in tries] == [(1, S.UP_FOR_RETRY), (2, S.FAILED)]
        assert store.get_task_instance("dag_a", "r1", "t1").state is S.FAILED

    def test_try_history_entries_are_full_records(self, store: Store) -> None:
        store.create_dag_run(run("r1"))
        record = ti("t1", state=S.FAILED, try_number=1, hostname="h", start_date=at(1, 1), note="err")
        store.put_task_instances([record])
        assert store.get_task_instance_tries("dag_a", "r1", "t1") == [record]

    def test_a_never_tried_instance_has_no_try_history(self, store: Store) -> None:
        store.create_dag_run(run("r1"))
        store.put_task_instances([ti("t1", state=S.NONE, try_number=0), ti("t2", state=S.SKIPPED)])
        assert store.get_task_instance_tries("dag_a", "r1", "t1") == []
        assert store.get_task_instance_tries("dag_a", "r1", "t2") == []

    def test_several_records_of_one_instance_in_one_call_apply_in_order(self, store: Store) -> None:
        store.create_dag_run(run("r1"))
        store.put_task_instances(
            [ti("t1", state=S.RUNNING, try_number=1), ti("t1", state=S.UP_FOR_RETRY, try_number=1),
             ti("t1", state=S.RUNNING, try_number=2)]
        )  # fmt: skip
        assert store.get_task_instance("dag_a", "r1", "t1").state is S.RUNNING
        tries = store.get_task_instance_tries("dag_a", "r1", "t1")
        assert [(t.try_number, t.state) for t in tries] == [(1, S.UP_FOR_RETRY), (2, S.RUNNING)]

    def test_try_history_is_kept_per_map_index(self, store: Store) -> None:
        store.create_dag_run(run("r1"))
        store.put_task_instances(
            [ti("t1", map_index=0, state=S.SUCCESS, try_number=1),
             ti("t1", map_index=1, state=S.FAILED, try_number=1)]
        )  # fmt: skip
        assert [t.state for t in store.get_task_instance_tries("dag_a", "r1", "t1", 0)] == [S.SUCCESS]
        assert [t.state for t in store.get_task_instance_tries("dag_a", "r1", "t1", 1)] == [S.FAILED]
        assert store.get_task_instance_tries("dag_a", "r1", "t1") == []

    def test_returned_task_instance_datetimes_are_utc_pendulum(self, store: Store) -> None:
        store.create_dag_run(run("r1"))
        paris = "Europe/Paris"
        store.put_task_instances(
            [ti("t1", state=S.UP_FOR_RETRY, try_number=1, start_date=at(1, 1).in_timezone(paris),
                end_date=at(1, 2).in_timezone(paris), next_attempt_at=at(1, 3).in_timezone(paris))]
        )  # fmt: skip
        for got in (
            store.get_task_instance("dag_a", "r1", "t1"),
            store.get_task_instances("dag_a", "r1")[0],
            store.get_task_instance_tries("dag_a", "r1", "t1")[0],
        ):
            for value in (got.start_date, got.end_date, got.next_attempt_at):
                assert_utc(value)
            assert got.next_attempt_at == at(1, 3)

    # -- delete one instance ----------------------------------------------------------------
    def test_delete_task_instance_removes_it_with_history_and_xcoms_and_nothing_else(self, store: Store) -> None:
        store.create_dag_run(run("r1"))
        store.put_task_instances(
            [ti("m", map_index=-1, state=S.FAILED, try_number=1), ti("m", map_index=0, state=S.SUCCESS, try_number=1)]
        )
        store.set_xcom(xcom("m", map_index=-1))
        store.set_xcom(xcom("m", map_index=0))
        store.delete_task_instance("dag_a", "r1", "m", -1)
        assert [r.key for r in store.get_task_instances("dag_a", "r1")] == [("m", 0)]
        assert store.get_task_instance_tries("dag_a", "r1", "m", -1) == []
        assert [x.map_index for x in store.get_xcoms("dag_a", run_id="r1")] == [0]
        store.delete_task_instance("dag_a", "r1", "missing", -1)  # no error

    # -- clear ----------------------------------------------------------------------------
    def test_clear_resets_state_to_none_and_keeps_try_number_and_history(self, store: Store) -> None:
        store.create_dag_run(run("r1"))
        store.put_task_instances([ti("t1", state=S.UP_FOR_RETRY, try_number=1, max_tries=3)])
        store.put_task_instances([ti("t1", state=S.FAILED, try_number=2, max_tries=3, note="boom")])
        store.clear_task_instances("dag_a", "r1", ["t1"])
        got = store.get_task_instance("dag_a", "r1", "t1")
        assert got.state is S.NONE
        assert (got.try_number, got.max_tries) == (2, 3)
        tries = store.get_task_instance_tries("dag_a", "r1", "t1")
        assert [(t.try_number, t.state) for t in tries] == [(1, S.UP_FOR_RETRY), (2, S.FAILED)]

    def test_clear_drops_the_reason_and_retry_time_of_the_old_state(self, store: Store) -> None:
        store.create_dag_run(run("r1"))
        store.put_task_instances(
            [ti("t1", state=S.UP_FOR_RETRY, try_number=1, next_attempt_at=at(1, 1), note="why")]
        )
        store.clear_task_instances("dag_a", "r1", ["t1"])
        got = store.get_task_instance("dag_a", "r1", "t1")
        assert (got.next_attempt_at, got.note) == (None, None)

    def test_clear_applies_to_every_map_index_of_the_task_and_nothing_else(self, store: Store) -> None:
        store.create_dag_run(run("r1", day=1))
        store.create_dag_run(run("r2", day=2))
        store.put_task_instances(
            [ti("m", map_index=i, state=S.SUCCESS, try_number=1) for i in range(3)]
            + [ti("other", state=S.SUCCESS, try_number=1), ti("m", run_id="r2", state=S.SUCCESS)]
        )
        store.clear_task_instances("dag_a", "r1", ["m"])
        states = {r.key: r.state for r in store.get_task_instances("dag_a", "r1")}
        assert states == {("m", 0): S.NONE, ("m", 1): S.NONE, ("m", 2): S.NONE, ("other", -1): S.SUCCESS}
        assert store.get_task_instance("dag_a", "r2", "m").state is S.SUCCESS

    def test_clear_of_a_map_index_resets_only_that_index(self, store: Store) -> None:
        store.create_dag_run(run("r1"))
        store.put_task_instances(
            [ti("m", map_index=i, state=S.FAILED, try_number=1, max_tries=2) for i in range(3)]
            + [ti("other", state=S.SUCCESS, try_number=1)]
        )
        store.put_task_instances([ti("m", map_index=1, state=S.SUCCESS, try_number=2, max_tries=2, note="n")])
        for x in (xcom("m", map_index=0), xcom("m", map_index=1), xcom("m", "k2", map_index=1)):
            store.set_xcom(x)
        store.set_xcom(xcom("other"))
        store.clear_task_instances("dag_a", "r1", ["m", "other"], map_indexes={"m": [1]})
        got = {r.key: r for r in store.get_task_instances("dag_a", "r1")}
        assert {k: r.state for k, r in got.items()} == {
            ("m", 0): S.FAILED, ("m", 1): S.NONE, ("m", 2): S.FAILED, ("other", -1): S.NONE,
        }  # fmt: skip
        assert (got[("m", 1)].try_number, got[("m", 1)].note) == (2, None)
        tries = store.get_task_instance_tries("dag_a", "r1", "m", 1)
        assert [(t.try_number, t.state) for t in tries] == [(1, S.FAILED), (2, S.SUCCESS)]
        assert [(x.task_id, x.map_index) for x in store.get_xcoms("dag_a", run_id="r1")] == [("m", 0)]
        store.clear_task_instances("dag_a", "r1", ["m"], map_indexes={"m": [], "nope": [0]})  # nothing named
        assert store.get_task_instance("dag_a", "r1", "m", 0).state is S.FAILED
        store.clear_task_instances("dag_a", "r1", ["m"], map_indexes={"other": [0]})  # m: every index
        assert {r.state for r in store.get_task_instances("dag_a", "r1")} == {S.NONE}

    def test_clear_drops_the_xcoms_of_the_cleared_tasks_only(self, store: Store) -> None:
        store.create_dag_run(run("r1", day=1))
        store.create_dag_run(run("r2", day=2))
        store.put_task_instances([ti("t1", state=S.SUCCESS, try_number=1), ti("t2", state=S.SUCCESS)])
        for x in (xcom("t1"), xcom("t1", "k2"), xcom("t1", map_index=0), xcom("t2"), xcom("t1", run_id="r2")):
            store.set_xcom(x)
        store.clear_task_instances("dag_a", "r1", ["t1"])
        assert [(x.task_id, x.key) for x in store.get_xcoms("dag_a", run_id="r1")] == [("t2", "return_value")]
        assert len(store.get_xcoms("dag_a", run_id="r2")) == 1

    def test_clear_of_unknown_or_no_tasks_is_a_no_op(self, store: Store) -> None:
        store.create_dag_run(run("r1"))
        store.put_task_instances([ti("t1", state=S.SUCCESS, try_number=1)])
        store.set_xcom(xcom("t1"))
        store.clear_task_instances("dag_a", "r1", ["nope"])
        store.clear_task_instances("dag_a", "r1", [])
        store.clear_task_instances("dag_a", "no_run", ["t1"])
        assert store.get_task_instance("dag_a", "r1", "t1").state is S.SUCCESS
        assert len(store.get_xcoms("dag_a", run_id="r1")) == 1

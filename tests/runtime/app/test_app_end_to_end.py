"""The DAG app as it runs in production: real broker and app processes on 127.0.0.1, on SQLite
and on PostgreSQL. Each test states what an operator can rely on."""

from __future__ import annotations

import signal
import time

import sqlalchemy as sa

from riir_airflow.metastore import tables
from riir_airflow.metastore.engine import create_engine

from .conftest import System

CHAIN = """
    import pendulum
    from riir_airflow.sdk import DAG, task

    with DAG("chain", schedule=None, start_date=pendulum.datetime(2024, 1, 1, tz="UTC"),
             is_paused_upon_creation=False):
        @task
        def a():
            return 1

        @task
        def b(x):
            print(f"b got {x}")
            return x + 1

        @task
        def c(x):
            return x * 10

        c(b(a()))
"""


def test_a_triggered_run_starts_at_once_and_runs_its_tasks_in_workers(system: System) -> None:
    system.start_app(system.write_dag("chain", CHAIN), wait_for="chain")
    command = system.trigger("chain")
    run = system.finished_run("chain")
    assert run.state.value == "success"
    assert system.states("chain", run.run_id) == {"a": "success", "b": "success", "c": "success"}
    xcom = system.admin.get_xcoms("chain", run_id=run.run_id, task_ids=["c"], keys=["return_value"])
    assert [x.value for x in xcom] == ["20"]
    assert "b got 1" in system.admin.read_log("chain", run.run_id, "b", -1, 1)
    first = min(ti.start_date for ti in system.admin.get_task_instances("chain", run.run_id))
    print(f"trigger -> first task start: {(first - command.created_at).total_seconds() * 1000:.0f} ms")
    assert (first - command.created_at).total_seconds() < 10  # promptness is measured in bench/


def test_scheduled_runs_are_created_on_schedule(system: System) -> None:
    path = system.write_dag("every2s", """
        import datetime, pendulum
        from riir_airflow.sdk import DAG
        from riir_airflow.providers.standard.operators.empty import EmptyOperator

        with DAG("every2s", schedule=datetime.timedelta(seconds=2), catchup=False,
                 start_date=pendulum.datetime(2024, 1, 1, tz="UTC"), is_paused_upon_creation=False):
            EmptyOperator(task_id="tick")
    """)
    system.start_app(path, wait_for="every2s")
    system.wait(lambda: len([r for r in system.runs("every2s") if r.state.value == "success"]) >= 3,
                timeout=30, what="three scheduled runs")  # fmt: skip
    runs = sorted((r for r in system.runs("every2s") if r.run_type == "scheduled"), key=lambda r: r.run_after)
    afters = [r.run_after for r in runs]
    gaps = [(b - a).total_seconds() for a, b in zip(afters, afters[1:], strict=False)]
    assert gaps and all(abs(gap - 2) < 0.1 for gap in gaps), afters
    for run in runs[1:]:
        started = system.admin.get_task_instance("every2s", run.run_id, "tick").start_date
        assert started is not None and (started - run.run_after).total_seconds() < 5


SLOW_MIDDLE = """
    import time, pendulum
    from riir_airflow.sdk import DAG, task

    with DAG("slow", schedule=None, start_date=pendulum.datetime(2024, 1, 1, tz="UTC"),
             is_paused_upon_creation=False, default_args={"retries": 1, "retry_delay": 0}):
        @task
        def a():
            return "a"

        @task
        def b(x, ti=None):
            if ti.try_number == 1:
                time.sleep(60)
            return x + "b"

        @task
        def c(x):
            return x + "c"

        c(b(a()))
"""


def _running(system: System, dag_id: str, task_id: str) -> bool:
    return any(
        ti.task_id == task_id and ti.state.value == "running"
        for run in system.runs(dag_id)
        for ti in system.admin.get_task_instances(dag_id, run.run_id)
    )


def test_an_app_killed_mid_run_is_replaced_and_every_task_ends_right_once(system: System) -> None:
    path = system.write_dag("slow", SLOW_MIDDLE)
    app = system.start_app(path, wait_for="slow")
    system.trigger("slow")
    system.wait(lambda: _running(system, "slow", "b"), what="b running")
    app.signal(signal.SIGKILL)
    app.wait()
    system.start_app(path)  # takes the lease once the dead app's expires (3 s here)
    run = system.finished_run("slow", timeout=90)
    assert run.state.value == "success"
    tis = {ti.task_id: ti for ti in system.admin.get_task_instances("slow", run.run_id)}
    assert (tis["a"].state.value, tis["a"].try_number) == ("success", 1)  # not run again
    assert (tis["b"].state.value, tis["b"].try_number) == ("success", 2)  # the killed try counted
    assert (tis["c"].state.value, tis["c"].try_number) == ("success", 1)
    xcom = system.admin.get_xcoms("slow", run_id=run.run_id, task_ids=["c"], keys=["return_value"])
    assert [x.value for x in xcom] == ['"abc"']


def test_sigterm_drains_and_hands_running_tries_back_for_the_next_app(system: System) -> None:
    path = system.write_dag("slow", SLOW_MIDDLE.replace('"retries": 1', '"retries": 0'))
    app = system.start_app(path, "--drain-grace", "1", wait_for="slow")
    system.trigger("slow")
    system.wait(lambda: _running(system, "slow", "b"), what="b running")
    app.signal(signal.SIGTERM)
    assert app.wait(30) == 0
    (run,) = system.runs("slow")
    assert run.state.value == "running"  # draining never ends or deletes a run
    b = system.admin.get_task_instance("slow", run.run_id, "b")
    assert b.state.value == "up_for_retry"  # handed back, its retry not used up
    assert "drained" in app.text() or "handing" in app.text()
    system.start_app(path)
    run = system.finished_run("slow", timeout=60)
    assert run.state.value == "success"
    assert system.admin.get_task_instance("slow", run.run_id, "b").try_number == 2


def test_a_broker_away_for_ten_seconds_loses_nothing(system: System) -> None:
    path = system.write_dag("steps", """
        import time, pendulum
        from riir_airflow.sdk import DAG, task, chain

        with DAG("steps", schedule=None, start_date=pendulum.datetime(2024, 1, 1, tz="UTC"),
                 is_paused_upon_creation=False):
            @task
            def step(n):
                print(f"step {n} printing")
                time.sleep(1.5)
                return n

            chain(*[step.override(task_id=f"s{i}")(i) for i in range(5)])
    """)
    system.start_app(path, wait_for="steps")
    system.trigger("steps")
    system.wait(lambda: _running(system, "steps", "s0"), what="s0 running")
    system.restart_broker(down_seconds=10)
    run = system.finished_run("steps", timeout=120)
    assert run.state.value == "success", (system.states("steps", run.run_id), system.apps[0].text()[-6000:])
    assert set(system.states("steps", run.run_id).values()) == {"success"}
    for i in range(5):
        assert f"step {i} printing" in system.admin.read_log("steps", run.run_id, f"s{i}", -1, 1)
        assert system.admin.get_task_instance("steps", run.run_id, f"s{i}").try_number == 1


def test_trigger_dag_run_and_assets_work_between_two_apps(system: System) -> None:
    upstream = system.write_dag("upstream", """
        import pendulum
        from riir_airflow.sdk import DAG, Asset, task
        from riir_airflow.providers.standard.operators.trigger_dagrun import TriggerDagRunOperator

        with DAG("upstream", schedule=None, start_date=pendulum.datetime(2024, 1, 1, tz="UTC"),
                 is_paused_upon_creation=False):
            @task(outlets=[Asset("s3://bucket/report")])
            def publish():
                return "published"

            publish() >> TriggerDagRunOperator(
                task_id="kick", trigger_dag_id="downstream", conf={"from": "upstream"},
                wait_for_completion=True, poke_interval=0.2,
            )
    """)
    downstream = system.write_dag("downstream", """
        import pendulum
        from riir_airflow.sdk import DAG, Asset, task

        with DAG("downstream", schedule=None, start_date=pendulum.datetime(2024, 1, 1, tz="UTC"),
                 is_paused_upon_creation=False):
            @task
            def echo(dag_run=None):
                return dag_run.conf["from"]

            echo()

        with DAG("consumer", schedule=[Asset("s3://bucket/report")],
                 start_date=pendulum.datetime(2024, 1, 1, tz="UTC"), is_paused_upon_creation=False):
            @task
            def consume(triggering_asset_events=None):
                return [e.uri for events in triggering_asset_events.values() for e in events]

            consume()
    """)
    system.start_app(downstream, wait_for="consumer")
    system.start_app(upstream, wait_for="upstream")
    system.trigger("upstream")
    run = system.finished_run("upstream", timeout=60)
    assert system.states("upstream", run.run_id) == {"publish": "success", "kick": "success"}
    (triggered,) = system.runs("downstream")
    assert (triggered.state.value, triggered.triggered_by, triggered.conf) == ("success", "operator", {"from": "upstream"})
    consumed = system.finished_run("consumer", timeout=30)
    assert consumed.run_type == "asset_triggered" and consumed.state.value == "success"
    xcom = system.admin.get_xcoms("consumer", run_id=consumed.run_id, task_ids=["consume"], keys=["return_value"])
    assert [x.value for x in xcom] == ['["s3://bucket/report"]']


def test_retire_refuses_while_served_then_leaves_no_row_of_the_dag(system: System) -> None:
    path = system.write_dag("chain", CHAIN)
    app = system.start_app(path, wait_for="chain")
    system.trigger("chain")
    system.finished_run("chain")
    env = {**system.env, "RIIR_API_URL": system.broker.url, "RIIR_API_USERNAME": "admin", "RIIR_API_PASSWORD": "admin"}
    from broker.support import riir

    refused = riir(env, "app", "retire", str(path), check=False)
    assert refused.returncode == 1 and "still served" in refused.stderr
    app.stop()
    done = riir(env, "app", "retire", str(path))
    assert "retired chain" in done.stdout
    engine = create_engine(system.env["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"])
    left = {}
    with engine.connect() as conn:
        for table in tables.metadata.sorted_tables:
            # The lease row keeps its fencing token (a retired app's writes can never pass again)
            # and the audit log keeps the record of the retirement, as Airflow keeps its log.
            if "dag_id" in table.c and table not in (tables.dag_lease, tables.audit_log):
                n = conn.execute(sa.select(sa.func.count()).select_from(table).where(table.c.dag_id == "chain")).scalar()
                if n:
                    left[table.name] = n
    engine.dispose()
    assert left == {}


def test_a_dag_file_that_does_not_import_exits_2_and_is_reported(system: System) -> None:
    path = system.write_dag("broken", "from riir_airflow.sdk import DAG\nraise RuntimeError('boom at import')\n")
    app = system.start_app(path)
    assert app.wait(60) == 2
    from riir_airflow.metastore.database import Database
    from riir_airflow.metastore.registry import MetastoreRegistry

    engine = create_engine(system.env["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"])
    errors = MetastoreRegistry(Database(engine)).import_errors()
    engine.dispose()
    assert [e.fileloc for e in errors] == [str(path)]
    assert "boom at import" in errors[0].stacktrace
    time.sleep(0)  # nothing else to wait for


def test_a_pool_with_one_slot_runs_its_tasks_one_at_a_time(system: System) -> None:
    from riir_airflow.metastore.database import Database
    from riir_airflow.metastore.pools import PoolRecord
    from riir_airflow.metastore.registry import MetastoreRegistry

    engine = create_engine(system.env["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"])
    MetastoreRegistry(Database(engine)).set_pool(PoolRecord("single", 1))
    engine.dispose()
    path = system.write_dag("pooled", """
        import time, pendulum
        from riir_airflow.sdk import DAG, task

        with DAG("pooled", schedule=None, start_date=pendulum.datetime(2024, 1, 1, tz="UTC"),
                 is_paused_upon_creation=False):
            @task(pool="single")
            def work(n):
                time.sleep(0.5)
                return n

            work.expand(n=[1, 2, 3])
    """)
    system.start_app(path, wait_for="pooled")
    system.trigger("pooled")
    run = system.finished_run("pooled", timeout=60)
    assert run.state.value == "success"
    spans = sorted(
        (ti.start_date, ti.end_date) for ti in system.admin.get_task_instances("pooled", run.run_id)
    )
    assert len(spans) == 3
    assert all(later[0] >= earlier[1] for earlier, later in zip(spans, spans[1:], strict=False))


def test_a_deferred_task_is_resumed_not_retried_by_the_app_that_replaces_a_killed_one(system: System) -> None:
    path = system.write_dag("waits", """
        import pendulum
        from riir_airflow.sdk import DAG, task
        from riir_airflow.providers.standard.sensors.date_time import DateTimeSensor

        with DAG("waits", schedule=None, start_date=pendulum.datetime(2024, 1, 1, tz="UTC"),
                 is_paused_upon_creation=False):
            wait = DateTimeSensor(
                task_id="wait", deferrable=True,
                target_time="{{ (dag_run.run_after + macros.timedelta(seconds=6)).isoformat() }}",
            )

            @task
            def after():
                return "done"

            wait >> after()
    """)
    app = system.start_app(path, wait_for="waits")
    system.trigger("waits")

    def deferred() -> bool:
        return any(
            ti.task_id == "wait" and ti.state.value == "deferred"
            for run in system.runs("waits")
            for ti in system.admin.get_task_instances("waits", run.run_id)
        )

    system.wait(deferred, what="wait deferred")
    (run,) = system.runs("waits")
    assert [d.task_id for d in system.admin.get_deferrals("waits", run.run_id)] == ["wait"]
    app.signal(signal.SIGKILL)
    app.wait()
    system.start_app(path)
    run = system.finished_run("waits", timeout=60)
    assert run.state.value == "success"
    wait = system.admin.get_task_instance("waits", run.run_id, "wait")
    assert (wait.state.value, wait.try_number) == ("success", 1)  # resumed, not retried
    assert (wait.end_date - run.run_after).total_seconds() >= 6
    assert system.admin.get_deferrals("waits", run.run_id) == []


def test_a_running_tasks_output_is_readable_before_it_ends(system: System) -> None:
    path = system.write_dag("chatty", """
        import sys, time, pendulum
        from riir_airflow.sdk import DAG, task

        with DAG("chatty", schedule=None, start_date=pendulum.datetime(2024, 1, 1, tz="UTC"),
                 is_paused_upon_creation=False):
            @task
            def talk():
                print("first words", flush=True)
                print("to stderr too", file=sys.stderr, flush=True)
                time.sleep(8)
                print("last words")

            talk()
    """)
    system.start_app(path, wait_for="chatty")
    system.trigger("chatty")
    system.wait(lambda: _running(system, "chatty", "talk"), what="talk running")
    (run,) = system.runs("chatty")
    text = system.wait(
        lambda: (t := system.admin.read_log("chatty", run.run_id, "talk", -1, 1)) and "first words" in t and t,
        timeout=6, what="the first words in the log while talk runs",
    )  # fmt: skip
    assert "to stderr too" in text and "last words" not in text
    assert system.admin.get_task_instance("chatty", run.run_id, "talk").state.value == "running"
    run = system.finished_run("chatty", timeout=30)
    assert "last words" in system.admin.read_log("chatty", run.run_id, "talk", -1, 1)


def test_a_task_printing_more_than_a_request_may_carry_finishes_with_its_whole_log(system: System) -> None:
    # 12 MiB of output at once: more than the broker accepts in one request (8 MiB); the app
    # must ship it in pieces, not take the refusal for an outage and stall the run.
    path = system.write_dag("loud", """
        import sys, pendulum
        from riir_airflow.sdk import DAG, task

        with DAG("loud", schedule=None, start_date=pendulum.datetime(2024, 1, 1, tz="UTC"),
                 is_paused_upon_creation=False):
            @task
            def shout():
                for i in range(12 * 1024):
                    sys.stdout.write(f"{i:08d}" + "x" * 1015 + "\\n")
                return 1

            @task
            def after(value):
                return value + 1

            after(shout())
    """)
    system.start_app(path, wait_for="loud")
    system.trigger("loud")
    run = system.finished_run("loud", timeout=60)
    assert system.states("loud", run.run_id) == {"shout": "success", "after": "success"}
    text = system.admin.read_log("loud", run.run_id, "shout", -1, 1)
    assert f"{0:08d}x" in text and f"{12 * 1024 - 1:08d}x" in text
    assert text.count("x" * 1015 + "\n") == 12 * 1024


def test_plain_empty_operators_succeed_without_running_as_airflows_scheduler_does(system: System) -> None:
    path = system.write_dag("markers", """
        import pendulum
        from riir_airflow.sdk import DAG, task
        from riir_airflow.providers.standard.operators.empty import EmptyOperator

        def announce(context):
            print("end's success callback ran")

        with DAG("markers", schedule=None, start_date=pendulum.datetime(2024, 1, 1, tz="UTC"),
                 is_paused_upon_creation=False):
            @task
            def work():
                print("work ran")

            start = EmptyOperator(task_id="start")
            end = EmptyOperator(task_id="end", on_success_callback=announce)
            start >> work() >> end
    """)
    system.start_app(path, wait_for="markers")
    system.trigger("markers")
    run = system.finished_run("markers", timeout=30)
    assert system.states("markers", run.run_id) == {"start": "success", "work": "success", "end": "success"}
    tis = {ti.task_id: ti for ti in system.admin.get_task_instances("markers", run.run_id)}
    assert tis["start"].try_number == 1 and tis["start"].start_date == tis["start"].end_date
    assert "work ran" in system.admin.read_log("markers", run.run_id, "work", -1, 1)
    # start never reached a worker (no output at all); end has a callback, so it ran like any task
    assert not system.admin.read_log("markers", run.run_id, "start", -1, 1)
    assert "end's success callback ran" in system.admin.read_log("markers", run.run_id, "end", -1, 1)


def test_clear_and_mark_through_the_api_reach_the_app_at_once(system: System) -> None:
    from broker.support import http, login

    path = system.write_dag("slow", """
        import time, pendulum
        from riir_airflow.sdk import DAG, task, chain

        with DAG("slow", schedule=None, start_date=pendulum.datetime(2024, 1, 1, tz="UTC"),
                 is_paused_upon_creation=False):
            @task
            def a():
                return "a"

            @task
            def b():
                time.sleep(60)

            @task
            def c():
                return "c"

            chain(a(), b(), c())
    """)
    system.start_app(path, wait_for="slow")
    system.trigger("slow")
    system.wait(lambda: _running(system, "slow", "b"), what="b running")
    (run,) = system.runs("slow")
    token = login(system.broker.url, "admin", "admin")
    base = f"{system.broker.url}/api/v2/dags/slow/dagRuns/{run.run_id}"
    status, body = http("PATCH", f"{base}/taskInstances/b", {"new_state": "success"}, token=token)
    assert status == 200, body
    run = system.finished_run("slow", timeout=30)  # b's worker killed, c ran on
    assert run.state.value == "success"
    assert system.states("slow", run.run_id) == {"a": "success", "b": "success", "c": "success"}
    assert system.admin.get_task_instance("slow", run.run_id, "b").try_number == 1

    status, body = http(
        "POST", f"{system.broker.url}/api/v2/dags/slow/clearTaskInstances",
        {"dag_run_id": run.run_id, "task_ids": ["c"], "dry_run": False, "only_failed": False}, token=token,
    )  # fmt: skip
    assert status == 200, body
    system.wait(
        lambda: system.admin.get_task_instance("slow", run.run_id, "c").try_number == 2
        and system.admin.get_dag_run("slow", run.run_id).state.value == "success",
        timeout=30, what="c run again after the clear",
    )  # fmt: skip


def test_clearing_one_map_index_through_the_api_runs_only_it_again(system: System) -> None:
    from broker.support import http, login

    path = system.write_dag("fan", """
        import pendulum
        from riir_airflow.sdk import DAG, task

        with DAG("fan", schedule=None, start_date=pendulum.datetime(2024, 1, 1, tz="UTC"),
                 is_paused_upon_creation=False):
            @task
            def work(n):
                return n

            @task
            def total(values):
                return sum(values)

            total(work.expand(n=[1, 2, 3]))
    """)
    system.start_app(path, wait_for="fan")
    system.trigger("fan")
    run = system.finished_run("fan", timeout=60)
    assert run.state.value == "success"
    token = login(system.broker.url, "admin", "admin")
    status, body = http(
        "POST", f"{system.broker.url}/api/v2/dags/fan/clearTaskInstances",
        {"dag_run_id": run.run_id, "task_ids": [["work", 1]], "dry_run": False, "only_failed": False},
        token=token,
    )  # fmt: skip
    assert status == 200, body

    def tries() -> dict[tuple[str, int], tuple[str, int]]:
        return {
            (ti.task_id, ti.map_index): (ti.state.value, ti.try_number)
            for ti in system.admin.get_task_instances("fan", run.run_id)
        }

    system.wait(
        lambda: tries().get(("work", 1)) == ("success", 2)
        and system.admin.get_dag_run("fan", run.run_id).state.value == "success",
        timeout=30, what="work[1] run again after the clear",
    )  # fmt: skip
    assert tries() == {
        ("work", 0): ("success", 1), ("work", 1): ("success", 2), ("work", 2): ("success", 1),
        ("total", -1): ("success", 1),
    }  # fmt: skip

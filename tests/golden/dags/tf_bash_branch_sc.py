"""@task.bash (returns the command to run; XCom is the last stdout line; rendered bash_command),
@task.branch choosing from its return value, @task.short_circuit with a truthy and a falsy value."""
import pendulum

from riir_airflow.sdk import dag, task

GOLDEN_ARGS = {"logical_date": "2024-03-05T06:00:00+00:00", "conf": {"route": "right"}}


@dag(schedule=None, start_date=pendulum.datetime(2024, 1, 1, tz="UTC"))
def tf_bash_branch_sc():
    @task.bash
    def say(word: str):
        return f"echo said {word} on {{{{ ds }}}}"

    @task.bash(env={"X": "from-env"}, append_env=True)
    def with_env():
        return 'echo "X=$X"'

    @task.bash
    def skip_me():
        return "exit 99"

    @task.branch
    def route(dag_run=None):
        return dag_run.conf["route"]

    @task
    def left():
        return "L"

    @task
    def right():
        return "R"

    @task(trigger_rule="none_failed_min_one_success")
    def merged():
        return "merged"

    @task.short_circuit
    def yes():
        return "non-empty"

    @task.short_circuit
    def no():
        return ""

    @task
    def after_yes():
        return "ran"

    @task
    def after_no():
        return "never"

    s = say("hello")
    s >> with_env() >> skip_me()
    r = route()
    r >> [left(), right()] >> merged()
    yes() >> after_yes()
    no() >> after_no()


tf_bash_branch_sc()

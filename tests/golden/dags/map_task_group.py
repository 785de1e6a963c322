"""Mapped task groups: `@task_group` `.expand()` over a literal list, `.partial(...).expand()` over an
upstream XCom, `.expand_kwargs()`; each member runs per map index and instance i of a member reads
instance i of the member before it; a reducer after the group gets the last member's values in
map-index order; a task inside the group that does not depend on the mapped argument is still
mapped (one instance per index)."""
import pendulum

from riir_airflow.sdk import dag, task, task_group

GOLDEN_ARGS = {"logical_date": "2024-03-05T06:00:00+00:00"}


@dag(schedule=None, start_date=pendulum.datetime(2024, 1, 1, tz="UTC"))
def map_task_group():
    @task
    def source():
        return ["a", "bb", "ccc"]

    @task
    def measure(word, ti=None):
        return {"word": word, "len": len(word), "i": ti.map_index}

    @task
    def label(m, suffix=""):
        return f"{m['word']}:{m['len']}{suffix}"

    @task
    def constant(ti=None):
        return f"const-{ti.map_index}"

    @task
    def collect(values):
        return list(values)

    @task_group
    def per_word(word):
        m = measure(word)
        label(m)
        constant()
        return label.override(task_id="label_bang")(m, suffix="!")

    @task_group
    def with_suffix(word, suffix):
        return label(measure(word), suffix=suffix)

    @task_group
    def kw(word, suffix):
        return label(measure(word), suffix=suffix)

    lit = per_word.expand(word=["x", "yy"])
    collect.override(task_id="collect_literal")(lit)
    part = with_suffix.partial(suffix="?").expand(word=source())
    collect.override(task_id="collect_partial")(part)
    kw.expand_kwargs([{"word": "k", "suffix": "1"}, {"word": "kk", "suffix": "2"}])


map_task_group()

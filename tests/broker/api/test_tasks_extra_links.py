"""`extra_links` of `GET /api/v2/dags/{dag_id}/tasks[/{task_id}]` through the official client, on
SQLite and PostgreSQL: the names of the task's operator extra links as its app registered them."""

from __future__ import annotations

from typing import Any

import airflow_client.client as af

from riir_airflow.models.baseoperatorlink import BaseOperatorLink
from riir_airflow.runtime.app.main import serialize_dag
from riir_airflow.sdk import DAG, BaseOperator

from ..conftest import T0, Broker
from .conftest import register_dag


class _Console(BaseOperatorLink):
    name = "Console"

    def get_link(self, operator: Any, *, ti_key: Any) -> str:
        return "https://console.example/"


class _Job(BaseOperatorLink):
    name = "Job"

    def get_link(self, operator: Any, *, ti_key: Any) -> str:
        return "https://jobs.example/"


class _Linked(BaseOperator):
    operator_extra_links = (_Job(), _Console())

    def execute(self, context: Any) -> None:
        return None


class _Plain(BaseOperator):
    def execute(self, context: Any) -> None:
        return None


def register_linked(broker: Broker) -> None:
    """`links`: `linked` (extra links Job and Console) >> `plain` (none), serialized as its app does."""
    with DAG("links", start_date=T0, schedule=None) as dag:
        _Linked(task_id="linked") >> _Plain(task_id="plain")
    broker.registry.sync_dags([serialize_dag(dag, "/dags/links.py")], code_hash="h", now=broker.clock.now())


def test_task_extra_links_are_the_sorted_names_of_its_operator_links(broker, api):
    register_linked(broker)
    tasks = af.TaskApi(api("viewer"))
    assert tasks.get_task("links", "linked").extra_links == ["Console", "Job"]
    assert tasks.get_task("links", "plain").extra_links == []


def test_task_list_gives_each_task_its_own_extra_links(broker, api):
    register_linked(broker)
    listed = af.TaskApi(api("viewer")).get_tasks("links")
    by_task = {t.task_id: t.extra_links for t in listed.tasks}
    assert by_task == {"linked": ["Console", "Job"], "plain": []}


def test_task_extra_links_follow_the_newest_registration(broker, api):
    register_linked(broker)
    register_dag(broker, "links", tasks=("linked", "plain"))  # re-registered without the links
    tasks = af.TaskApi(api("viewer"))
    assert tasks.get_task("links", "linked").extra_links == []

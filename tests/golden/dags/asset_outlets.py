"""Tasks with asset outlets (the asset events themselves are not in the compared JSON; states and
XComs are): `@task(outlets=[Asset(...)])` setting `outlet_events[asset].extra` (the task returns
what it set), an Asset given by name only / uri only / name+uri+group+extra, a classic
BashOperator and PythonOperator with outlets, a task with outlets that fails (no event), and an
EmptyOperator with an outlet."""
import pendulum

from riir_airflow.sdk import DAG, Asset, task
from riir_airflow.providers.standard.operators.bash import BashOperator
from riir_airflow.providers.standard.operators.empty import EmptyOperator
from riir_airflow.providers.standard.operators.python import PythonOperator

GOLDEN_ARGS = {"logical_date": "2024-03-05T06:00:00+00:00"}

by_name = Asset("golden_by_name")
by_uri = Asset(uri="s3://golden-bucket/raw/data.csv")
full = Asset(name="golden_full", uri="file:///tmp/golden/full.json", group="golden", extra={"owner": "qa"})


def _classic(outlet_events=None, ds=None):
    outlet_events[by_uri].extra = {"from": "python", "ds": ds}
    return dict(outlet_events[by_uri].extra)


with DAG(dag_id="asset_outlets", start_date=pendulum.datetime(2024, 1, 1, tz="UTC"), schedule=None) as dag:

    @task(outlets=[by_name, full])
    def produce(outlet_events=None):
        outlet_events[by_name].extra = {"rows": 3}
        outlet_events[full].extra["size"] = 10
        outlet_events[full].extra["kind"] = "json"
        return {
            "by_name": dict(outlet_events[by_name].extra),
            "full": dict(outlet_events[full].extra),
            "asset": [full.name, full.uri, full.group, full.extra],
            "uri_only": [by_uri.name, by_uri.uri, by_uri.group],
        }

    @task(outlets=[by_name])
    def produce_fails():
        raise RuntimeError("no event for me")

    py = PythonOperator(task_id="py_outlet", python_callable=_classic, outlets=[by_uri])
    bash = BashOperator(task_id="bash_outlet", bash_command="echo wrote {{ ds }}", outlets=[by_uri, by_name])
    empty = EmptyOperator(task_id="empty_outlet", outlets=[full])
    p = produce()
    p >> [py, bash, empty]
    produce_fails()

"""AssetAlias outlets: a task with `outlets=[AssetAlias("...")]` attaches events to concrete assets at
run time with `outlet_events[alias].add(Asset(...), extra=...)` (two assets); a
consumer with inlets=[AssetAlias(...)] and one with the concrete assets read inlet_events; a task that adds
nothing to its alias; states and XComs are compared."""
import pendulum

from riir_airflow.sdk import DAG, Asset, AssetAlias, task

GOLDEN_ARGS = {"logical_date": "2024-03-05T06:00:00+00:00"}

alias = AssetAlias("golden_alias")
empty_alias = AssetAlias("golden_alias_unused")
dyn1 = Asset("golden_dynamic_1")
dyn2 = Asset(uri="s3://golden/dynamic/2")

with DAG(dag_id="asset_alias_outlets", start_date=pendulum.datetime(2024, 1, 1, tz="UTC"), schedule=None) as dag:

    @task(outlets=[alias])
    def attach(outlet_events=None):
        outlet_events[alias].add(dyn1, extra={"part": 1})
        outlet_events[alias].add(dyn2, extra={"part": 2})
        return [alias.name]

    @task(outlets=[empty_alias])
    def attach_nothing():
        return "nothing attached"

    @task(inlets=[dyn1, dyn2])
    def read_concrete(inlet_events=None):
        return {"dyn1": [e.extra for e in inlet_events[dyn1]], "dyn2": [e.extra for e in inlet_events[dyn2]]}

    @task(inlets=[alias])
    def read_alias(inlet_events=None):
        return sorted([e.asset.name, e.extra.get("part")] for e in inlet_events[alias])

    at = attach()
    at >> [read_concrete(), read_alias()]
    attach_nothing()

"""Asset events read back in the same run: a producer emits events on two assets with extras, a
consumer declares them as inlets and reads `inlet_events[asset]` (len, [-1].extra, each extra in
order, the event's asset uri/name), an inlet that has never had an event (empty), and a second
producer run of the same asset before the consumer (two events, oldest first)."""
import pendulum

from riir_airflow.sdk import DAG, Asset, task

GOLDEN_ARGS = {"logical_date": "2024-03-05T06:00:00+00:00"}

orders = Asset(name="golden_orders", uri="s3://golden/orders")
users = Asset("golden_users")
never = Asset("golden_never_written")

with DAG(dag_id="asset_inlet_events", start_date=pendulum.datetime(2024, 1, 1, tz="UTC"), schedule=None) as dag:

    @task(outlets=[orders, users])
    def first(outlet_events=None):
        outlet_events[orders].extra = {"batch": 1}
        outlet_events[users].extra = {"count": 7}
        return "first"

    @task(outlets=[orders])
    def second(outlet_events=None):
        outlet_events[orders].extra = {"batch": 2}
        return "second"

    @task(inlets=[orders, users, never])
    def consume(inlet_events=None):
        o, u, n = inlet_events[orders], inlet_events[users], inlet_events[never]
        return {
            "orders_len": len(o),
            "orders_extras": [e.extra for e in o],
            "orders_last": o[-1].extra,
            "orders_asset": [o[0].asset.name, o[0].asset.uri],
            "users": [e.extra for e in u],
            "never_len": len(n),
        }

    first() >> second() >> consume()

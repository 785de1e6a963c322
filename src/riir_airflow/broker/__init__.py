"""The broker: the only process with database connections, serving the DAG apps and the API.

`create_app` builds the ASGI app (internal app API, login, health, version) over a Store and a
`Registry`; `BrokerSettings` reads its configuration. Importing this package needs the `broker`
extra (FastAPI); the DAG app never imports it: it talks to the broker through
`riir_airflow.store.broker_client.BrokerStore` and the shared `riir_airflow.wire` messages.
"""

from riir_airflow.broker.app import create_app
from riir_airflow.broker.registry import Registry
from riir_airflow.broker.settings import BrokerSettings

__all__ = ["BrokerSettings", "Registry", "create_app"]

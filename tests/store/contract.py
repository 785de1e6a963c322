"""THE contract test suite for any `Store` implementation.

Every Store (the SQLite `LocalStore`, the broker client) must pass the same tests, so the
runtime behaves identically in `dags test` and in production. To run the suite against an
implementation, subclass `StoreContract` in a `test_*.py` module and provide a `store` fixture
that yields an empty store:

    class TestMyStore(StoreContract):
        @pytest.fixture
        def store(self, tmp_path):
            s = MyStore(...)
            yield s
            s.close()

The tests live in topic mixins (runs, task instances, XCom, data, assets, deferrals) to keep modules small;
`StoreContract` is their union. Behaviour every test relies on:
- datetimes are returned as timezone-aware UTC `pendulum.DateTime`s, equal (as instants) to
  what was written in whatever timezone;
- a filter given as None means "no filter", an empty sequence matches nothing;
- reads return copies, and the store never keeps a reference to a record it was given.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from riir_airflow.store import Store

from .contract_assets import AssetContract
from .contract_data import DataContract
from .contract_deferrals import DeferralContract
from .contract_runs import RunContract
from .contract_task_instances import TaskInstanceContract
from .contract_xcom import XComContract

__all__ = ["StoreContract"]


class StoreContract(
    RunContract, TaskInstanceContract, XComContract, DataContract, AssetContract, DeferralContract
):
    """Base class of the Store contract suite; subclasses provide the `store` fixture."""

    @pytest.fixture
    def store(self) -> Iterator[Store]:
        raise NotImplementedError("a StoreContract subclass must provide a `store` fixture")

    def test_store_satisfies_the_store_protocol(self, store: Store) -> None:
        assert isinstance(store, Store)

"""Airflow 2.x path ``airflow.datasets``: ``Dataset``, ``DatasetAlias``, ``DatasetAll``, ``DatasetAny``.

Served from the asset classes (``riir_airflow.sdk.assets``); a Dataset is an Asset whose name
is its uri. Airflow 3 removed this module; riir-airflow keeps it for 2.x DAG files.
"""

from riir_airflow.sdk.assets import Dataset, DatasetAlias, DatasetAll, DatasetAny

__all__ = ["Dataset", "DatasetAlias", "DatasetAll", "DatasetAny"]

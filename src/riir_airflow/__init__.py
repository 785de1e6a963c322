"""riir-airflow: run Apache Airflow DAG files with a metastore, a broker and one app per DAG.

`import riir_airflow` is the drop-in for `import airflow`. Names are resolved lazily so that
importing the package starts nothing and loads no server, SQL or HTTP code.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "3.3.2"  # the Airflow version whose behaviour we follow; providers gate on it
riir_version = "0.1.0"

__all__ = ["DAG", "Asset", "Dataset", "XComArg", "__version__"]

_LAZY = {
    "DAG": ("riir_airflow.sdk.dag", "DAG"),
    "Asset": ("riir_airflow.sdk.assets", "Asset"),
    "Dataset": ("riir_airflow.sdk.assets", "Dataset"),
    "XComArg": ("riir_airflow.sdk.xcom_arg", "XComArg"),
}

if TYPE_CHECKING:
    from riir_airflow.sdk.dag import DAG
    from riir_airflow.sdk.xcom_arg import XComArg


def __getattr__(name: str) -> Any:
    try:
        module_name, attr = _LAZY[name]
    except KeyError:
        raise AttributeError(f"module 'riir_airflow' has no attribute {name!r}") from None
    import importlib

    value = getattr(importlib.import_module(module_name), attr)
    globals()[name] = value
    return value

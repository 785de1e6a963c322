"""A DAG's params as its app registered them (`SerializedDag.params`), checked in the broker.

The broker imports no DAG code, so it rebuilds the DAG's params as SDK `Param`s from what the app
registered (default, JSON schema, description per name) and checks a run's conf with the SDK's
own code (`sdk.params.merge_params(...).validate()`, as the app does when it creates a run): one
validator for both ends. As in Airflow (`dag.params.deep_merge(conf).validate()`), the conf is
laid over the params whatever `[core] dag_run_conf_overrides_params` says, and conf keys that
are not params are accepted as they are.

What is not checked: a DAG registered by an app older than `SerializedDag.params` (None), and
each param the app marked `unchecked` (its default or schema has no JSON form): the app still
checks those when it creates the run.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from riir_airflow.sdk.params import Param, merge_params
from riir_airflow.sdk.types import NOTSET

if TYPE_CHECKING:
    from riir_airflow.wire.messages import SerializedDag

__all__ = ["check_conf", "params_response"]


def _param(entry: Mapping[str, Any]) -> Param:
    return Param(
        entry.get("default", NOTSET), entry.get("description"), schema=dict(entry.get("schema") or {})
    )


def check_conf(dag: SerializedDag | None, conf: Mapping[str, Any] | None) -> None:
    """Raise ParamValidationError (`Invalid input for param x: ...`) when `conf` laid over the
    registered params of `dag` breaks one of them, or leaves a param without default unset."""
    if dag is None or dag.params is None:
        return
    params = {name: _param(entry) for name, entry in dag.params.items() if not entry.get("unchecked")}
    merge_params(params, None, conf, conf_overrides=True)


def params_response(dag: SerializedDag | None) -> dict[str, Any]:
    """`params` of `GET /dags/{dag_id}/details`, in Airflow's shape: per name `value` (the
    default if it is valid, else None), `schema`, `description`, `source` (None: a DAG's own
    params have none). `{}` for a DAG registered without params."""
    if dag is None or dag.params is None:
        return {}
    out: dict[str, Any] = {}
    for name, entry in dag.params.items():
        if entry.get("unchecked"):
            value = entry.get("default")
        else:
            value = _param(entry).resolve(suppress_exception=True)
        out[name] = {
            "value": value,
            "schema": dict(entry.get("schema") or {}),
            "description": entry.get("description"),
            "source": None,
        }
    return out

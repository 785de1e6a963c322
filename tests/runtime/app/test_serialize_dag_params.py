"""`serialize_dag` registers the DAG's params (`SerializedDag.params`): per name the JSON schema,
the description and the default when there is one, as plain JSON; a default or schema with no
JSON form is left out and the param marked `unchecked`."""

from __future__ import annotations

import datetime
import json
import warnings

import pendulum

from riir_airflow.runtime.app.main import serialize_dag
from riir_airflow.sdk import DAG, Param, dag
from riir_airflow.wire.codec import encode
from riir_airflow.wire.messages import SerializedDag, dump, load

T0 = pendulum.datetime(2024, 1, 1, tz="UTC")


def test_params_carry_schema_description_and_default_in_the_dags_order() -> None:
    params = {
        "n": Param(5, type="integer", minimum=3, description="how many"),
        "mode": "fast",
        "who": Param(type="string"),
        "none": Param(None, type=["null", "string"]),
    }
    with DAG("p", start_date=T0, schedule=None, params=params) as d:
        pass
    registered = serialize_dag(d, "/dags/p.py").params
    assert registered == {
        "n": {"schema": {"type": "integer", "minimum": 3}, "description": "how many", "default": 5},
        "mode": {"schema": {}, "description": None, "default": "fast"},
        "who": {"schema": {"type": "string"}, "description": None},  # no default: the conf must give it
        "none": {"schema": {"type": ["null", "string"]}, "description": None, "default": None},
    }
    assert list(registered) == ["n", "mode", "who", "none"]


def test_a_dag_without_params_registers_an_empty_mapping() -> None:
    with DAG("p", start_date=T0, schedule=None) as d:
        pass
    assert serialize_dag(d, "/dags/p.py").params == {}


def test_defaults_are_plain_json_so_a_stored_registration_equals_the_next() -> None:
    with DAG(
        "p",
        start_date=T0,
        schedule=None,
        params={"pair": Param((1, 2), type="array", items={"enum": (1, 2)})},
    ) as d:
        pass
    serialized = serialize_dag(d, "/dags/p.py")
    assert serialized.params == {
        "pair": {
            "schema": {"type": "array", "items": {"enum": [1, 2]}},
            "description": None,
            "default": [1, 2],
        }
    }
    encoded = encode(serialized, SerializedDag)
    assert json.loads(json.dumps(encoded)) == encoded  # what the metastore stores and compares


def test_a_default_or_schema_without_json_form_is_left_out_and_the_param_unchecked() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the SDK warns about non-JSON param values
        params = {
            "day": datetime.date(2024, 1, 1),
            "nan": Param(float("nan"), type="number"),
            "odd_schema": Param(schema={"type": "string", "examples": [datetime.date(2024, 1, 1)]}),
        }
        with DAG("p", start_date=T0, schedule=None, params=params) as d:
            pass
    assert serialize_dag(d, "/dags/p.py").params == {
        "day": {"schema": {}, "description": None, "unchecked": True},
        "nan": {"schema": {"type": "number"}, "description": None, "unchecked": True},
        "odd_schema": {"schema": {}, "description": None, "unchecked": True},
    }


def test_dag_decorator_arguments_are_registered_as_params() -> None:
    @dag(start_date=T0, schedule=None)
    def decorated(x: int = 3, y: Param = Param("a", enum=["a", "b"])) -> None:
        pass

    params = serialize_dag(decorated(), "/dags/decorated.py").params
    assert params == {
        "x": {"schema": {}, "description": None, "default": 3},
        "y": {"schema": {"enum": ["a", "b"]}, "description": None, "default": "a"},
    }


def test_params_cross_the_wire_and_an_older_registration_decodes_without_them() -> None:
    with DAG("p", start_date=T0, schedule=None, params={"n": Param(5, type="integer")}) as d:
        pass
    serialized = serialize_dag(d, "/dags/p.py")
    assert load(dump(serialized), SerializedDag).params == serialized.params
    older = json.loads(dump(serialized))
    del older["params"]
    assert load(json.dumps(older), SerializedDag).params is None

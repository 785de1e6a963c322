"""DAG and task params: `Param`, `ParamsDict`, `DagParam`, and the run-time merge.

A `Param` is a default value plus a JSON schema (`Param(5, type="integer", minimum=3)`); plain
values in a `params=` dict are wrapped in a `Param` without a schema, so they accept anything.
The values a task sees (`context["params"]`) are the DAG's params, overridden by the task's, then
by the run's conf (when `[core] dag_run_conf_overrides_params`), all validated: `merge_params`.

Validation uses `fastjsonschema` (one of riir's four runtime dependencies) with compiled
validators cached per schema, because the same schemas are checked at every task start. Format
checks follow what Airflow's jsonschema setup enforces (`date`, `date-time`, `time`, `email`,
`ipv4`, `ipv6`, `uuid`, `regex`); other formats are accepted unchecked, as there.

Errors are `ParamValidationError`, and messages name the param (`Invalid input for param x: ...`),
because that message is what a user sees when a trigger is rejected or a task fails.
"""

from __future__ import annotations

import copy
import datetime
import ipaddress
import json
import re
import threading
import uuid
import warnings
from collections.abc import Callable, ItemsView, Iterator, Mapping, MutableMapping, ValuesView
from typing import Any, ClassVar

import fastjsonschema

from riir_airflow.sdk.exceptions import AirflowException, ParamValidationError
from riir_airflow.sdk.types import NOTSET, is_arg_set

__all__ = ["DagParam", "Param", "ParamsDict", "merge_params"]

# -- schema validation ------------------------------------------------------------------------
_RFC3339 = re.compile(
    r"^(\d{4})-(0[1-9]|1[0-2])-(\d{2})T(?:[01]\d|2[0-3]):[0-5]\d:[0-5]\d(?:\.\d+)?"
    r"(?:Z|[+-](?:[01]\d|2[0-3]):[0-5]\d)$",
    re.ASCII,
)


def _check(parse: Callable[[str], Any], errors: type[Exception] = ValueError) -> Callable[[str], bool]:
    """A format check that passes when `parse(text)` is truthy and raises nothing."""

    def check(text: str) -> bool:
        try:
            return bool(parse(text))
        except errors:
            return False

    return check


def _date(text: str) -> bool:
    return bool(re.fullmatch(r"\d{4}-\d{2}-\d{2}", text, re.ASCII)) and bool(
        datetime.date.fromisoformat(text)
    )


def _date_time(text: str) -> bool:
    return bool(_RFC3339.match(text.upper())) and _date(text[:10])


# Format name -> check. Formats fastjsonschema knows but Airflow's setup does not enforce are
# accepted so both agree; formats nobody knows are ignored by fastjsonschema itself.
_UNCHECKED_FORMATS = (
    "hostname idn-hostname uri uri-reference uri-template iri iri-reference json-pointer "
    "relative-json-pointer"
)
_FORMATS: dict[str, Callable[[str], bool]] = {
    "date": _check(_date),
    "date-time": _check(_date_time),
    "time": _check(lambda text: _date_time("1970-01-01T" + text)),
    "email": lambda text: "@" in text,
    "idn-email": lambda text: "@" in text,
    "ipv4": _check(lambda text: ipaddress.ip_address(text).version == 4),
    "ipv6": _check(lambda text: ipaddress.ip_address(text).version == 6),
    "uuid": _check(lambda text: uuid.UUID(text) and all(text[i] == "-" for i in (8, 13, 18, 23))),
    "regex": _check(re.compile, re.error),
    **dict.fromkeys(_UNCHECKED_FORMATS.split(), lambda _text: True),
}
_VALIDATORS: dict[str, Any] = {}
_VALIDATORS_LOCK = threading.Lock()


def _validator_for(schema: Mapping[str, Any]) -> Any:
    """The compiled validator for `schema`, compiled once per distinct schema."""
    key = json.dumps(schema, sort_keys=True, default=repr)
    validator = _VALIDATORS.get(key)
    if validator is None:
        try:
            validator = fastjsonschema.compile(dict(schema), formats=_FORMATS, use_default=False)
        except fastjsonschema.JsonSchemaDefinitionException as err:
            raise ParamValidationError(f"invalid schema {dict(schema)!r}: {err}") from None
        with _VALIDATORS_LOCK:
            _VALIDATORS[key] = validator
    return validator


def _validate(value: Any, schema: Mapping[str, Any]) -> None:
    if not schema:
        return
    try:
        _validator_for(schema)(value)
    except fastjsonschema.JsonSchemaValueException as err:
        where, _, problem = err.message.partition(" ")  # "data must be ...", "data.k must be ..."
        where = where.removeprefix("data").lstrip(".")
        raise ParamValidationError(
            f"{value!r} is not valid: {where + ' ' if where else ''}{problem}"
        ) from None


def _warn_if_not_json(value: Any) -> None:
    # Airflow 3 rejects such values; 2.x only warned. riir warns so 2.x DAG files keep loading.
    try:
        json.dumps(value)
    except (TypeError, ValueError):
        warnings.warn(
            f"Param values should be JSON-serializable; {value!r} is not (Airflow 3 rejects it).",
            UserWarning,
            stacklevel=3,
        )


# -- the public classes -----------------------------------------------------------------------
class Param:
    """A param's default value and the JSON schema its values must satisfy.

    `Param(default=NOTSET, description=None, **schema)`: every keyword other than `default` and
    `description` is a JSON-schema keyword (`type`, `enum`, `minimum`, `format`, `const`, ...),
    unless a whole `schema=` dict is given. A Param without default is required: the run's conf
    must supply it.
    """

    __version__: ClassVar[int] = 1
    CLASS_IDENTIFIER = "__class"

    def __init__(self, default: Any = NOTSET, description: str | None = None, **kwargs: Any) -> None:
        if is_arg_set(default):
            _warn_if_not_json(default)
        self.value: Any = default
        self.description = description
        self.schema: dict[str, Any] = kwargs.pop("schema") if "schema" in kwargs else kwargs

    def __copy__(self) -> Param:
        return Param(self.value, self.description, schema=self.schema)

    def __repr__(self) -> str:
        return f"Param({self.value!r}, description={self.description!r}, schema={self.schema!r})"

    @property
    def has_value(self) -> bool:
        """True when the Param holds a value other than None."""
        return is_arg_set(self.value) and self.value is not None

    def resolve(self, value: Any = NOTSET, suppress_exception: bool = False) -> Any:
        """Validate `value` (or the current value) against the schema; keep and return it.

        Raises ParamValidationError when there is no value at all or it breaks the schema; with
        `suppress_exception=True` it returns None instead (and keeps the old value).
        """
        if is_arg_set(value):
            _warn_if_not_json(value)
        final = value if is_arg_set(value) else self.value
        if not is_arg_set(final):
            if suppress_exception:
                return None
            raise ParamValidationError("No value passed and Param has no default value")
        try:
            _validate(final, self.schema)
        except ParamValidationError:
            if suppress_exception:
                return None
            raise
        self.value = final
        return final

    def dump(self) -> dict[str, Any]:
        """The Param as a dict (`value` None when unset), e.g. for the trigger form."""
        out: dict[str, Any] = {self.CLASS_IDENTIFIER: f"{type(self).__module__}.{type(self).__name__}"}
        out.update(value=self.value if is_arg_set(self.value) else None)
        out.update(description=self.description, schema=self.schema)
        return out

    def serialize(self) -> dict[str, Any]:
        return {"value": self.value, "description": self.description, "schema": self.schema}

    @staticmethod
    def deserialize(data: Mapping[str, Any], version: int = 1) -> Param:
        if version > Param.__version__:
            raise TypeError("serialized version is newer than this Param class")
        return Param(data["value"], data.get("description"), schema=dict(data.get("schema") or {}))


class ParamsDict(MutableMapping[str, Any]):
    """The `params` of a DAG or task: a dict whose values are `Param`s.

    Reading a key (`params["x"]`) returns the validated value, not the Param (`get_param` gives
    the Param). Assigning a plain value to an existing key validates it against that Param's
    schema and keeps the schema; assigning to a new key wraps the value in a schema-less Param.
    As in Airflow, `items()` and `values()` yield the Param objects.
    """

    __version__: ClassVar[int] = 1

    def __init__(self, dict_obj: Mapping[str, Any] | None = None, suppress_exception: bool = False) -> None:
        source = dict_obj._params if isinstance(dict_obj, ParamsDict) else (dict_obj or {})
        self._params: dict[str, Param] = {
            k: v if isinstance(v, Param) else Param(v) for k, v in source.items()
        }
        self.suppress_exception = suppress_exception

    def __getitem__(self, key: str) -> Any:
        return self._params[key].resolve(suppress_exception=self.suppress_exception)

    def __setitem__(self, key: str, value: Any) -> None:
        if isinstance(value, Param):
            self._params[key] = value
        elif key in self._params:
            try:
                self._params[key].resolve(value, suppress_exception=self.suppress_exception)
            except ParamValidationError as err:
                raise ParamValidationError(f"Invalid input for param {key}: {err}") from None
        else:
            self._params[key] = Param(value)

    def __delitem__(self, key: str) -> None:
        del self._params[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._params)

    def __len__(self) -> int:
        return len(self._params)

    def __contains__(self, key: object) -> bool:
        return key in self._params

    def __bool__(self) -> bool:
        return bool(self._params)

    def __eq__(self, other: object) -> bool:
        if isinstance(other, ParamsDict):
            return self.dump() == other.dump()
        if isinstance(other, dict):
            return self.dump() == other
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]  # mutable mapping

    def __repr__(self) -> str:
        return repr(self.dump())

    def __copy__(self) -> ParamsDict:
        return ParamsDict(self, self.suppress_exception)

    def __deepcopy__(self, memo: dict[int, Any]) -> ParamsDict:
        return ParamsDict(copy.deepcopy(self._params, memo), self.suppress_exception)

    def items(self) -> ItemsView[str, Param]:  # type: ignore[override]
        return ItemsView(self._params)

    def values(self) -> ValuesView[Param]:  # type: ignore[override]
        return ValuesView(self._params)

    def get_param(self, key: str) -> Param:
        """The Param object stored under `key` (KeyError if absent)."""
        return self._params[key]

    def update(self, *args: Any, **kwargs: Any) -> None:
        """Like dict.update; a ParamsDict argument contributes its Param objects as they are."""
        if len(args) == 1 and not kwargs and isinstance(args[0], ParamsDict):
            self._params.update(args[0]._params)
            return
        super().update(*args, **kwargs)

    def dump(self) -> dict[str, Any]:
        """Every value, validated; an invalid or missing one shows as None (never raises)."""
        return {k: p.resolve(suppress_exception=True) for k, p in self._params.items()}

    def validate(self) -> dict[str, Any]:
        """Every value, validated, as a plain dict; ParamValidationError names the first bad param."""
        resolved: dict[str, Any] = {}
        for key, param in self._params.items():
            try:
                resolved[key] = param.resolve(suppress_exception=self.suppress_exception)
            except ParamValidationError as err:
                raise ParamValidationError(f"Invalid input for param {key}: {err}") from None
        return resolved

    def validate_defaults(self) -> None:
        """Check the defaults that are set against their schemas (called when a DAG is defined).

        A Param without default passes: it is required at trigger time, not at parse time.
        """
        for key, param in self._params.items():
            if not is_arg_set(param.value):
                continue
            try:
                _validate(param.value, param.schema)
            except ParamValidationError as err:
                raise ParamValidationError(f"Invalid default for param {key}: {err}") from None

    def serialize(self) -> dict[str, Any]:
        return self.dump()

    @staticmethod
    def deserialize(data: Mapping[str, Any], version: int = 1) -> ParamsDict:
        if version > ParamsDict.__version__:
            raise TypeError("serialized version is newer than this ParamsDict class")
        return ParamsDict(data)


class DagParam:
    """A reference to a DAG param, resolved per run (`dag.param(name, default)`, `@dag` args).

    At run time the value is the run conf's entry for `name`, else this reference's default,
    else the run's `params[name]`. Giving a default also declares it as a DAG param.
    """

    def __init__(self, current_dag: Any, name: str, default: Any = NOTSET) -> None:
        if is_arg_set(default):
            current_dag.params[name] = default
        self._name = name
        self._default = default
        self.current_dag = current_dag

    @property
    def name(self) -> str:
        return self._name

    def __repr__(self) -> str:
        return f"DagParam({self._name!r}, default={self._default!r})"

    def iter_references(self) -> Iterator[Any]:
        return iter(())

    def resolve(self, context: Mapping[str, Any]) -> Any:
        """The param's value for the run described by `context` (AirflowException if none)."""
        dag_run = context.get("dag_run")
        run_conf = getattr(dag_run, "conf", None) if dag_run is not None else None
        if run_conf and self._name in run_conf:
            return run_conf[self._name]
        if is_arg_set(self._default):
            return self._default
        params = context.get("params") or {}
        if self._name in params:
            return params[self._name]
        raise AirflowException(f"No value could be resolved for parameter {self._name}")

    def serialize(self) -> dict[str, Any]:
        return {"dag_id": self.current_dag.dag_id, "name": self._name, "default": self._default}


def merge_params(
    dag_params: Mapping[str, Any] | None,
    task_params: Mapping[str, Any] | None,
    conf: Mapping[str, Any] | None,
    conf_overrides: bool = True,
) -> ParamsDict:
    """The params a task instance runs with: DAG params < task params < run conf, validated.

    Params are copied, so run values never leak into the DAG's own Param objects. Conf keys that
    are not declared params are added as plain values. With `conf_overrides=False`
    (`[core] dag_run_conf_overrides_params = False`) the conf is ignored. Raises
    ParamValidationError naming the param when a value breaks its schema or a param has no
    default and the conf does not supply it.
    """
    merged = ParamsDict()
    for source in (dag_params, task_params):
        for key, param in ParamsDict(source).items():
            merged[key] = copy.copy(param)
    if conf_overrides and conf:
        for key, value in conf.items():
            merged[key] = value
    merged.validate()
    return merged

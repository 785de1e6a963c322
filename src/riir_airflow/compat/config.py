"""Airflow configuration: `airflow.cfg`, `AIRFLOW__SECTION__KEY` and built-in defaults.

Operators keep their `airflow.cfg` and environment variables, so this reads them with Airflow's
rules (spec section 10). For one `[section] key` the first of these that exists wins:

1. env `AIRFLOW__{SECTION}__{KEY}` (with `~` and `$VAR` expansion)
2. env `AIRFLOW__{SECTION}__{KEY}_CMD`: a command whose stdout is the value (sensitive keys only)
3. env `AIRFLOW__{SECTION}__{KEY}_SECRET`: a path in the `[secrets] backend` (sensitive keys only)
4. the value in the config file (`$AIRFLOW_CONFIG`, else `$AIRFLOW_HOME/airflow.cfg`)
5. `key_cmd`, then 6. `key_secret` in the file (sensitive keys only)
7. the built-in default (Airflow 3 values, in `config_sources`); then the caller's `fallback`.

Renamed options (e.g. `[core] sql_alchemy_conn` -> `[database]`) are still honoured at every
step, with a warning. Keys riir does not know are accepted and simply never read.

No I/O at import: `conf` reads the file on first use and again when `AIRFLOW_HOME` or
`AIRFLOW_CONFIG` change (tests and CLIs set them late). `load_config(home, environ)` builds an
independent instance from explicit inputs, for tests and tools that must not touch globals.
"""

from __future__ import annotations

import datetime
import json
import os
import threading
import warnings
from collections.abc import Mapping
from typing import Any

from riir_airflow.compat.config_sources import (
    RENAMED_OPTIONS,
    SENSITIVE_OPTIONS,
    ConfigFile,
    builtin_defaults,
    expand_vars,
    get_airflow_config,
    get_airflow_home,
    run_command,
)
from riir_airflow.sdk.exceptions import AirflowConfigException

__all__ = [
    "AIRFLOW_CONFIG",
    "AIRFLOW_HOME",
    "SENSITIVE_OPTIONS",
    "AirflowConfigParser",
    "conf",
    "get_airflow_config",
    "get_airflow_home",
    "load_config",
    "parse_boolean",
]

AIRFLOW_HOME: str  # computed on access by __getattr__ below
AIRFLOW_CONFIG: str
_UNSET: Any = object()
_RENAMED = RENAMED_OPTIONS
_RENAMED_FROM_OLD = {old: new for new, old in _RENAMED.items()}


def parse_boolean(value: str, section: str = "?", key: str = "?") -> bool:
    """Airflow's boolean words: t/true/1 and f/false/0 (any case; a `# comment` is dropped)."""
    text = value.lower().strip()
    if "#" in text:
        text = text.split("#", 1)[0].strip()
    if text in ("t", "true", "1"):
        return True
    if text in ("f", "false", "0"):
        return False
    raise AirflowConfigException(
        f'Failed to convert value to bool. Please check "{key}" key in "{section}" section. '
        f'Current value: "{value}".'
    )


class AirflowConfigParser:
    """Read access to Airflow configuration with Airflow's precedence (see the module docstring).

    `home`, `environ` and `config_file` pin the inputs; left as None they follow the process
    environment, re-reading the file when `AIRFLOW_HOME`/`AIRFLOW_CONFIG` change. Values set
    with `set()` sit on top of the file and below environment variables, as in Airflow.
    """

    def __init__(
        self,
        home: str | os.PathLike[str] | None = None,
        environ: Mapping[str, str] | None = None,
        config_file: str | os.PathLike[str] | None = None,
    ) -> None:
        self._home = os.fspath(home) if home is not None else None
        self._environ = environ
        self._config_file = os.fspath(config_file) if config_file is not None else None
        self._lock = threading.RLock()
        self._state: ConfigFile | None = None
        self._overrides: dict[str, dict[str, str]] = {}

    # -- inputs ---------------------------------------------------------------------------------
    @property
    def environ(self) -> Mapping[str, str]:
        return os.environ if self._environ is None else self._environ

    @property
    def airflow_home(self) -> str:
        return self._home if self._home is not None else get_airflow_home(self.environ)

    @property
    def config_file(self) -> str:
        if self._config_file is not None:
            return self._config_file
        return get_airflow_config(self.environ, home=self.airflow_home)

    def _loaded(self) -> ConfigFile:
        key = (self.airflow_home, self.config_file)
        state = self._state
        if state is None or state.key != key:
            with self._lock:
                state = self._state = ConfigFile(*key)
        return state

    def reload(self) -> None:
        """Forget the file contents; the next read loads it again."""
        self._state = None

    # -- lookup ---------------------------------------------------------------------------------
    @staticmethod
    def env_var_name(section: str, key: str) -> str:
        return f"AIRFLOW__{section.upper().replace('.', '_')}__{key.upper()}"

    @staticmethod
    def is_sensitive(section: str, key: str) -> bool:
        return (section.lower(), key.lower()) in SENSITIVE_OPTIONS

    def _file_value(self, section: str, key: str) -> str | None:
        if key in self._overrides.get(section, {}):
            return self._overrides[section][key]
        return self._loaded().values.get(section, {}).get(key)

    def _from_secrets(self, path: str) -> str | None:
        from riir_airflow.sdk.secrets import configured_backend

        try:
            backend = configured_backend(self)
            return None if backend is None else backend.get_config(path)
        except Exception as err:
            raise AirflowConfigException(
                f"Cannot retrieve config {path!r} from the [secrets] backend: {err}"
            ) from err

    def _steps(self, section: str, key: str, sensitive: bool) -> list[Any]:
        env = self.environ
        name = self.env_var_name(section, key)
        secrets_ok = sensitive and section != "secrets"  # the backend's own settings cannot recurse
        return [
            lambda: env.get(name),
            lambda: run_command(env[name + "_CMD"]) if sensitive and name + "_CMD" in env else None,
            lambda: (
                self._from_secrets(env[name + "_SECRET"]) if secrets_ok and name + "_SECRET" in env else None
            ),
            lambda: self._file_value(section, key),
            lambda: (
                run_command(cmd)
                if sensitive and (cmd := self._file_value(section, key + "_cmd")) is not None
                else None
            ),
            lambda: (
                self._from_secrets(path)
                if secrets_ok and (path := self._file_value(section, key + "_secret")) is not None
                else None
            ),
        ]

    def _lookup(self, section: str, key: str) -> str | None:
        sensitive = self.is_sensitive(section, key)
        old = _RENAMED.get((section, key))
        new_steps = self._steps(section, key, sensitive)
        old_steps = self._steps(*old, sensitive) if old else [lambda: None] * len(new_steps)
        for new_step, old_step in zip(new_steps, old_steps, strict=True):
            value = new_step()
            if value is None and old is not None:
                value = old_step()
                if value is not None:
                    warnings.warn(
                        f"The {old[1]} option in [{old[0]}] has been moved to the {key} option in "
                        f"[{section}]; the old setting was used, please update your config.",
                        FutureWarning,
                        stacklevel=3,
                    )
            if value is not None:
                return value
        return builtin_defaults().get(section, {}).get(key)

    def _canonical(self, section: str, key: str) -> tuple[str, str]:
        section, key = section.lower(), key.lower()
        new = _RENAMED_FROM_OLD.get((section, key))
        if new is None:
            return section, key
        warnings.warn(
            f"[{section}] {key} is read from its new name [{new[0]}] {new[1]}",
            DeprecationWarning,
            stacklevel=3,
        )
        return new

    def get(self, section: str, key: str, fallback: Any = _UNSET, **_: Any) -> Any:
        """The value as a string; `fallback` (returned as given) or AirflowConfigException if absent."""
        section, key = self._canonical(section, key)
        value = self._resolved(section, key)
        if value is None:
            if fallback is not _UNSET:
                return fallback
            raise AirflowConfigException(f"section/key [{section}/{key}] not found in config")
        return value

    def _resolved(self, section: str, key: str) -> str | None:
        value = self._lookup(section, key)
        if value is None:
            return None
        return expand_vars(value.replace("{AIRFLOW_HOME}", self._loaded().home), self.environ)

    def get_mandatory_value(self, section: str, key: str, **kwargs: Any) -> str:
        value = self.get(section, key, fallback=None, **kwargs)
        if value is None:
            raise ValueError(f"The value {section}/{key} should be set!")
        return value

    def has_option(self, section: str, key: str) -> bool:
        return self.get(section, key, fallback=None) is not None

    # -- typed getters: a fallback is returned unchanged when the option is absent --------------
    def _typed(self, section: str, key: str, fallback: Any, convert: Any, kind: str) -> Any:
        value = self.get(section, key, fallback=fallback)
        if not isinstance(value, str):
            return value
        try:
            return convert(value.strip())
        except ValueError:
            raise AirflowConfigException(
                f'Failed to convert value to {kind}. Please check "{key}" key in "{section}" section. '
                f'Current value: "{value}".'
            ) from None

    def getboolean(self, section: str, key: str, fallback: Any = _UNSET, **_: Any) -> bool:
        value = self.get(section, key, fallback=fallback)
        return parse_boolean(value, section, key) if isinstance(value, str) else value

    def getint(self, section: str, key: str, fallback: Any = _UNSET, **_: Any) -> int:
        return self._typed(section, key, fallback, int, "int")

    def getfloat(self, section: str, key: str, fallback: Any = _UNSET, **_: Any) -> float:
        return self._typed(section, key, fallback, float, "float")

    def gettimedelta(
        self, section: str, key: str, fallback: Any = None, **_: Any
    ) -> datetime.timedelta | None:
        """An integer number of seconds as a timedelta; an empty or absent value gives `fallback`."""
        value = self.get(section, key, fallback=fallback)
        if not isinstance(value, str) or not value.strip():
            return fallback
        return datetime.timedelta(seconds=self._typed(section, key, fallback, int, "int"))

    def getjson(self, section: str, key: str, fallback: Any = None) -> Any:
        value = self.get(section, key, fallback=None)
        if value is None or value == "":
            return fallback
        try:
            return json.loads(value)
        except json.JSONDecodeError as err:
            raise AirflowConfigException(f"Unable to parse [{section}] {key!r} as valid json") from err

    def getlist(self, section: str, key: str, delimiter: str = ",", **kwargs: Any) -> list[str]:
        value = self.get(section, key, **kwargs)
        if not isinstance(value, str):
            return value
        return [item.strip() for item in value.split(delimiter) if item.strip()]

    def getimport(self, section: str, key: str, **kwargs: Any) -> Any:
        """Import the object named by a dotted path value (None when the value is empty)."""
        path = self.get(section, key, **kwargs)
        if not path:
            return None
        import importlib

        module_name, _, attr = path.rpartition(".")
        try:
            return getattr(importlib.import_module(module_name), attr)
        except (ImportError, AttributeError, ValueError) as err:
            raise AirflowConfigException(f'The object could not be loaded: "{path}" ({err})') from err

    # -- whole sections -------------------------------------------------------------------------
    def _section_keys(self, section: str) -> set[str]:
        keys = set(builtin_defaults().get(section, {})) | set(self._loaded().values.get(section, {}))
        keys |= set(self._overrides.get(section, {}))
        prefix = self.env_var_name(section, "")
        for name in self.environ:
            if name.startswith(prefix):
                keys.add(name[len(prefix) :].lower())
        return {_strip_indirection(section, k) for k in keys}

    def sections(self) -> list[str]:
        names = set(builtin_defaults()) | set(self._loaded().values) | set(self._overrides)
        names |= {
            n.split("__")[1].lower() for n in self.environ if n.startswith("AIRFLOW__") and n.count("__") >= 2
        }
        return sorted(names)

    def has_section(self, section: str) -> bool:
        return section.lower() in self.sections()

    def getsection(self, section: str) -> dict[str, Any] | None:
        """All options of a section, with ints, floats and booleans converted (as Airflow does)."""
        section = section.lower()
        keys = self._section_keys(section)
        if not keys:
            return None
        values = {key: self._resolved(section, key) for key in sorted(keys)}
        return {key: _coerce(value) for key, value in values.items() if value is not None}

    def as_dict(self) -> dict[str, dict[str, str]]:
        """Every known option's effective value, as strings, by section."""
        out: dict[str, dict[str, str]] = {}
        for section in self.sections():
            values = {k: self._resolved(section, k) for k in sorted(self._section_keys(section))}
            out[section] = {k: v for k, v in values.items() if v is not None}
        return out

    def set(self, section: str, key: str, value: str) -> None:
        """Set an option for this process (above the file, below environment variables)."""
        self._overrides.setdefault(section.lower(), {})[key.lower()] = str(value)

    def remove_option(self, section: str, key: str) -> None:
        self._overrides.get(section.lower(), {}).pop(key.lower(), None)


def _strip_indirection(section: str, key: str) -> str:
    """`sql_alchemy_conn_cmd` -> `sql_alchemy_conn` (only for sensitive options; `jwt_secret` stays)."""
    for suffix in ("_cmd", "_secret"):
        base = key.removesuffix(suffix)
        if base != key and (section, base) in SENSITIVE_OPTIONS:
            return base
    return key


def _coerce(value: str) -> Any:
    for convert in (int, float):
        try:
            return convert(value)
        except ValueError:
            pass
    if value.lower() in ("t", "true"):
        return True
    if value.lower() in ("f", "false"):
        return False
    return value


def load_config(
    home: str | os.PathLike[str] | None = None,
    environ: Mapping[str, str] | None = None,
    config_file: str | os.PathLike[str] | None = None,
) -> AirflowConfigParser:
    """A config built only from these inputs (`environ` defaults to empty), for tests and tools."""
    return AirflowConfigParser(home=home, environ=dict(environ or {}), config_file=config_file)


# The process-wide configuration. Reads nothing until first used.
conf = AirflowConfigParser()


def __getattr__(name: str) -> Any:
    # `AIRFLOW_HOME` / `AIRFLOW_CONFIG` are read from the environment each time, never frozen.
    if name == "AIRFLOW_HOME":
        return get_airflow_home()
    if name == "AIRFLOW_CONFIG":
        return get_airflow_config()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")

"""Where configuration values come from: built-in defaults, the config file, the environment.

`riir_airflow.compat.config` decides precedence; this module holds the sources it consults:
the built-in defaults (Airflow 3.3's values for the options riir or DAG code reads;
`{AIRFLOW_HOME}` in a default is replaced by the home directory when read), the tables of
sensitive and renamed options, reading `airflow.cfg`, `$VAR`/`~` expansion and `_cmd` commands.
"""

from __future__ import annotations

import configparser
import os
import re
from collections.abc import Mapping

from riir_airflow.sdk.exceptions import AirflowConfigException

__all__ = [
    "DEFAULTS_INI",
    "RENAMED_OPTIONS",
    "SENSITIVE_OPTIONS",
    "ConfigFile",
    "builtin_defaults",
    "expand_vars",
    "get_airflow_config",
    "get_airflow_home",
    "run_command",
]

# Airflow 3.3 defaults for the keys riir (or DAG code) reads; `{AIRFLOW_HOME}` is substituted.
DEFAULTS_INI = """
[core]
dags_folder = {AIRFLOW_HOME}/dags
plugins_folder = {AIRFLOW_HOME}/plugins
executor = LocalExecutor
parallelism = 32
max_active_tasks_per_dag = 16
max_active_runs_per_dag = 16
max_consecutive_failed_dag_runs_per_dag = 0
dags_are_paused_at_creation = True
load_examples = True
default_timezone = utc
fernet_key =
dagbag_import_timeout = 30.0
default_task_retries = 0
default_task_retry_delay = 300
max_task_retry_delay = 86400
default_task_weight_rule = downstream
default_task_execution_timeout =
dag_run_conf_overrides_params = True
max_map_length = 1024
default_pool_task_slot_count = 128
xcom_backend = airflow.sdk.execution_time.xcom.BaseXCom
dag_discovery_safe_mode = True
dag_ignore_file_syntax = glob
allowed_deserialization_classes = airflow.*
max_templated_field_length = 4096
auth_manager = airflow.api_fastapi.auth.managers.simple.simple_auth_manager.SimpleAuthManager
simple_auth_manager_users = admin:admin
simple_auth_manager_all_admins = False
unit_test_mode = False
[database]
sql_alchemy_conn = sqlite:///{AIRFLOW_HOME}/airflow.db
sql_alchemy_engine_args =
sql_alchemy_pool_enabled = True
sql_alchemy_pool_size = 5
sql_alchemy_max_overflow = 10
sql_alchemy_pool_recycle = 1800
load_default_connections = False
check_migrations = True
[scheduler]
catchup_by_default = False
create_cron_data_intervals = False
create_delta_data_intervals = False
scheduler_heartbeat_sec = 5
max_dagruns_to_create_per_loop = 10
task_queued_timeout = 600.0
ignore_first_depends_on_past_by_default = True
allowed_run_id_pattern = ^[A-Za-z0-9_.~:+-]+$
[dag_processor]
refresh_interval = 300
min_file_process_interval = 30
parsing_processes = 2
[api]
base_url = http://localhost:8080
host = 0.0.0.0
port = 8080
workers = 1
expose_config = False
maximum_page_limit = 100
fallback_page_limit = 50
secret_key =
[api_auth]
jwt_secret =
jwt_expiration_time = 86400
[logging]
base_log_folder = {AIRFLOW_HOME}/logs
logging_level = INFO
remote_logging = False
colored_console_log = True
log_format = [%(asctime)s] {%(filename)s:%(lineno)d} %(levelname)s - %(message)s
simple_log_format = %(asctime)s %(levelname)s - %(message)s
log_filename_template = dag_id={{ ti.dag_id }}/run_id={{ ti.run_id }}/task_id={{ ti.task_id }}/{% if ti.map_index >= 0 %}map_index={{ ti.map_index }}/{% endif %}attempt={{ try_number|default(ti.try_number) }}.log
[secrets]
backend =
backend_kwargs =
use_cache = False
cache_ttl_seconds = 900
[sensors]
default_timeout = 604800
[operators]
default_owner = airflow
default_queue = default
default_deferrable = false
allow_illegal_arguments = False
[email]
email_backend = airflow.utils.email.send_email_smtp
email_conn_id = smtp_default
default_email_on_retry = True
default_email_on_failure = True
[smtp]
smtp_host = localhost
smtp_starttls = True
smtp_ssl = False
smtp_port = 25
smtp_mail_from = airflow@example.com
[triggerer]
capacity = 1000
"""

# Options whose value may come from a command or a secrets backend (`_cmd` / `_secret`).
SENSITIVE_OPTIONS: frozenset[tuple[str, str]] = frozenset(
    {
        ("core", "fernet_key"),
        ("database", "sql_alchemy_conn"),
        ("database", "sql_alchemy_conn_async"),
        ("database", "sql_alchemy_engine_args"),
        ("api", "secret_key"),
        ("api_auth", "jwt_secret"),
        ("webserver", "secret_key"),
        ("smtp", "smtp_password"),
        ("secrets", "backend_kwargs"),
        ("celery", "broker_url"),
        ("celery", "result_backend"),
        ("celery", "flower_basic_auth"),
        ("sentry", "sentry_dsn"),
    }
)

# new (section, key) -> old (section, key) that is still honoured with a warning.
RENAMED_OPTIONS: dict[tuple[str, str], tuple[str, str]] = {
    **{
        ("database", k): ("core", k)
        for k in (
            "sql_alchemy_conn",
            "sql_alchemy_engine_args",
            "sql_alchemy_pool_enabled",
            "sql_alchemy_pool_size",
            "sql_alchemy_max_overflow",
            "sql_alchemy_pool_recycle",
            "load_default_connections",
        )
    },
    ("api", "base_url"): ("webserver", "base_url"),
    ("api", "host"): ("webserver", "web_server_host"),
    ("api", "port"): ("webserver", "web_server_port"),
    ("api", "workers"): ("webserver", "workers"),
    ("api", "secret_key"): ("webserver", "secret_key"),
    ("api", "expose_config"): ("webserver", "expose_config"),
    ("dag_processor", "refresh_interval"): ("scheduler", "dag_dir_list_interval"),
    ("dag_processor", "min_file_process_interval"): ("scheduler", "min_file_process_interval"),
    ("dag_processor", "parsing_processes"): ("scheduler", "parsing_processes"),
    ("triggerer", "capacity"): ("triggerer", "default_capacity"),
}

_VAR_RE = re.compile(r"\$(\w+|\{[^}]*\})")
_DEFAULTS_CACHE: dict[str, dict[str, str]] | None = None


def builtin_defaults() -> dict[str, dict[str, str]]:
    """The built-in defaults by section (parsed once)."""
    global _DEFAULTS_CACHE
    if _DEFAULTS_CACHE is None:
        parser = configparser.RawConfigParser()
        parser.read_string(DEFAULTS_INI)
        _DEFAULTS_CACHE = {s: dict(parser.items(s)) for s in parser.sections()}
    return _DEFAULTS_CACHE


def expand_vars(value: str, environ: Mapping[str, str]) -> str:
    """`~` and `$VAR`/`${VAR}` expansion against `environ` (unknown variables stay as written)."""
    if value.startswith("~"):
        home = environ.get("HOME") or os.path.expanduser("~")
        value = home + value[1:] if value == "~" or value[1] in "/\\" else value

    def sub(match: re.Match[str]) -> str:
        name = match.group(1).strip("{}")
        return environ.get(name, match.group(0))

    return _VAR_RE.sub(sub, value) if "$" in value else value


def get_airflow_home(environ: Mapping[str, str] | None = None) -> str:
    """`$AIRFLOW_HOME` expanded, `~/airflow` when unset."""
    env = os.environ if environ is None else environ
    return expand_vars(env.get("AIRFLOW_HOME") or "~/airflow", env)


def get_airflow_config(environ: Mapping[str, str] | None = None, home: str | None = None) -> str:
    """Path of the config file: `$AIRFLOW_CONFIG`, else `<AIRFLOW_HOME>/airflow.cfg`."""
    env = os.environ if environ is None else environ
    if env.get("AIRFLOW_CONFIG"):
        return expand_vars(env["AIRFLOW_CONFIG"], env)
    return os.path.join(home or get_airflow_home(env), "airflow.cfg")


def run_command(command: str) -> str:
    """Stdout of `command` (split like a shell would, run without one), minus the final newline."""
    import shlex
    import subprocess

    proc = subprocess.run(shlex.split(command), capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        raise AirflowConfigException(
            f"Cannot execute {command}. Error code is: {proc.returncode}. "
            f"Output: {proc.stdout}, Stderr: {proc.stderr}"
        )
    return proc.stdout.rstrip("\r\n")


class ConfigFile:
    """One reading of a config file (absent file: no values), tied to the home and path it came from."""

    def __init__(self, home: str, path: str) -> None:
        self.key = (home, path)
        self.home = home
        self.values: dict[str, dict[str, str]] = {}
        if not os.path.isfile(path):
            return
        parser = configparser.ConfigParser(strict=False)
        try:
            with open(path, encoding="utf-8") as fh:
                parser.read_file(fh, source=path)
        except configparser.Error as err:
            raise AirflowConfigException(f"Cannot read config file {path}: {err}") from err
        for section in parser.sections():
            target = self.values.setdefault(section.lower(), {})
            for key in parser.options(section):
                try:
                    target[key] = parser.get(section, key)
                except configparser.InterpolationError:
                    # A lone `%` (e.g. in a URL-encoded password): keep the text as written.
                    target[key] = parser.get(section, key, raw=True)

"""Configuration lookup: precedence, sensitive-only indirection, renamed keys, typed getters."""

from __future__ import annotations

import datetime
import os
import subprocess
import sys
import textwrap
import warnings
from pathlib import Path

import pytest

from riir_airflow.compat import config as config_module
from riir_airflow.compat.config import AirflowConfigParser, load_config, parse_boolean
from riir_airflow.sdk.exceptions import AirflowConfigException


def write_cfg(home: Path, text: str, name: str = "airflow.cfg") -> Path:
    path = home / name
    path.write_text(textwrap.dedent(text))
    return path


def echo_cmd(text: str) -> str:
    return f"{sys.executable} -c \"print('{text}')\""


# -- sources and their order ------------------------------------------------------------------


def test_builtin_defaults_are_airflow3_values(tmp_path: Path) -> None:
    c = load_config(tmp_path)
    assert c.getboolean("scheduler", "catchup_by_default") is False
    assert c.getboolean("scheduler", "create_cron_data_intervals") is False
    assert c.get("core", "executor") == "LocalExecutor"
    assert c.getint("core", "max_active_runs_per_dag") == 16
    assert c.getint("api", "fallback_page_limit") == 50
    assert c.get("core", "default_timezone") == "utc"


def test_airflow_home_placeholder_in_defaults_is_the_home(tmp_path: Path) -> None:
    c = load_config(tmp_path)
    assert c.get("core", "dags_folder") == f"{tmp_path}/dags"
    assert c.get("database", "sql_alchemy_conn") == f"sqlite:///{tmp_path}/airflow.db"


def test_cfg_file_value_overrides_default(tmp_path: Path) -> None:
    write_cfg(tmp_path, "[core]\nparallelism = 4\n")
    assert load_config(tmp_path).getint("core", "parallelism") == 4


def test_env_var_overrides_cfg_file(tmp_path: Path) -> None:
    write_cfg(tmp_path, "[core]\nparallelism = 4\n")
    c = load_config(tmp_path, {"AIRFLOW__CORE__PARALLELISM": "9"})
    assert c.getint("core", "parallelism") == 9


def test_env_var_set_to_empty_string_still_wins(tmp_path: Path) -> None:
    c = load_config(tmp_path, {"AIRFLOW__CORE__EXECUTOR": ""})
    assert c.get("core", "executor") == ""


def test_env_var_value_gets_home_and_variable_expansion(tmp_path: Path) -> None:
    env = {"HOME": "/home/u", "BASE": "/srv", "AIRFLOW__CORE__DAGS_FOLDER": "$BASE/dags:${BASE}/x:~/d"}
    c = load_config(tmp_path, env)
    assert c.get("core", "dags_folder") == "/srv/dags:/srv/x:~/d"
    env["AIRFLOW__CORE__PLUGINS_FOLDER"] = "~/plugins"
    assert load_config(tmp_path, env).get("core", "plugins_folder") == "/home/u/plugins"


def test_airflow_config_env_points_at_another_file(tmp_path: Path) -> None:
    other = write_cfg(tmp_path, "[core]\nparallelism = 3\n", name="other.cfg")
    c = load_config(tmp_path, {"AIRFLOW_CONFIG": str(other)})
    assert c.config_file == str(other)
    assert c.getint("core", "parallelism") == 3


def test_missing_cfg_file_means_defaults_only(tmp_path: Path) -> None:
    c = load_config(tmp_path / "nowhere")
    assert c.getint("core", "parallelism") == 32


def test_section_and_key_names_are_case_insensitive(tmp_path: Path) -> None:
    write_cfg(tmp_path, "[Custom]\nMyKey = v\n")
    c = load_config(tmp_path)
    assert c.get("CUSTOM", "mykey") == "v"
    assert c.get("custom", "MYKEY") == "v"


def test_cfg_percent_escape_and_lone_percent_both_read(tmp_path: Path) -> None:
    write_cfg(tmp_path, "[database]\nsql_alchemy_conn = postgresql://u:p%%40@h/db\n[x]\nraw = 50%\n")
    c = load_config(tmp_path)
    assert c.get("database", "sql_alchemy_conn") == "postgresql://u:p%40@h/db"
    assert c.get("x", "raw") == "50%"


def test_unknown_keys_in_cfg_are_accepted_and_readable(tmp_path: Path) -> None:
    write_cfg(tmp_path, "[kubernetes_executor]\nnamespace = airflow\n[core]\nnot_a_real_key = 1\n")
    c = load_config(tmp_path)
    assert c.get("kubernetes_executor", "namespace") == "airflow"
    assert c.getint("core", "parallelism") == 32


# -- _CMD / _SECRET ---------------------------------------------------------------------------


def test_cmd_env_var_runs_for_sensitive_key(tmp_path: Path) -> None:
    c = load_config(tmp_path, {"AIRFLOW__DATABASE__SQL_ALCHEMY_CONN_CMD": echo_cmd("postgresql://x")})
    assert c.get("database", "sql_alchemy_conn") == "postgresql://x"


def test_cmd_env_var_is_ignored_for_non_sensitive_key(tmp_path: Path) -> None:
    c = load_config(tmp_path, {"AIRFLOW__CORE__PARALLELISM_CMD": echo_cmd("99")})
    assert c.getint("core", "parallelism") == 32


def test_plain_env_var_beats_cmd_env_var(tmp_path: Path) -> None:
    env = {
        "AIRFLOW__CORE__FERNET_KEY": "plain",
        "AIRFLOW__CORE__FERNET_KEY_CMD": echo_cmd("from-cmd"),
    }
    assert load_config(tmp_path, env).get("core", "fernet_key") == "plain"


def test_cmd_in_cfg_is_used_when_cfg_has_no_value(tmp_path: Path) -> None:
    write_cfg(tmp_path, f"[core]\nfernet_key_cmd = {echo_cmd('k1')}\n")
    assert load_config(tmp_path).get("core", "fernet_key") == "k1"


def test_cfg_value_beats_cmd_in_cfg(tmp_path: Path) -> None:
    write_cfg(tmp_path, f"[core]\nfernet_key = direct\nfernet_key_cmd = {echo_cmd('k1')}\n")
    assert load_config(tmp_path).get("core", "fernet_key") == "direct"


def test_failing_cmd_raises_config_exception(tmp_path: Path) -> None:
    cmd = f'{sys.executable} -c "raise SystemExit(3)"'
    c = load_config(tmp_path, {"AIRFLOW__CORE__FERNET_KEY_CMD": cmd})
    with pytest.raises(AirflowConfigException, match="Error code is: 3"):
        c.get("core", "fernet_key")


class DictSecretsBackend:
    """A `[secrets] backend` for tests: serves config values from its kwargs."""

    def __init__(self, **values: str) -> None:
        self.values = values

    def get_config(self, key: str) -> str | None:
        return self.values.get(key)


def test_secret_env_var_reads_configured_secrets_backend(tmp_path: Path) -> None:
    env = {
        "AIRFLOW__SECRETS__BACKEND": f"{__name__}.DictSecretsBackend",
        "AIRFLOW__SECRETS__BACKEND_KWARGS": '{"db/conn": "postgresql://from-vault"}',
        "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN_SECRET": "db/conn",
    }
    assert load_config(tmp_path, env).get("database", "sql_alchemy_conn") == "postgresql://from-vault"


def test_secret_in_cfg_reads_configured_secrets_backend(tmp_path: Path) -> None:
    write_cfg(
        tmp_path,
        f"""\
        [secrets]
        backend = {__name__}.DictSecretsBackend
        backend_kwargs = {{"fk": "vault-key"}}
        [core]
        fernet_key_secret = fk
        """,
    )
    assert load_config(tmp_path).get("core", "fernet_key") == "vault-key"


# -- renamed options ---------------------------------------------------------------------------


def test_old_core_sql_alchemy_conn_env_maps_to_database_with_warning(tmp_path: Path) -> None:
    c = load_config(tmp_path, {"AIRFLOW__CORE__SQL_ALCHEMY_CONN": "postgresql://old"})
    with pytest.warns(FutureWarning, match=r"sql_alchemy_conn option in \[core\]"):
        assert c.get("database", "sql_alchemy_conn") == "postgresql://old"


def test_new_name_beats_old_name_at_the_same_level(tmp_path: Path) -> None:
    env = {
        "AIRFLOW__CORE__SQL_ALCHEMY_CONN": "postgresql://old",
        "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": "postgresql://new",
    }
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert load_config(tmp_path, env).get("database", "sql_alchemy_conn") == "postgresql://new"


def test_reading_by_old_name_returns_new_option(tmp_path: Path) -> None:
    c = load_config(tmp_path, {"AIRFLOW__API__BASE_URL": "http://x:1"})
    with pytest.warns(DeprecationWarning):
        assert c.get("webserver", "base_url") == "http://x:1"


# -- typed getters -----------------------------------------------------------------------------


@pytest.mark.parametrize("text", ["t", "True", "TRUE", "1", "true # because", " true "])
def test_boolean_true_words(text: str) -> None:
    assert parse_boolean(text) is True


@pytest.mark.parametrize("text", ["f", "False", "0", "false  # comment"])
def test_boolean_false_words(text: str) -> None:
    assert parse_boolean(text) is False


@pytest.mark.parametrize("text", ["yes", "no", "on", "", "2"])
def test_boolean_other_words_raise(text: str) -> None:
    with pytest.raises(AirflowConfigException, match="Failed to convert value to bool"):
        parse_boolean(text)


def test_getint_on_non_integer_raises_config_exception(tmp_path: Path) -> None:
    c = load_config(tmp_path, {"AIRFLOW__CORE__PARALLELISM": "many"})
    with pytest.raises(AirflowConfigException, match='"parallelism" key in "core"'):
        c.getint("core", "parallelism")


def test_getfloat_reads_float(tmp_path: Path) -> None:
    assert load_config(tmp_path).getfloat("core", "dagbag_import_timeout") == 30.0


def test_gettimedelta_is_seconds_and_empty_is_fallback(tmp_path: Path) -> None:
    c = load_config(tmp_path)
    assert c.gettimedelta("core", "default_task_retry_delay") == datetime.timedelta(seconds=300)
    assert c.gettimedelta("core", "default_task_execution_timeout") is None
    assert c.gettimedelta("nope", "nope", fallback=datetime.timedelta(1)) == datetime.timedelta(1)


def test_getjson_parses_and_empty_gives_fallback(tmp_path: Path) -> None:
    c = load_config(tmp_path, {"AIRFLOW__X__J": '{"a": [1]}'})
    assert c.getjson("x", "j") == {"a": [1]}
    assert c.getjson("database", "sql_alchemy_engine_args", fallback={}) == {}


def test_missing_key_raises_unless_fallback(tmp_path: Path) -> None:
    c = load_config(tmp_path)
    with pytest.raises(AirflowConfigException, match=r"\[nope/thing\] not found"):
        c.get("nope", "thing")
    assert c.get("nope", "thing", fallback=None) is None
    assert c.getint("nope", "thing", fallback=7) == 7
    assert c.getboolean("nope", "thing", fallback=True) is True


def test_builtin_default_wins_over_fallback(tmp_path: Path) -> None:
    assert load_config(tmp_path).get("core", "parallelism", fallback="x") == "32"


def test_has_option_reflects_all_sources(tmp_path: Path) -> None:
    c = load_config(tmp_path, {"AIRFLOW__CUSTOM__ONLY_ENV": "1"})
    assert c.has_option("core", "parallelism")
    assert c.has_option("custom", "only_env")
    assert not c.has_option("custom", "absent")


def test_getsection_merges_sources_and_converts_types(tmp_path: Path) -> None:
    write_cfg(tmp_path, "[custom]\na = 1\nb = 2.5\nc = text\n")
    c = load_config(tmp_path, {"AIRFLOW__CUSTOM__D": "True", "AIRFLOW__CUSTOM__A": "10"})
    assert c.getsection("custom") == {"a": 10, "b": 2.5, "c": "text", "d": True}
    assert c.getsection("no_such_section") is None
    assert c.has_section("custom")
    assert not c.has_section("no_such_section")


def test_set_sits_above_file_and_below_env(tmp_path: Path) -> None:
    write_cfg(tmp_path, "[core]\nparallelism = 4\n")
    c = load_config(tmp_path, {"AIRFLOW__CORE__EXECUTOR": "env"})
    c.set("core", "parallelism", "5")
    c.set("core", "executor", "set")
    assert c.getint("core", "parallelism") == 5
    assert c.get("core", "executor") == "env"
    c.remove_option("core", "parallelism")
    assert c.getint("core", "parallelism") == 4


def test_as_dict_lists_effective_values_by_section(tmp_path: Path) -> None:
    c = load_config(tmp_path, {"AIRFLOW__CORE__PARALLELISM": "2"})
    data = c.as_dict()
    assert data["core"]["parallelism"] == "2"
    assert data["secrets"]["cache_ttl_seconds"] == "900"


# -- the process-wide instance ----------------------------------------------------------------


def test_global_conf_follows_airflow_home_changes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    first, second = tmp_path / "a", tmp_path / "b"
    first.mkdir()
    second.mkdir()
    write_cfg(first, "[core]\nparallelism = 1\n")
    write_cfg(second, "[core]\nparallelism = 2\n")
    conf = AirflowConfigParser()
    monkeypatch.delenv("AIRFLOW_CONFIG", raising=False)
    monkeypatch.delenv("AIRFLOW__CORE__PARALLELISM", raising=False)
    monkeypatch.setenv("AIRFLOW_HOME", str(first))
    assert conf.getint("core", "parallelism") == 1
    monkeypatch.setenv("AIRFLOW_HOME", str(second))
    assert conf.getint("core", "parallelism") == 2


def test_airflow_home_defaults_to_home_airflow(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("AIRFLOW_HOME", raising=False)
    monkeypatch.setenv("HOME", "/home/someone")
    assert config_module.AIRFLOW_HOME == "/home/someone/airflow"
    from riir_airflow import configuration

    assert configuration.AIRFLOW_HOME == "/home/someone/airflow"
    assert configuration.conf is config_module.conf


def test_importing_configuration_reads_no_file_until_first_get(tmp_path: Path) -> None:
    broken = write_cfg(tmp_path, "this is not an ini file\n")
    code = "import riir_airflow.configuration as c\nprint('imported')\nc.conf.get('core', 'parallelism')\n"
    env = {**os.environ, "AIRFLOW_CONFIG": str(broken)}
    proc = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=False)
    assert proc.stdout.strip() == "imported"
    assert "AirflowConfigException: Cannot read config file" in proc.stderr

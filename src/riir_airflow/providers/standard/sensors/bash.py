"""BashSensor: done when the command exits 0; other exit codes keep poking (or fail)."""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import Any

from riir_airflow.providers.standard.operators.bash import context_env_vars, run_bash
from riir_airflow.sdk.context import Context
from riir_airflow.sdk.exceptions import AirflowFailException
from riir_airflow.sdk.sensors import BaseSensorOperator

__all__ = ["BashSensor"]


class BashSensor(BaseSensorOperator):
    template_fields: Sequence[str] = ("bash_command", "env")
    template_ext: Sequence[str] = (".sh", ".bash")

    def __init__(
        self,
        *,
        bash_command: str,
        env: dict[str, str] | None = None,
        output_encoding: str = "utf-8",
        retry_exit_code: int | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.bash_command = bash_command
        self.env = env
        self.output_encoding = output_encoding
        self.retry_exit_code = retry_exit_code

    def poke(self, context: Context) -> bool:
        env = {**(os.environ if self.env is None else self.env), **context_env_vars(context)}
        code, _ = run_bash(self.bash_command, dict(env), None, self.output_encoding)
        if self.retry_exit_code is None:
            return code == 0
        if code == 0:
            return True
        if code == self.retry_exit_code:
            return False
        raise AirflowFailException(f"Command exited with return code {code}")

"""BashOperator: run a bash command; its last line of output becomes the XCom."""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import subprocess
import tempfile
from collections.abc import Callable, Container, Sequence
from typing import Any, ClassVar

from riir_airflow.sdk.baseoperator import BaseOperator
from riir_airflow.sdk.context import Context
from riir_airflow.sdk.exceptions import AirflowException, AirflowSkipException

__all__ = ["BashOperator", "run_bash"]

log = logging.getLogger("riir_airflow.task")


def run_bash(command: str, env: dict[str, str], cwd: str | None, encoding: str = "utf-8") -> tuple[int, str]:
    """Run `bash -c command`, logging each line of stdout+stderr; return (exit code, last line)."""
    with contextlib.ExitStack() as stack:
        if cwd is None:
            cwd = stack.enter_context(tempfile.TemporaryDirectory(prefix="airflowtmp"))
        proc = subprocess.Popen(
            ["bash", "-c", command],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            cwd=cwd,
            env=env,
            start_new_session=True,
            restore_signals=True,  # SIGPIPE back to default in the child, as bash expects
        )
        try:
            line = ""
            assert proc.stdout is not None
            for raw in iter(proc.stdout.readline, b""):
                line = raw.decode(encoding, errors="backslashreplace").rstrip()
                log.info("%s", line)
            proc.wait()
        except BaseException:
            # Timeout or kill: take the whole process group down with us.
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGTERM)
            proc.wait()
            raise
        return proc.returncode, line


class BashOperator(BaseOperator):
    template_fields: Sequence[str] = ("bash_command", "env", "cwd")
    template_fields_renderers: ClassVar[dict[str, str]] = {"bash_command": "bash", "env": "json"}
    template_ext: Sequence[str] = (".sh", ".bash")
    ui_color = "#f0ede4"

    def __init__(
        self,
        *,
        bash_command: str,
        env: dict[str, str] | None = None,
        append_env: bool = False,
        output_encoding: str = "utf-8",
        skip_on_exit_code: int | Container[int] | None = 99,
        cwd: str | None = None,
        output_processor: Callable[[str], Any] = lambda result: result,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.bash_command = bash_command
        self.env = env
        self.append_env = append_env
        self.output_encoding = output_encoding
        if skip_on_exit_code is None:
            skip_on_exit_code = []
        elif isinstance(skip_on_exit_code, int):
            skip_on_exit_code = [skip_on_exit_code]
        self.skip_on_exit_code = skip_on_exit_code
        self.cwd = cwd
        self.output_processor = output_processor

    def get_env(self, context: Context) -> dict[str, str]:
        """The command's environment: `env` (or the inherited one), plus AIRFLOW_CTX_* always."""
        env = dict(os.environ) if self.env is None else dict(self.env)
        if self.env is not None and self.append_env:
            env = {**os.environ, **env}
        env.update(context_env_vars(context))
        return env

    def execute(self, context: Context) -> Any:
        if self.cwd is not None:
            if not os.path.exists(self.cwd):
                raise AirflowException(f"Can not find the cwd: {self.cwd}")
            if not os.path.isdir(self.cwd):
                raise AirflowException(f"The cwd {self.cwd} must be a directory")
        exit_code, output = run_bash(self.bash_command, self.get_env(context), self.cwd, self.output_encoding)
        if exit_code in self.skip_on_exit_code:
            raise AirflowSkipException(f"Bash command returned exit code {exit_code}. Skipping.")
        if exit_code != 0:
            raise AirflowException(
                f"Bash command failed. The command returned a non-zero exit code {exit_code}."
            )
        return self.output_processor(output)


def context_env_vars(context: Context) -> dict[str, str]:
    """The AIRFLOW_CTX_* variables the runtime also exports into os.environ."""
    env_of = getattr(context.get("ti"), "context_env_vars", None)
    return dict(env_of()) if env_of is not None else {}

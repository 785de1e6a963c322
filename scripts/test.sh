#!/usr/bin/env bash
# Install riir-airflow with its test dependencies into ./.venv and run the whole test suite.
# Needs Python 3.12+ (found via pyenv's 3.12.1 when present) and, for the broker tests,
# PostgreSQL at $RIIR_TEST_POSTGRES_URL (default postgresql://postgres@127.0.0.1:5432/test).
set -euo pipefail
cd "$(dirname "$0")/.."
export PYENV_VERSION="${PYENV_VERSION:-3.12.1}"
PYTHON="${PYTHON:-$(command -v python3.12 || command -v python3.13 || command -v python3)}"
if [ ! -x .venv/bin/python ]; then
  "$PYTHON" -m venv .venv
fi
.venv/bin/python -m pip install -q --upgrade pip
.venv/bin/python -m pip install -q -e '.[dev,broker]'
.venv/bin/ruff check src tests bench
exec .venv/bin/python -m pytest -n 2 "$@"

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
# The web UI tests drive Debian's chromium through Playwright (Playwright's own browser
# downloads are not used); install it when missing (needs root, as on CI machines).
if [ -z "${RIIR_CHROMIUM:-}" ] && ! command -v chromium >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; } ||
      echo "could not install chromium: the UI tests will fail" >&2
  else
    echo "chromium is missing (the UI tests need it): apt-get install chromium, or set RIIR_CHROMIUM" >&2
  fi
fi
.venv/bin/python -m pip install -q --upgrade pip
.venv/bin/python -m pip install -q -e '.[dev,broker]'
.venv/bin/ruff check src tests bench
exec .venv/bin/python -m pytest -n 2 "$@"

#!/usr/bin/env bash
# Create (idempotently) a separate virtualenv holding the REAL Apache Airflow,
# used only to regenerate the golden expectations in tests/golden/expected/.
# Never used by CI and never mixed with the riir-airflow environment.
#
#   scripts/airflow-venv.sh            # creates ${RIIR_AIRFLOW_VENV:-/work/airflow-venv}
#   RIIR_AIRFLOW_VENV=/tmp/af scripts/airflow-venv.sh
set -euo pipefail

VENV="${RIIR_AIRFLOW_VENV:-/work/airflow-venv}"
AIRFLOW_VERSION="${RIIR_AIRFLOW_VERSION:-3.3.2}"
PY="${RIIR_AIRFLOW_PYTHON:-python3.12}"

if [ -x "$VENV/bin/python" ] && "$VENV/bin/python" - "$AIRFLOW_VERSION" <<'PYEOF' 2>/dev/null
import sys
from importlib.metadata import version
sys.exit(0 if version("apache-airflow") == sys.argv[1] else 1)
PYEOF
then
    echo "airflow-venv: apache-airflow==$AIRFLOW_VERSION already installed in $VENV"
    exit 0
fi

if [ ! -x "$VENV/bin/python" ]; then
    echo "airflow-venv: creating $VENV with $PY"
    PYENV_VERSION="${PYENV_VERSION:-3.12.1}" "$PY" -m venv "$VENV"
fi

"$VENV/bin/python" -m pip install --quiet --upgrade pip
# The standard provider (BashOperator, PythonOperator, ...) comes with apache-airflow.
"$VENV/bin/python" -m pip install "apache-airflow==$AIRFLOW_VERSION"
"$VENV/bin/python" -c "import airflow, airflow.providers.standard; print('airflow-venv: airflow', airflow.__version__, 'ready in', '$VENV')"

#!/usr/bin/env bash
# Fuzz the broker's public REST API (/api/v2) against its own OpenAPI spec with schemathesis.
#
#   scripts/schemathesis.sh                 # default budget: 25 examples per operation
#   MAX_EXAMPLES=100 scripts/schemathesis.sh --workers 2     # extra args go to `schemathesis run`
#
# Starts a broker on a fresh SQLite metastore (in a temporary $AIRFLOW_HOME) with an admin user,
# seeds a DAG with a run and task instances, a variable, a connection, a pool and an asset event
# (so the generated requests reach real rows, not only 404s), gets an admin JWT from
# POST /auth/token, then runs schemathesis on every /api/v2 operation of /openapi.json with the
# checks: no 5xx (not_a_server_error), every status code and content type documented, every
# response body valid against its schema. Exits non-zero if any check fails. Needs the dev extra
# (`pip install -e '.[dev,broker]'`, which brings schemathesis).
set -euo pipefail
cd "$(dirname "$0")/.."
export PYENV_VERSION="${PYENV_VERSION:-3.12.1}"
PY=.venv/bin/python
MAX_EXAMPLES="${MAX_EXAMPLES:-25}"

HOME_DIR="$(mktemp -d)"
export AIRFLOW_HOME="$HOME_DIR"
export AIRFLOW__DATABASE__SQL_ALCHEMY_CONN="sqlite:///$HOME_DIR/airflow.db"
export AIRFLOW__API_AUTH__JWT_SECRET="schemathesis-$(date +%s)"
export AIRFLOW__API__EXPOSE_CONFIG=True
export AIRFLOW__CORE__FERNET_KEY="$($PY -c 'from riir_airflow.metastore.crypto import generate_key; print(generate_key())')"
PORT="$($PY -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
URL="http://127.0.0.1:$PORT"
PASSWORD="pw-$RANDOM-$RANDOM"

BROKER_PID=""
cleanup() {
  if [ -n "$BROKER_PID" ]; then kill "$BROKER_PID" 2>/dev/null || true; wait "$BROKER_PID" 2>/dev/null || true; fi
  rm -rf "$HOME_DIR"
}
trap cleanup EXIT

.venv/bin/riir-airflow db migrate >/dev/null
.venv/bin/riir-airflow users create --username admin --role admin --password "$PASSWORD" >/dev/null
$PY - <<'EOF'
"""Seed the metastore as an app and a task would have."""
import pendulum

from riir_airflow.metastore import MetastoreStore, create_engine
from riir_airflow.metastore.registry import MetastoreRegistry
from riir_airflow.metastore.database import Database
from riir_airflow.sdk.assets import Asset, condition_to_json
from riir_airflow.sdk.state import DagRunState, TaskInstanceState
from riir_airflow.store.records import (AssetEventRecord, ConnectionRecord, DagRunRecord, TaskInstanceRecord,
                                        VariableRecord, XComRecord)
from riir_airflow.wire.messages import SerializedDag, SerializedTask

db = Database(create_engine())
store, registry = MetastoreStore(db), MetastoreRegistry(db)
t0 = pendulum.datetime(2024, 1, 1, tz="UTC")
dag = SerializedDag(dag_id="example", fileloc="/dags/example.py", schedule="@daily", owner="airflow",
                    tags=["demo"], start_date=t0,
                    tasks=[SerializedTask(task_id="a", operator="BashOperator", downstream_task_ids=["b"]),
                           SerializedTask(task_id="b", operator="BashOperator")])
registry.sync_dags([dag], code_hash="seed", now=t0)
store.create_dag_run(DagRunRecord(dag_id="example", run_id="scheduled__1", run_type="scheduled",
                                  state=DagRunState.SUCCESS, run_after=t0, logical_date=t0,
                                  data_interval_start=t0, data_interval_end=t0.add(days=1), start_date=t0,
                                  end_date=t0.add(minutes=5)))
store.put_task_instances([
    TaskInstanceRecord(dag_id="example", run_id="scheduled__1", task_id=task, state=TaskInstanceState.SUCCESS,
                       try_number=1, operator="BashOperator", hostname="host", start_date=t0, end_date=t0.add(minutes=1))
    for task in ("a", "b")
])
store.append_log("example", "scheduled__1", "a", -1, 1, "hello\n")
store.set_xcom(XComRecord(dag_id="example", run_id="scheduled__1", task_id="a", key="return_value", value="1"))
store.set_variable(VariableRecord("color", "blue"))
store.set_connection(ConnectionRecord("pg", conn_type="postgres", host="db", password="secret"))
store.register_dag_schedule("example", condition_to_json(Asset("raw", "s3://bucket/raw")))
store.record_asset_event(AssetEventRecord(name="raw", uri="s3://bucket/raw", source_dag_id="example"))
EOF

.venv/bin/riir-airflow broker --host 127.0.0.1 --port "$PORT" >"$HOME_DIR/broker.log" 2>&1 &
BROKER_PID=$!
for _ in $(seq 1 100); do
  curl -sf "$URL/api/v2/monitor/health" >/dev/null 2>&1 && break
  sleep 0.2
done
TOKEN="$(curl -sf -X POST "$URL/auth/token" -H 'Content-Type: application/json' \
  -d "{\"username\": \"admin\", \"password\": \"$PASSWORD\"}" | $PY -c 'import json,sys; print(json.load(sys.stdin)["access_token"])')"

status=0
REPO="$PWD"
cd "$HOME_DIR"  # schemathesis keeps its example database (.schemathesis/) in the working directory
"$REPO/.venv/bin/schemathesis" run "$URL/openapi.json" \
  --header "Authorization: Bearer $TOKEN" \
  --include-path-regex '^/api/v2/' \
  --checks not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance \
  --max-examples "$MAX_EXAMPLES" \
  --seed "${SEED:-1}" \
  --suppress-health-check all \
  --no-color \
  "$@" || status=$?
if [ "$status" -ne 0 ]; then
  echo "--- broker log (last 60 lines) ---"
  tail -n 60 "$HOME_DIR/broker.log"
fi
exit "$status"

"""`GET /api/v2/dags/{dag_id}/dagRuns/{dag_run_id}/taskInstances/{task_id}/logs/{try_number}`.

As Airflow 3 answers: `{"content": [{"event", "timestamp", ...}], "continuation_token"}` with
`Accept: application/json` (or `*/*`), one JSON object per line with `application/x-ndjson`.
A stored line that is a JSON object (a structured log record) is passed through as it is
(`event` filled from `msg`/`message` when missing); any other line becomes `{"event": line}`.
The continuation token (opaque, url-safe) records how many lines were returned: sent back as
`token`, only the lines written since come back; `full_content=true` ignores it.
"""

from __future__ import annotations

import base64
import json
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, Request, Response
from fastapi.responses import JSONResponse

from riir_airflow.broker.api.deps import READ, bad_request, context, not_found, require
from riir_airflow.broker.api.schemas_ti import TaskInstancesLogResponse
from riir_airflow.broker.auth import Principal

__all__ = ["logs_router", "structured"]


def structured(line: str) -> dict[str, Any]:
    """One stored log line as Airflow's StructuredLogMessage."""
    text = line.rstrip("\r")
    if text.startswith("{"):
        try:
            record = json.loads(text)
        except ValueError:
            record = None
        if isinstance(record, dict):
            record.setdefault("event", str(record.get("msg", record.get("message", ""))))
            return record
    return {"event": text}


def _token(position: int) -> str:
    return base64.urlsafe_b64encode(json.dumps({"log_pos": position}).encode()).decode()


def _position(token: str | None) -> int:
    if not token:
        return 0
    try:
        return int(json.loads(base64.urlsafe_b64decode(token.encode()))["log_pos"])
    except (ValueError, KeyError, TypeError):
        raise bad_request("Bad Signature. Please use only the tokens provided by the API.") from None


def get_log(
    request: Request,
    dag_id: str,
    dag_run_id: str,
    task_id: str,
    try_number: int,
    _: Annotated[Principal, Depends(require(READ))],
    full_content: bool = False,
    map_index: int = -1,
    token: str | None = None,
    accept: Annotated[str, Header()] = "*/*",
) -> Response:
    """A task instance's log of one try, as structured lines."""
    ctx = context(request)
    if try_number < 0:
        raise bad_request("try_number must be >= 0")
    in_range = -(2**31) <= map_index < 2**31 and try_number < 2**31  # what the columns can hold
    ti = ctx.store.get_task_instance(dag_id, dag_run_id, task_id, map_index) if in_range else None
    if ti is None:
        raise not_found("TaskInstance not found")
    start = 0 if full_content else _position(token)
    lines = ctx.store.read_log(dag_id, dag_run_id, task_id, map_index, try_number).splitlines()
    content = [structured(line) for line in lines[start:]]
    if "application/x-ndjson" in accept:
        body = "".join(json.dumps(record, default=str) + "\n" for record in content)
        return Response(body, media_type="application/x-ndjson")
    answer = {"content": content, "continuation_token": _token(len(lines))}
    return JSONResponse(answer)


def logs_router() -> APIRouter:
    router = APIRouter(
        prefix="/api/v2/dags/{dag_id}/dagRuns/{dag_run_id}/taskInstances/{task_id}", tags=["Task Instance"]
    )
    router.add_api_route(
        "/logs/{try_number}",
        get_log,
        methods=["GET"],
        operation_id="get_log",
        response_model=TaskInstancesLogResponse,
    )
    return router

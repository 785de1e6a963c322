"""The internal app API's messages: typed, versioned dataclasses shared by broker and app.

Contract:
- Every message is a dataclass encoded by `riir_airflow.wire.codec`; `dump(msg)` writes it as
  one JSON object with `"v": WIRE_VERSION` added, `load(body, cls)` reads it back and refuses
  another major version (WireError). Fields may be added with defaults within a version.
- Store calls travel as `StoreRequest` / `StoreResponse` (and `BatchRequest` /
  `BatchResponse` for several calls in one round trip); their `args` / `result` are already
  encoded with the op's types (`riir_airflow.wire.store_ops`).
- Failures travel as `ErrorResponse` with a stable `type` name (see `riir_airflow.wire.errors`).

Why here and not in the broker: the DAG app imports these without FastAPI or pydantic, so the
app's install stays small, and both ends read the same definition (DESIGN.md, "Inside the code").
"""

from __future__ import annotations

import datetime
import enum
import json
from dataclasses import dataclass, field
from typing import Any

from riir_airflow.wire.codec import WireError, decode, encode

__all__ = [
    "WIRE_VERSION",
    "AppInfo",
    "AppList",
    "AppState",
    "BatchCall",
    "BatchOutcome",
    "BatchRequest",
    "BatchResponse",
    "Command",
    "CommandBatch",
    "CommandKind",
    "ErrorInfo",
    "ErrorResponse",
    "HeartbeatRequest",
    "HeartbeatResponse",
    "ImportErrorReport",
    "LeaseGrant",
    "LeaseRequest",
    "RegisterRequest",
    "RegisterResponse",
    "SerializedDag",
    "SerializedTask",
    "StoreRequest",
    "StoreResponse",
    "dump",
    "load",
]

WIRE_VERSION = 1


# -- envelope and errors ----------------------------------------------------------------------
def dump(message: Any) -> bytes:
    """`message` (a dataclass of this module) as UTF-8 JSON with the wire version added."""
    data = encode(message, type(message))
    data["v"] = WIRE_VERSION
    return json.dumps(data, separators=(",", ":"), ensure_ascii=False).encode()


def load[M](body: bytes | str, cls: type[M]) -> M:
    """Parse one message of type `cls`; WireError for bad JSON, another version or bad fields."""
    try:
        data = json.loads(body)
    except (TypeError, ValueError) as exc:
        raise WireError(f"body is not JSON: {exc}") from None
    if not isinstance(data, dict):
        raise WireError("body must be a JSON object")
    version = data.pop("v", None)
    if version != WIRE_VERSION:
        raise WireError(f"wire version {version!r} is not supported (this side speaks {WIRE_VERSION})")
    return decode(data, cls)


@dataclass(slots=True)
class ErrorInfo:
    """What went wrong: `type` is a stable name (`KeyError`, `StaleFencingToken`, ...)."""

    type: str
    message: str


@dataclass(slots=True)
class ErrorResponse:
    error: ErrorInfo


# -- store calls ------------------------------------------------------------------------------
@dataclass(slots=True)
class StoreRequest:
    """One Store call. `fencing` maps dag_id -> the fencing token of the lease the caller holds;
    `request_id` (writes) lets the broker answer a retried request without applying it twice."""

    args: dict[str, Any] = field(default_factory=dict)
    fencing: dict[str, int] = field(default_factory=dict)
    request_id: str | None = None


@dataclass(slots=True)
class StoreResponse:
    result: Any = None


@dataclass(slots=True)
class BatchCall:
    op: str
    args: dict[str, Any] = field(default_factory=dict)


@dataclass(slots=True)
class BatchRequest:
    """Several Store calls applied in order, each on its own (one failing does not stop the
    rest): how an app delivers its buffered updates in one round trip."""

    calls: list[BatchCall] = field(default_factory=list)
    fencing: dict[str, int] = field(default_factory=dict)
    request_id: str | None = None


@dataclass(slots=True)
class BatchOutcome:
    result: Any = None
    error: ErrorInfo | None = None


@dataclass(slots=True)
class BatchResponse:
    outcomes: list[BatchOutcome] = field(default_factory=list)


# -- registration, heartbeat, leases ------------------------------------------------------------
@dataclass(slots=True)
class SerializedTask:
    """What the broker knows of a task: enough for the UI graph, zombie handling and the API's
    "why is this task not running" (trigger rule, setup/teardown) and task-group operations."""

    task_id: str
    operator: str = ""
    downstream_task_ids: list[str] = field(default_factory=list)
    retries: int = 0
    retry_delay_seconds: float = 300.0
    pool: str = "default_pool"
    queue: str = "default"
    is_mapped: bool = False
    trigger_rule: str = "all_success"
    is_setup: bool = False
    is_teardown: bool = False
    task_group_ids: list[str] = field(default_factory=list)  # enclosing TaskGroups, outermost first
    extra_links: list[str] = field(default_factory=list)  # names of the operator's extra links
    outlets: str | None = None  # `sdk.assets.condition_to_json` of its Asset/AssetAlias outlets (all of them)


@dataclass(slots=True)
class SerializedDag:
    """A DAG as registered: structure and schedule summary, never its code."""

    dag_id: str
    fileloc: str
    tasks: list[SerializedTask] = field(default_factory=list)
    schedule: str | None = None  # "@daily", a cron expression, "asset", a timedelta text, None
    asset_condition: str | None = None  # `sdk.assets.condition_to_json` text for asset schedules
    description: str | None = None
    owner: str | None = None
    tags: list[str] = field(default_factory=list)
    start_date: datetime.datetime | None = None
    end_date: datetime.datetime | None = None
    catchup: bool = False
    max_active_runs: int | None = None
    max_active_tasks: int | None = None
    is_paused_upon_creation: bool | None = None
    timetable: dict[str, Any] | None = None  # {"type": Timetable.type_name, "value": serialize()}
    depends_on_past: bool = False  # some task has depends_on_past (a backfill must go forwards)
    allowed_run_types: list[str] | None = None  # the DAG's `allowed_run_types` (None: every type)
    # The DAG's params by name, in their order: {"schema": {...}, "description": str | None} plus
    # "default" when the Param has one (no "default": the run's conf must supply it). A default or
    # schema that is not JSON is left out and the param marked "unchecked": true (the broker does
    # not check it; the app still does). None: an app older than this field (nothing checked).
    params: dict[str, dict[str, Any]] | None = None


@dataclass(slots=True)
class RegisterRequest:
    """An app announcing itself. `code_hash` identifies the DAG file's code version."""

    dags: list[SerializedDag]
    code_hash: str
    version: str = ""  # the app's riir-airflow version
    hostname: str = ""
    pid: int = 0
    fileloc: str = ""


@dataclass(slots=True)
class RegisterResponse:
    """`token` is set when the app registered with the bootstrap secret: it must use it from now
    on. Intervals are in seconds: heartbeat every `heartbeat_interval`, renew leases well within
    `lease_ttl`. `paused` says which DAGs are paused now (a new DAG starts paused unless it says
    otherwise, per `[core] dags_are_paused_at_creation`); later changes arrive as pause/unpause
    commands. `versions` is each DAG's code version number, which the runs it creates record."""

    app_id: str
    dag_ids: list[str]
    heartbeat_interval: float
    heartbeat_timeout: float
    lease_ttl: float
    token: str | None = None
    paused: dict[str, bool] = field(default_factory=dict)
    versions: dict[str, int] = field(default_factory=dict)


class AppState(str, enum.Enum):
    ALIVE = "alive"
    GONE = "gone"

    def __str__(self) -> str:
        return self.value


@dataclass(slots=True)
class HeartbeatRequest:
    app_id: str


@dataclass(slots=True)
class HeartbeatResponse:
    app_id: str
    state: AppState
    server_time: datetime.datetime


@dataclass(slots=True)
class AppInfo:
    """One entry of the registry of DAG apps."""

    app_id: str
    dag_ids: list[str]
    code_hash: str
    version: str
    hostname: str
    pid: int
    fileloc: str
    state: AppState
    registered_at: datetime.datetime
    last_heartbeat: datetime.datetime


@dataclass(slots=True)
class AppList:
    apps: list[AppInfo] = field(default_factory=list)


@dataclass(slots=True)
class LeaseRequest:
    """Acquire or renew (same call) or release the scheduling lease of `dag_id` for `app_id`."""

    app_id: str
    dag_id: str


@dataclass(slots=True)
class LeaseGrant:
    """The lease as it stands after the request. `held` says whether the requester holds it;
    `fencing_token` (only when held) must accompany the requester's writes to that DAG."""

    dag_id: str
    held: bool
    holder_app_id: str | None = None
    fencing_token: int | None = None
    expires_at: datetime.datetime | None = None


# -- commands and import errors -----------------------------------------------------------------
class CommandKind(str, enum.Enum):
    TRIGGER_RUN = "trigger_run"
    CLEAR_TASKS = "clear_tasks"
    MARK_STATE = "mark_state"
    PAUSE = "pause"
    UNPAUSE = "unpause"
    KILL_TASK = "kill_task"
    BACKFILL = "backfill"  # a backfill of the DAG changed (created, paused, unpaused, cancelled)

    def __str__(self) -> str:
        return self.value


@dataclass(slots=True)
class Command:
    """A command for the app holding `dag_id`'s lease. `id` (assigned by the broker, increasing)
    is what the app acknowledges. Fields beyond `kind`/`dag_id` apply per kind:
    trigger_run: run_id, logical_date, conf, note; clear_tasks: run_id, task_ids, map_index,
    include_*/only_failed; mark_state: run_id, task_ids (none: the run), map_index, state;
    kill_task: run_id, task_ids, map_index; backfill: none (the app asks the broker for the
    DAG's active backfills)."""

    kind: CommandKind
    dag_id: str
    id: int = 0
    created_at: datetime.datetime | None = None
    run_id: str | None = None
    logical_date: datetime.datetime | None = None
    conf: dict[str, Any] = field(default_factory=dict)
    note: str | None = None
    task_ids: list[str] = field(default_factory=list)
    map_index: int | None = None
    state: str | None = None
    include_upstream: bool = False
    include_downstream: bool = False
    only_failed: bool = False


@dataclass(slots=True)
class CommandBatch:
    """The unacknowledged commands of the DAGs whose lease the polling app holds, oldest first.
    Delivery is at least once: the app acknowledges ids (`ack=` on its next poll) once it has
    taken them in; until then they are delivered again (also to a new lease holder)."""

    commands: list[Command] = field(default_factory=list)


@dataclass(slots=True)
class ImportErrorReport:
    """A DAG file that failed to import: reported instead of registering."""

    fileloc: str
    stacktrace: str
    timestamp: datetime.datetime | None = None

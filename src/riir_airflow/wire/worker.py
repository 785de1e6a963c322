"""Messages between a DAG app and its task worker processes: one request in, one result out.

Contract:
- The app sends a `TaskRequest` (through its fork server) for each try it starts; the forked
  worker runs exactly that try and writes one `TaskResult` to its result pipe before it exits.
  A worker that dies without writing one (killed, out of memory, `os._exit`) is a failed try.
- Values a task's code produced or consumes (trigger arguments, resume payloads) travel as
  `riir_airflow.sdk.serde` JSON text, so datetimes, sets, tuples and the like survive the trip.
- Encoded with `riir_airflow.wire.messages.dump` / `load`, like every other message between
  processes, so both ends read one definition.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field

from riir_airflow.store.records import DagRunRecord, TaskInstanceRecord
from riir_airflow.wire.messages import BatchCall

__all__ = ["Deferral", "TaskRequest", "TaskResult"]


@dataclass(slots=True)
class TaskRequest:
    """Run one try: `ti` is the instance running, its try number advanced; the worker records
    that (in its first write to the broker, with the try's XComs deleted unless it resumes).

    `resume_method` (with `resume_kwargs`, serde text) resumes a deferred task in that method;
    `resume_failure` resumes it only to fail (its trigger failed or timed out: "timeout" or the
    trigger's error text). `reschedule_first`/`reschedule_count` carry a reschedule-mode
    sensor's history. `broker_url`, `token` and `fencing` are what the worker's store uses."""

    request_id: int
    run: DagRunRecord
    ti: TaskInstanceRecord
    broker_url: str
    token: str | None = None
    fencing: dict[str, int] = field(default_factory=dict)
    resume_method: str | None = None
    resume_kwargs: str | None = None
    resume_failure: str | None = None
    reschedule_first: datetime.datetime | None = None
    reschedule_count: int = 0


@dataclass(slots=True)
class Deferral:
    """A task that deferred: its trigger as `serialize()` gave it, and how to resume."""

    classpath: str
    trigger_kwargs: str  # serde text of the trigger's kwargs
    method_name: str
    kwargs: str | None = None  # serde text of the kwargs the method resumes with
    timeout_seconds: float | None = None


@dataclass(slots=True)
class TaskResult:
    """How the try ended: the task-instance state the engine decided (`outcome_of_try`)."""

    request_id: int
    state: str
    error: str | None = None  # the exception, as text, for the app's log
    skip_downstream: list[str] = field(default_factory=list)
    reschedule_date: datetime.datetime | None = None
    deferral: Deferral | None = None
    end_date: datetime.datetime | None = None
    recorded: bool = False  # `writes` hold the instance's final state (and end_date)
    # The try's writes the worker did not send itself (its start, XComs, rendered fields, its
    # end), encoded, in order: the app sends them with other tries' (one round trip for many)
    # and takes the result in only once they are stored.
    writes: list[BatchCall] = field(default_factory=list)

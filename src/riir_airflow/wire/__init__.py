"""Messages that cross the app <-> broker boundary: defined once, shared by both sides.

`codec` encodes records and messages as JSON (UTC ISO datetimes, enums by value), `messages`
holds the internal API's typed requests and responses (versioned with `"v"`), `store_ops` maps
every Store method to a wire call, and `errors` names each failure with its HTTP status. Only
the standard library and pendulum are needed, so the DAG app imports this without any server
dependency.
"""

from riir_airflow.wire.codec import WireError, decode, encode
from riir_airflow.wire.messages import WIRE_VERSION, dump, load
from riir_airflow.wire.store_ops import STORE_OPS, StoreOp

__all__ = ["STORE_OPS", "WIRE_VERSION", "StoreOp", "WireError", "decode", "dump", "encode", "load"]

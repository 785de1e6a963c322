"""The wire codec builds one converter per type on first use: from many threads at once (the DAG
app encodes from many), for types that contain themselves, with the same answers and errors as
before (the round trip of every message is pinned in test_wire.py)."""

from __future__ import annotations

import dataclasses
import datetime
import enum
import sys
import threading
from typing import Any

import pendulum
import pytest

from riir_airflow.wire.codec import WireError, decode, encode


@dataclasses.dataclass
class Node:
    name: str
    children: list[Node] = dataclasses.field(default_factory=list)
    parent: Node | None = None
    weights: dict[str, float] = dataclasses.field(default_factory=dict)


class Color(enum.Enum):
    RED = "red"


def test_a_type_that_contains_itself_round_trips() -> None:
    tree = Node("root", [Node("a", [Node("a1")]), Node("b", weights={"x": 1.5})], parent=Node("up"))
    data = encode(tree, Node)
    assert data["children"][0]["children"][0] == {"name": "a1", "children": [], "parent": None, "weights": {}}
    assert decode(data, Node) == tree
    assert decode(data, Node | None) == tree and decode(None, Node | None) is None


def test_first_use_from_many_threads_at_once() -> None:
    at = pendulum.datetime(2024, 1, 1, tz="UTC")
    interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)  # threads interleave inside the build, as on a busy machine
    try:
        for trial in range(10):  # fresh types each time: every thread races to build them first
            leaf = dataclasses.make_dataclass(
                f"Leaf{trial}",
                [
                    ("at", datetime.datetime),
                    ("color", Color),
                    ("tags", tuple[str, ...], dataclasses.field(default=())),
                ],
            )
            fresh = dataclasses.make_dataclass(
                f"Fresh{trial}",
                [("leaves", list[leaf]), ("best", leaf | None, dataclasses.field(default=None)),
                 ("extra", Any, dataclasses.field(default=None))],
            )  # fmt: skip
            value = fresh([leaf(at, Color.RED, ("a", "b"))] * 3, best=leaf(at, Color.RED), extra={"k": [1]})
            assert _race(lambda value=value, fresh=fresh: decode(encode(value, fresh), fresh)) == [value] * 16
    finally:
        sys.setswitchinterval(interval)


def _race(work: Any, threads: int = 16) -> list[Any]:
    barrier = threading.Barrier(threads)
    results: list[Any] = []
    errors: list[BaseException] = []

    def run() -> None:
        try:
            barrier.wait()
            results.append(work())
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    started = [threading.Thread(target=run) for _ in range(threads)]
    for thread in started:
        thread.start()
    for thread in started:
        thread.join()
    assert errors == []
    return results


@pytest.mark.parametrize(
    ("data", "tp", "message"),
    [
        (None, str, "null where <class 'str'> is required"),
        (1, str, "expected str, got 1"),
        (True, int, "expected int, got True"),
        ("x", float, "expected float, got 'x'"),
        (1, bool, "expected bool, got 1"),
        ("blue", Color, "'blue' is not a valid Color"),
        ({"children": []}, Node, "Node without its required field 'name'"),
        ([], Node, "expected an object for Node, got list"),
        ("x", list[int], "expected a list of <class 'int'>, got str"),
        ([], dict[str, int], "expected an object, got list"),
        (5, datetime.datetime, "expected ISO datetime text, got 5"),
        ("2024-01-01T00:00:00", datetime.datetime, "datetime without offset on the wire"),
    ],
)
def test_decode_errors_say_what_did_not_fit(data: Any, tp: Any, message: str) -> None:
    with pytest.raises(WireError, match=message.replace("(", r"\(").replace(")", r"\)").replace("[", r"\[")):
        decode(data, tp)


def test_encode_errors() -> None:
    with pytest.raises(WireError, match="None where <class 'str'> is required"):
        encode(None, str)
    with pytest.raises(WireError, match="a string where a sequence"):
        encode("abc", list[str])
    with pytest.raises(ValueError, match="naive datetime"):
        encode(datetime.datetime(2024, 1, 1), datetime.datetime)
    with pytest.raises(TypeError, match="has no wire encoding"):
        encode(b"x", bytes)
    with pytest.raises(TypeError, match="unsupported union"):
        encode(1, int | str)
    assert encode(None, int | None) is None
    assert encode(Color.RED, Color) == "red" and encode("red", Color) == "red"

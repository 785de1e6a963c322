"""Task output waiting for the broker: memory first, then a spool file, in order, bounded."""

from __future__ import annotations

from riir_airflow.runtime.app.output_queue import OutputQueue


def _drain(queue: OutputQueue, budget: int = 1 << 30) -> list[tuple[tuple, str]]:
    out = []
    while queue:
        chunks, _ = queue.take(budget)
        out.extend(chunks)
    return out


def test_chunks_past_the_memory_bound_wait_on_disk_and_come_back_in_order() -> None:
    queue = OutputQueue(memory_bytes=10, disk_bytes=1000)
    pushed = [(("d", "r", "t", -1, 1), f"line {i}\n") for i in range(20)]
    for key, text in pushed:
        queue.push(key, text)
    assert queue.on_disk > 0
    assert _drain(queue, budget=25) == pushed
    assert queue.on_disk == 0 and not queue


def test_once_a_chunk_went_to_disk_later_ones_follow_it_there_to_keep_the_order() -> None:
    queue = OutputQueue(memory_bytes=10, disk_bytes=1000)
    queue.push(("k",), "0123456789")  # fills memory
    queue.push(("k",), "disk")
    first, _ = queue.take(10)  # memory empties; the disk part still waits
    queue.push(("k",), "x")  # small enough for memory, but must come after "disk"
    assert [text for _, text in first] == ["0123456789"]
    assert [text for _, text in _drain(queue)] == ["disk", "x"]


def test_take_stays_within_its_budget_but_always_moves_at_least_one_chunk() -> None:
    queue = OutputQueue(memory_bytes=1000, disk_bytes=1000)
    for text in ("aaaa", "bbbb", "cccc"):
        queue.push(("k",), text)
    chunks, _ = queue.take(9)
    assert [text for _, text in chunks] == ["aaaa", "bbbb"]
    big = OutputQueue(memory_bytes=1000, disk_bytes=1000)
    big.push(("k",), "x" * 50)
    assert len(big.take(10)[0]) == 1


def test_output_beyond_both_bounds_is_dropped_and_counted_once() -> None:
    queue = OutputQueue(memory_bytes=5, disk_bytes=40)
    for _ in range(10):
        queue.push(("k",), "12345")
    kept = _drain(queue)
    assert 1 < len(kept) < 10
    assert queue.take(10) == ([], 0)  # the count was reported by the first take
    queue2 = OutputQueue(memory_bytes=5, disk_bytes=40)
    for _ in range(10):
        queue2.push(("k",), "12345")
    _, dropped = queue2.take(1 << 30)
    assert dropped == 5 * (10 - len(kept))


def test_chunks_given_back_go_out_first_again() -> None:
    queue = OutputQueue(memory_bytes=5, disk_bytes=1000)
    for text in ("a", "b", "cccccc", "d"):
        queue.push(("k",), text)
    taken, _ = queue.take(2)
    queue.give_back(taken)
    assert [text for _, text in _drain(queue)] == ["a", "b", "cccccc", "d"]


def test_non_ascii_output_survives_the_spool_file() -> None:
    queue = OutputQueue(memory_bytes=0, disk_bytes=1000)
    queue.push(("d", "r", "t", -1, 1), "héllo ✓\n")
    assert _drain(queue) == [(("d", "r", "t", -1, 1), "héllo ✓\n")]

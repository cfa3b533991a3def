"""Worker pool: results come back, workers are recycled, a crashing file is isolated."""

from __future__ import annotations

import os

from pipeline.parallel import WorkerCrashed, map_unordered


def _pid_of(item: int) -> tuple[int, int]:
    return item, os.getpid()


def _crash_on_three(item: int) -> int:
    if item == 3:
        os._exit(1)  # a C-level crash: the process dies without a Python exception
    if item == 5:
        raise ValueError("bad item")
    return item * 10


def test_workers_are_recycled() -> None:
    results = dict(map_unordered(_pid_of, list(range(6)), workers=2, tasks_per_child=1))
    assert sorted(results) == list(range(6))
    pids = [pid for _, pid in results.values()]
    assert os.getpid() not in pids
    # A pool is replaced after workers * tasks_per_child = 2 files, and a pool may start only
    # one of its two workers when files are quick: so no process reads more than 2 files.
    assert max(pids.count(pid) for pid in pids) <= 2
    assert len(set(pids)) >= 3


def test_a_crashing_item_is_reported_and_the_rest_finish() -> None:
    results = dict(map_unordered(_crash_on_three, list(range(7)), workers=2, tasks_per_child=4))
    assert sorted(results) == list(range(7))
    assert isinstance(results[3], WorkerCrashed)
    assert isinstance(results[5], ValueError)
    assert {i: results[i] for i in (0, 1, 2, 4, 6)} == {0: 0, 1: 10, 2: 20, 4: 40, 6: 60}

"""Map a function over files in recycled worker processes, surviving crashed workers.

pdfminer is pure Python, so threads do not help: processes do. Workers are recycled so a
parser's memory growth cannot accumulate: every ``workers * tasks_per_child`` files the
pool is replaced by a fresh one (the old one finishes its running files and exits).

Why not ``ProcessPoolExecutor(max_tasks_per_child=...)``: on CPython 3.11-3.13 it can
deadlock once a worker retires while tasks are queued (python/cpython#115634, fixed only in
late 2025 releases); we saw exactly that hang here. Generations of plain pools give the same
memory bound with no reliance on that code path. At most ``workers`` files are in flight,
so a retiring pool never holds a backlog.

A worker that dies (a crash in a C library, the OOM killer) costs only the files it was
reading: they are re-run one at a time in fresh pools, and the one that kills its pool
again is reported as :class:`WorkerCrashed`.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from typing import TypeVar

T = TypeVar("T")
R = TypeVar("R")

log = logging.getLogger(__name__)


class WorkerCrashed(RuntimeError):
    """The worker process died while handling this item."""


def default_workers() -> int:
    """All cores this process may use."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - non-Linux
        return max(1, os.cpu_count() or 1)


def _pool(workers: int, initializer: Callable[[], None] | None) -> ProcessPoolExecutor:
    return ProcessPoolExecutor(
        max_workers=workers,
        mp_context=multiprocessing.get_context("spawn"),
        initializer=initializer,
    )


def map_unordered(
    fn: Callable[[T], R],
    items: Sequence[T],
    *,
    workers: int,
    tasks_per_child: int,
    initializer: Callable[[], None] | None = None,
) -> Iterator[tuple[int, R | BaseException]]:
    """Yield ``(index, result or exception)`` as items finish, in completion order.

    ``workers == 1`` runs in this process (no start-up cost; used by tests and tiny runs).
    Exceptions raised by ``fn`` are yielded, not raised, so one bad item never stops a run.
    """
    if not items:
        return
    if workers <= 1:
        if initializer is not None:
            initializer()
        for index, item in enumerate(items):
            try:
                yield index, fn(item)
            except Exception as exc:  # noqa: BLE001 - reported per item
                yield index, exc
        return
    queue = deque(range(len(items)))
    suspects: list[int] = []
    budget_per_pool = workers * tasks_per_child
    pool, budget = _pool(workers, initializer), budget_per_pool
    in_flight: dict[Future[R], int] = {}
    try:
        while queue or in_flight:
            while queue and len(in_flight) < workers:
                if budget == 0:  # retire this generation; its running files still finish
                    pool.shutdown(wait=False)
                    pool, budget = _pool(workers, initializer), budget_per_pool
                index = queue.popleft()
                in_flight[pool.submit(fn, items[index])] = index
                budget -= 1
            done, _ = wait(in_flight, return_when=FIRST_COMPLETED)
            for future in done:
                index = in_flight.pop(future)
                try:
                    yield index, future.result()
                except BrokenProcessPool:
                    suspects.append(index)
                except Exception as exc:  # noqa: BLE001 - reported per item
                    yield index, exc
            if any(isinstance(f.exception(), BrokenProcessPool) for f in done):
                pool.shutdown(wait=False)
                pool, budget = _pool(workers, initializer), budget_per_pool
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
    if suspects:
        log.warning("a worker process died; re-running %d file(s) one at a time", len(suspects))
    for index in sorted(suspects):
        with _pool(1, initializer) as single:
            try:
                yield index, single.submit(fn, items[index]).result()
            except BrokenProcessPool:
                yield index, WorkerCrashed("the worker process died while reading it")
            except Exception as exc:  # noqa: BLE001 - reported per item
                yield index, exc

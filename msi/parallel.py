"""One function over many jobs: in this process, or in a pool of worker processes.

Used by ``msi score --workers`` and ``msi compare --workers`` (``msi score --cluster`` sends the
same per-video function to Dask instead, :mod:`msi.cluster`). Workers are *spawned*, not forked:
MediaPipe's graph threads and fork do not mix.
"""
from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Iterator
from typing import TypeVar

J = TypeVar("J")
R = TypeVar("R")


def imap_jobs(fn: Callable[[J], R], jobs: Iterable[J], workers: int = 1, parent_works: bool = False) -> Iterator[R]:
    """``fn(job)`` for every job, yielded as each finishes (completion order with several workers).
    ``fn`` must never raise for one job (return an error record instead): a batch keeps every
    finished item. Never more workers than jobs. ``parent_works``: this process is one of the
    ``workers`` (it runs jobs too, from the start, while the spawned ones are still importing),
    so one process fewer is spawned."""
    jobs = list(jobs)
    spawned = min(workers, len(jobs)) - (1 if parent_works else 0)
    if workers <= 1 or len(jobs) <= 1 or spawned < 1:
        for job in jobs:
            yield fn(job)
        return
    import multiprocessing as mp

    with mp.get_context("spawn").Pool(spawned, initializer=_worker_init) as pool:
        if parent_works:
            yield from _shared_with_parent(pool, spawned, fn, jobs)
        else:
            yield from pool.imap_unordered(fn, jobs)


def _shared_with_parent(pool, spawned: int, fn: Callable[[J], R], jobs: list[J]) -> Iterator[R]:
    """The jobs taken in order by the pool's ``spawned`` workers (one job each at a time) and by
    this process, each result yielded as soon as it is known."""
    import collections
    import queue

    pending = collections.deque(jobs)
    done: queue.SimpleQueue = queue.SimpleQueue()  # (ok, result or exception), from the pool's thread
    out = 0

    def feed() -> None:
        nonlocal out
        while out < spawned and pending:
            pool.apply_async(fn, (pending.popleft(),), callback=lambda r: done.put((True, r)),
                             error_callback=lambda e: done.put((False, e)))
            out += 1

    def taken(item: tuple[bool, object]) -> R:
        nonlocal out
        out -= 1
        ok, value = item
        if not ok:
            raise value  # a worker that died: as imap_unordered raises it
        feed()
        return value

    feed()
    while pending or out:
        while True:  # what the workers finished meanwhile
            try:
                item = done.get_nowait()
            except queue.Empty:
                break
            yield taken(item)
        if pending:
            yield fn(pending.popleft())
            continue
        if out:
            try:
                item = done.get(timeout=0.5)  # a timeout keeps Ctrl-C deliverable
            except queue.Empty:
                continue
            yield taken(item)


def _worker_init() -> None:
    """N workers x 1 thread each (not N x all cores): set before torch or BLAS load; and MediaPipe's
    native log lines kept away from the user's terminal."""
    import warnings

    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ.setdefault(var, "1")
    os.environ.setdefault("GLOG_minloglevel", "2")
    warnings.filterwarnings("ignore")
    from msi.tracking.trackers import silence_native_logs

    silence_native_logs()

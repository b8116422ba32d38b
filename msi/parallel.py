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


def imap_jobs(fn: Callable[[J], R], jobs: Iterable[J], workers: int = 1) -> Iterator[R]:
    """``fn(job)`` for every job, yielded as each finishes (completion order with several workers).
    ``fn`` must never raise for one job (return an error record instead): a batch keeps every
    finished item."""
    jobs = list(jobs)
    if workers <= 1 or len(jobs) <= 1:
        for job in jobs:
            yield fn(job)
        return
    import multiprocessing as mp

    with mp.get_context("spawn").Pool(min(workers, len(jobs)), initializer=_worker_init) as pool:
        yield from pool.imap_unordered(fn, jobs)


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

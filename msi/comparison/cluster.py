"""``msi compare --cluster`` and ``msi report --cluster``: the utterance jobs on Dask.

The same jobs :func:`msi.comparison.compare.iter_compare` runs locally (one per utterance: every
method's video of that name and its truth, each decoded once) go to a Dask ``distributed``
cluster (``tcp://host:8786``, or ``local:N``: :func:`msi.cluster.connect`), one task per
utterance; the rows come back as each task finishes. Per-video rows and network features are
computed on the workers, which keep each network loaded between tasks (one load per worker
process: :func:`msi.metrics.networks.network` caches it); set-level FID/FVD and the tests are
computed on the client from the rows, as locally. The numbers are those of a local run (the same
code on the same inputs).

Inputs must be readable at the same path on every worker (or be URLs); the landmark and feature
caches are each worker's (``--cache-dir`` on a shared filesystem makes them one). Faults are
handled as ``msi score --cluster`` handles them: Dask reschedules the task of a worker that
dies; an utterance that kills workers repeatedly, or a lost scheduler, becomes error rows of
kind ``worker_died`` / ``cluster`` for its videos; SIGTERM or Ctrl-C on the client cancels the
pending tasks and keeps every finished row.
"""
from __future__ import annotations

import contextlib
from typing import Iterable, Iterator


def _remote_job(job: tuple) -> list[dict]:
    """One utterance on a worker (its networks and trackers stay loaded for the next)."""
    from msi.cluster import _worker_setup
    from msi.comparison.jobs import utterance_rows
    from msi.tracking.trackers import reuse_trackers

    _worker_setup()
    with reuse_trackers():
        return utterance_rows(job)


def compare_cluster(jobs: Iterable[tuple], address: str = "local:2", timeout: float = 30.0) -> Iterator[list[dict]]:
    """The rows of each job (:func:`msi.comparison.compare.utterance_jobs`) as its task finishes;
    never raises for one job (its videos become error rows); :class:`msi.errors.ClusterError`
    when the cluster cannot be reached."""
    from msi.cluster import connect

    jobs = list(jobs)
    if not jobs:
        return
    futures: dict = {}
    with connect(address, timeout=timeout) as client:
        try:
            for job in jobs:
                futures[client.submit(_remote_job, job, pure=False)] = job
            from distributed import as_completed

            for fut in as_completed(futures, loop=client.loop):
                rows = _collect(fut, futures[fut])
                fut.release()
                yield rows
        finally:
            pending = [f for f in futures if not f.done()]
            if pending:
                with contextlib.suppress(Exception):
                    client.cancel(pending)


def _collect(fut, job: tuple) -> list[dict]:
    """The task's rows; a task that could not complete is an error row for each of its videos."""
    from distributed import KilledWorker

    from msi.comparison.jobs import error_row
    from msi.errors import MSIError

    try:
        return fut.result()
    except KilledWorker:
        exc = MSIError("every worker process that tried it died (a crash in the decoder or the tracker?)")
        exc.kind = "worker_died"
    except Exception as e:  # noqa: BLE001 - a lost scheduler, a result that could not come back, ...
        first = str(e).splitlines()[0] if str(e) else ""
        exc = MSIError(f"on the cluster: {type(e).__name__}: {first}".rstrip(": "))
        exc.kind = "cluster"
    name, videos = job[0], job[1]
    rows = []
    for method, path in videos.items():
        row = error_row(path, exc)
        row.update(method=method, name=name)
        rows.append(row)
    return rows

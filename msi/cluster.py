"""Scoring on a Dask cluster: the per-video work of :func:`msi.score.score_many` on many machines.

``score_cluster(paths, settings, address)`` sends each video that needs tracking to a Dask
``distributed`` cluster (``"tcp://host:8786"``, or ``"local:N"`` for a LocalCluster of N
single-threaded worker processes on this machine) and yields results as they complete, exactly as
``score_many`` does locally: same records, same numbers (the same code runs on the workers).

What runs where:

- On the client: landmark files, inputs that are not files (their error rows), and videos already
  in the client's landmark cache (so rerunning a killed client only sends what is not finished).
- On the workers: tracking and scoring of every other video; one task per video. Each worker
  process keeps its tracker between videos (:func:`msi.tracking.trackers.reuse_trackers`), so the models
  are built once per process, not once per video.

Landmark cache:

- a cache folder given explicitly is taken to be shared (a network filesystem mounted at the same
  path on every host): workers read and write it directly;
- otherwise workers track without a cache and send the landmarks back with the result; the client
  stores them in its own cache, exactly as a local run would have.

Faults: Dask reschedules the task of a worker that dies (another worker tracks that video from the
start); a video that kills workers repeatedly (``distributed.scheduler.allowed-failures``, default
3) becomes an error row of kind ``worker_died``. Inputs must be readable at the same path on every
worker, or be URLs (``s3://...``, :mod:`msi.io.remote`), which each worker streams itself; a
shared ``cache`` may be a URL too. ``distributed`` is imported only here (``pip install 'stableface[dask]'``).
"""
from __future__ import annotations

import contextlib
import dataclasses
import json
import logging
import os
import tempfile
from typing import Iterable, Iterator

from msi.errors import ClusterError
from msi.acquire import get_landmarks
from msi.score import ScoreResult, _score_one
from msi.settings import Settings

LOCAL_PREFIX = "local:"
#: The address schemes a Dask client connects over (an address without one is TCP).
SCHEMES = ("tcp", "tls", "ws", "wss", "inproc", "ucx")
#: A LocalCluster's scheduler serves its health routes on a free loopback port, not on 8787
#: (where another scheduler may already be, which would print a warning).
LOCAL_QUIET = {"host": "127.0.0.1", "scheduler_kwargs": {"dashboard_address": "127.0.0.1:0"}}


# ----------------------------------------------------------------------------- worker side

_WORKER_STATE: dict = {}  # per worker process: survives between tasks, rebuilt if the process is replaced


def _worker_setup() -> None:
    """Once per worker process: MediaPipe's native log lines are not for the client's terminal."""
    if _WORKER_STATE:
        return
    from msi.tracking.trackers import silence_native_logs

    silence_native_logs()
    _WORKER_STATE.update(pid=os.getpid(), videos=0)


def _remote_score(path: str, settings: Settings, cache_dir: str | None,
                  send_landmarks: bool) -> tuple[ScoreResult, tuple | None]:
    """One video on a worker -> (result, cache entry for the client or None)."""
    from msi.tracking.trackers import reuse_trackers

    _worker_setup()
    _WORKER_STATE["videos"] += 1
    with reuse_trackers():  # the tracker and face-check models are built once per worker process
        if not send_landmarks:
            return _score_one((path, settings, cache_dir or False, False)), None
        # Track into a private, throw-away cache: the entry it leaves is exactly what a local run
        # would have written to the client's cache, so the client stores it unchanged.
        from msi.io.cache import LandmarkCache

        with tempfile.TemporaryDirectory(prefix="msi-worker-") as tmp:
            result = _score_one((path, settings, tmp, False))
            entry = None
            for npz in sorted(p for p in _walk(tmp) if p.endswith(".npz")):
                key = os.path.basename(npz)[:-4]
                hit = LandmarkCache(tmp).get(key)
                if hit is not None:
                    lm = hit.pop("landmarks")
                    entry = (key, lm, hit)
            if entry is not None:  # a URL's content hash, computed here while it streamed
                index = [json.loads(open(p, "rb").read()) for p in _walk(tmp) if p.endswith(".json")]
                entry += tuple((rec["identity"], rec["sha256"]) for rec in index)
        return result, entry


def _walk(root: str) -> Iterator[str]:
    for d, _, files in os.walk(root):
        for f in files:
            yield os.path.join(d, f)


def worker_info() -> dict:
    """This worker process's pid, videos scored and models built (run it with ``Client.run``)."""
    from msi.tracking.trackers import tracker_builds

    builds = tracker_builds()
    return {**_WORKER_STATE, "trackers_built": builds["tracker"], "face_checks_built": builds["face_check"]}


# ----------------------------------------------------------------------------- client side


def parse_address(address: str) -> tuple[str | None, int | None]:
    """``"local:N"`` -> (None, N); anything else -> (address, None)."""
    address = address.strip()
    if address.startswith(LOCAL_PREFIX):
        n = address[len(LOCAL_PREFIX):]
        if not n.isdigit() or int(n) < 1:
            raise ClusterError(f"cluster address {address!r}: expected local:N with N >= 1 worker processes")
        return None, int(n)
    if not address:
        raise ClusterError("empty cluster address")
    scheme = address.split("://", 1)[0] if "://" in address else "tcp"
    if scheme not in SCHEMES:
        raise ClusterError(f"cluster address {address!r}: unknown scheme {scheme!r} (expected "
                           f"{', '.join(s + '://' for s in SCHEMES)}, or local:N)")
    return address, None


@contextlib.contextmanager
def connect(address: str, timeout: float = 30.0):
    """A ``distributed.Client`` on ``address`` (a scheduler, or ``local:N``); closed on exit
    (with the LocalCluster it started, if any)."""
    remote, n_local = parse_address(address)
    try:
        from distributed import Client, LocalCluster
    except ImportError:
        raise ClusterError("scoring on a cluster needs Dask's 'distributed' package: "
                           "pip install 'stableface[dask]'") from None
    cluster = None
    try:
        if n_local:
            # single-threaded processes: MediaPipe and numpy each get one core per worker
            cluster = LocalCluster(n_workers=n_local, threads_per_worker=1, processes=True,
                                   dashboard_address=None, silence_logs=logging.ERROR, **LOCAL_QUIET)
            client = Client(cluster, set_as_default=False)
        else:
            client = Client(remote, timeout=timeout, set_as_default=False)
    except (OSError, TimeoutError, RuntimeError) as exc:
        if cluster is not None:
            cluster.close()
        msg = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        what = "cannot start a local Dask cluster" if n_local else f"cannot reach the Dask scheduler at {address}"
        raise ClusterError(f"{what}: {msg}") from None
    try:
        yield client
    finally:
        with contextlib.suppress(Exception):
            client.close()
        if cluster is not None:
            with contextlib.suppress(Exception):
                cluster.close()


def _runs_on_client(path: str, settings: Settings, cache: bool | str) -> bool:
    """Landmark files, non-files (their error rows) and cache hits are scored on the client."""
    from msi.io.landmarks import is_landmark_file
    from msi.tracking.panels import split_panel_path

    from msi.io.remote import is_url

    file = split_panel_path(path)[0]
    if is_url(file):  # a worker streams it (and hashes it) itself: no shared filesystem needed
        if not cache:
            return False
    elif is_landmark_file(path) or not os.path.isfile(file):
        return True
    if not cache:
        return False
    try:
        return get_landmarks(path, settings, cache, cached_only=True) is not None
    except Exception:  # noqa: BLE001 - whatever it is, the local error row says it
        return True


def score_cluster(paths: Iterable[str], settings: Settings | None = None, address: str = "local:2",
                  cache: bool | str = True, timeout: float = 30.0) -> Iterator[ScoreResult]:
    """Score many inputs on a Dask cluster; yields each result as it finishes, like
    :func:`msi.score.score_many`. Never raises for one input (its result carries ``error``);
    raises :class:`msi.errors.ClusterError` when the cluster cannot be reached.

    ``cache``: True (the client's default cache; workers send landmarks back to it), False (none),
    or a folder all workers share (they read and write it directly).
    """
    from msi.io.cache import LandmarkCache
    from msi.tracking.panels import expand_panels

    settings = settings or Settings()
    paths = expand_panels([str(p) for p in paths], settings.panels, settings.panel_labels)  # file#panel
    store = LandmarkCache(cache if isinstance(cache, str) else None) if cache else None
    shared_dir = cache if isinstance(cache, str) else None
    send_landmarks = bool(cache) and shared_dir is None
    futures: dict = {}
    with contextlib.ExitStack() as stack:
        client = None
        try:
            for p in paths:  # each video is sent as soon as it is known to need the cluster
                if _runs_on_client(p, settings, cache):
                    yield _score_one((p, settings, cache, False))
                    continue
                if client is None:  # connect only if something needs tracking
                    client = stack.enter_context(connect(address, timeout=timeout))
                futures[client.submit(_remote_score, p, settings, shared_dir, send_landmarks, pure=False)] = p
            if not futures:
                return
            from distributed import as_completed

            for fut in as_completed(futures, loop=client.loop):
                result, entry = _collect(fut, futures[fut], settings)
                if entry is not None and store is not None:
                    store.put(*entry[:3])  # before the result is handed on: a killed client loses nothing
                    for identity, content in entry[3:]:  # a URL's version -> content hash
                        store.put_content(identity, content)
                    result.warnings += store.warnings  # e.g. an unwritable cache folder, as locally
                    store.warnings.clear()
                fut.release()
                yield result
        finally:
            pending = [f for f in futures if not f.done()]
            if pending and client is not None:
                with contextlib.suppress(Exception):
                    client.cancel(pending)


def _collect(fut, path: str, settings: Settings) -> tuple[ScoreResult, tuple | None]:
    """The task's (result, entry); a task that could not complete becomes an error row."""
    from distributed import KilledWorker

    try:
        return fut.result()
    except KilledWorker:
        msg = "every worker process that tried it died (a crash in the decoder or the tracker?)"
        kind = "worker_died"
    except Exception as exc:  # lost scheduler, a result that could not be sent back, ...
        first = str(exc).splitlines()[0] if str(exc) else ""
        msg, kind = f"on the cluster: {type(exc).__name__}: {first}".rstrip(": "), "cluster"
    from msi.io.remote import display_path, redact_text

    return ScoreResult(path=display_path(path), error=redact_text(msg), error_kind=kind,
                       settings=dataclasses.asdict(settings)), None

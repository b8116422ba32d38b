"""`msi score --cluster`: the per-video work on a real Dask LocalCluster over the loopback.

One module-scoped cluster of 2 single-threaded worker processes (a cluster costs seconds to
start); the tests join it by its tcp:// address, as a user joins a remote scheduler. Real videos
through PyAV and the real tracker on both sides; nothing is mocked.
"""
from __future__ import annotations

import json
import logging
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from msi.cluster import LOCAL_QUIET, score_cluster, worker_info
from msi.errors import ClusterError
from msi.score import score_many
from msi.settings import Settings

import distributed  # noqa: F401  (the [dask] extra is part of [test]: missing it is a failure, not a skip)

pytestmark = pytest.mark.slow  # a LocalCluster takes seconds to start and the tests track real videos


@pytest.fixture(scope="module")
def cluster():
    from distributed import Client, LocalCluster

    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None,
                      silence_logs=logging.ERROR, **LOCAL_QUIET) as lc, Client(lc, set_as_default=False) as client:
        yield lc.scheduler_address, client, lc


def _same(a, b) -> None:
    """Two results are the same record, and their per-window timelines are bitwise equal."""
    assert a.to_dict() == b.to_dict(), a.path
    if a.timeline is None:
        assert b.timeline is None
    else:
        pd.testing.assert_frame_equal(a.timeline, b.timeline, check_exact=True)


def _by_path(results) -> dict:
    out = {}
    for r in results:
        assert r.path not in out, f"{r.path} reported twice"
        out[r.path] = r
    return out


#: The stretch of each bundled clip the cluster tracks (the clips' 120 frames were tracked some ten
#: times in this module and checked nothing more): pristine's first three MSI windows; the
#: distorted clip's face is found in about half its frames, and 20-70 holds its one full window
#: (frames 38-56); the faceless bunny's first 30 of 132 frames at 1280x720 (its costliest video,
#: tracked twice: a face-like shape in 2 of them, 4 of 132 in the whole clip, and the face
#: detector confident in too few either way: no_face).
STRETCH = {"pristine": slice(0, 40), "distorted": slice(20, 70), "bunny": slice(0, 30)}


@pytest.fixture(scope="module")
def carphone_stretches(tmp_path_factory, pristine, distorted, bunny) -> dict[str, Path]:
    """Each bundled clip's :data:`STRETCH`, re-encoded under its bundled name."""
    from msi.io.video import probe, read_frames, write_video

    d = tmp_path_factory.mktemp("carphone-stretches")
    return {kind: write_video(d / src.name, read_frames(src, limit=STRETCH[kind].stop)[STRETCH[kind]],
                              fps=probe(src).fps, threads=1)
            for kind, src in (("pristine", pristine), ("distorted", distorted), ("bunny", bunny))}


@pytest.fixture(scope="module")
def pristine_short(carphone_stretches) -> Path:
    return carphone_stretches["pristine"]


@pytest.fixture(scope="module")
def distorted_short(carphone_stretches) -> Path:
    return carphone_stretches["distorted"]


@pytest.fixture(scope="module")
def batch(carphone_stretches, odd_videos) -> list[str]:
    """The carphone clips and the faceless bunny (:data:`STRETCH`), and bad inputs: missing, empty,
    text, truncated, too short, grey, landmark files."""
    bad = ["missing", "empty", "text", "truncated", "short", "one_frame", "gray", "wrong_shape", "wrong_scheme"]
    return [str(p) for p in [*carphone_stretches.values(), *(odd_videos[k] for k in bad)]]


@pytest.fixture(scope="module")
def local_cache(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("local-cache")


@pytest.fixture(scope="module")
def local_reference(batch, local_cache) -> dict:
    """What `msi score --workers 2` gives (into a fresh cache: its entries are compared below)."""
    return _by_path(score_many(batch, Settings(), workers=2, cache=str(local_cache)))


def test_same_results_as_local_workers(cluster, batch, local_reference):
    address, client, _ = cluster
    remote = _by_path(score_cluster(batch, Settings(), address=address, cache=False))
    assert set(remote) == set(batch)
    for p in batch:
        _same(remote[p], local_reference[p])
    kinds = {Path(p).name: r.error_kind for p, r in remote.items()}
    assert kinds["carphone_pristine.mp4"] is None and kinds["gray.mkv"] is None
    assert kinds["bigbuckbunny.mp4"] == "no_face" and kinds["empty.mp4"] == "unreadable"
    assert kinds["does_not_exist.mp4"] == "not_found" and kinds["short.mp4"] == "too_short"
    # the videos really ran on the workers, and each worker process built its models once
    info = client.run(worker_info)
    assert sum(i["videos"] for i in info.values()) >= 7  # every video file but the missing one
    assert all(i["trackers_built"] <= 1 and i["face_checks_built"] <= 1 for i in info.values()), info
    assert sum(i["trackers_built"] for i in info.values()) >= 1


def test_landmarks_come_back_to_the_client_cache_and_a_rerun_skips_them(cluster, pristine_short, distorted_short,
                                                                        local_cache, local_reference, tmp_path,
                                                                        monkeypatch):
    """No shared cache folder: workers send landmarks back, the client caches them (the same entries a
    local run writes), and a rerun sends nothing (this is how a killed client resumes)."""
    address, client, _ = cluster
    monkeypatch.setenv("MSI_CACHE_DIR", str(tmp_path / "client-cache"))
    paths = [str(pristine_short), str(distorted_short)]
    sent = lambda: sum(i["videos"] for i in client.run(worker_info).values())
    before = sent()
    first = _by_path(score_cluster(paths, Settings(), address=address, cache=True))
    assert sent() == before + 2
    entries = sorted(p for p in (tmp_path / "client-cache").rglob("*.npz") if "features" not in p.parts)
    assert len(entries) == 2
    for e in entries:
        (twin,) = local_cache.rglob(e.name)  # same key as the local run's entry
        with np.load(e) as a, np.load(twin) as b:
            assert sorted(a.files) == sorted(b.files)
            for k in a.files:
                assert np.array_equal(a[k], b[k], equal_nan=a[k].dtype.kind == "f"), k
    again = _by_path(score_cluster(paths, Settings(), address=address, cache=True))
    assert sent() == before + 2  # nothing sent the second time
    for p in paths:
        assert not first[p].cached and again[p].cached
        _same(first[p], local_reference[p])
        assert (again[p].msi_lip, again[p].msi_jaw) == (first[p].msi_lip, first[p].msi_jaw)


def test_shared_cache_folder_is_used_by_the_workers(cluster, pristine_short, tmp_path):
    address, client, _ = cluster
    shared = tmp_path / "shared"
    (r,) = score_cluster([str(pristine_short)], Settings(), address=address, cache=str(shared))
    assert not r.cached and len([p for p in shared.rglob("*.npz") if "features" not in p.parts]) == 1  # by a worker
    (hit,) = score_cluster([str(pristine_short)], Settings(compat="reference"), address=address, cache=str(shared))
    assert hit.cached and hit.msi_lip != r.msi_lip  # other metric settings, same landmarks


def test_rerun_of_a_killed_client_skips_finished_videos(cluster, pristine_short, odd_videos, local_reference,
                                                       tmp_path, run_cli, monkeypatch):
    """`msi score --cluster ADDRESS --out` killed with SIGKILL after its first result; the rerun sends
    only what was not finished, and prints what `--workers 2` gives. The killed client is a process;
    the rerun runs in this process (the same command and cache: what it sends and prints is under
    test, not its process; a second interpreter cost some 2 s)."""
    address, _, _ = cluster
    env = {**os.environ, "MSI_CACHE_DIR": str(tmp_path / "cache")}
    paths = [str(odd_videos["gray"]), str(pristine_short), str(odd_videos["text"]), str(odd_videos["wrong_shape"])]
    out = tmp_path / "scores.csv"
    args = ["score", *paths, "--cluster", address, "--out", str(out), "--json", "-q"]
    proc = subprocess.Popen([sys.executable, "-m", "msi", *args], env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    cache = tmp_path / "cache"
    entries = lambda: sorted(p for p in cache.rglob("*.npz") if "features" not in p.parts)  # landmarks
    deadline = time.monotonic() + 300
    # --out is first written at the first result, which is the text file's error row (scored on the
    # client while the videos are still being sent): wait for a finished video too, i.e. an entry in
    # the client's cache (stored before its result is handed on), or the rerun has nothing to skip
    while not (out.exists() and entries()) and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.02)
    proc.send_signal(signal.SIGKILL)
    proc.communicate()
    done_first = pd.read_csv(out)
    assert 1 <= len(done_first) <= len(paths)
    kept = len(entries())
    assert kept >= 1
    monkeypatch.setenv("MSI_CACHE_DIR", env["MSI_CACHE_DIR"])
    code, stdout, stderr = run_cli(args)
    assert code == 1, stderr  # the text file and the wrong-shape array are errors
    records = {r["path"]: r for r in json.loads(stdout)}
    assert list(records) == paths
    for path in done_first["path"]:
        if records[path]["error"] is None and Path(path).suffix != ".npy":
            assert records[path]["cached"], path  # finished before the kill: not tracked again
    # every video finished before the kill comes from the cache, not from the cluster
    assert sum(bool(rec["cached"]) for rec in records.values()) == kept
    for path, rec in records.items():
        ref = json.loads(json.dumps(local_reference[path].to_dict()))
        assert {**rec, "cached": False} == {**ref, "cached": False}, path
    errors = [ln for ln in stderr.splitlines() if ln.startswith("msi: error:")]
    assert len(errors) == 2 and "Traceback" not in stderr


def test_a_worker_killed_mid_batch_still_leaves_every_video_scored(cluster, pristine_short, distorted_short,
                                                                   odd_videos, local_reference):
    address, client, _ = cluster
    videos = [str(v) for v in (pristine_short, distorted_short, odd_videos["gray"], odd_videos["short"])]
    results, killed = {}, None
    pids = client.run(os.getpid)
    for r in score_cluster(videos, Settings(), address=address, cache=False):
        results[r.path] = r
        if killed is None:
            # kill a worker process while it is tracking a video (SIGKILL: no clean shutdown)
            deadline = time.monotonic() + 30
            while killed is None and time.monotonic() < deadline:
                busy = [w for w, keys in client.processing().items() if keys]
                if busy:
                    killed = busy[0]
                    os.kill(pids[killed], signal.SIGKILL)
                else:
                    time.sleep(0.01)
            assert killed is not None, "no worker was busy after the first result"
    assert set(results) == set(videos)
    for p in videos:
        _same(results[p], local_reference[p])
    assert killed not in client.scheduler_info()["workers"]  # really gone (its nanny starts a new one)


def test_a_video_that_kills_every_worker_it_meets_is_an_error_row(cluster):
    """No real video crashes a worker here, so a task that ends its worker process stands in for one
    (the scheduler's allowed-failures lowered to 0: the first death gives up, as a 4th would)."""
    from msi.cluster import _collect

    _, client, lc = cluster
    allowed = lc.scheduler.allowed_failures
    lc.scheduler.allowed_failures = 0
    try:
        fut = client.submit(os._exit, 1, pure=False)
        fut.exception(timeout=120)  # waits until the scheduler gives up on it
        row, entry = _collect(fut, "poison.mp4", Settings())
    finally:
        lc.scheduler.allowed_failures = allowed
    assert (row.path, row.error_kind, entry) == ("poison.mp4", "worker_died", None)
    assert "\n" not in row.error and "died" in row.error
    client.wait_for_workers(2, timeout=120)


def test_unreachable_or_bad_address_is_one_clear_error(pristine, run_cli, one_line_error):
    with pytest.raises(ClusterError, match="cannot reach the Dask scheduler"):
        list(score_cluster([str(pristine)], address="tcp://127.0.0.1:9", cache=False, timeout=0.5))
    with pytest.raises(ClusterError, match="local:N"):
        list(score_cluster([str(pristine)], address="local:0", cache=False))
    code, _, err = run_cli(["score", pristine, "--cluster", "local:x"])
    one_line_error(code, err, "--cluster", "local:N", exit_code=2)
    code, _, err = run_cli(["score", pristine, "--cluster", "local:2", "--workers", "2"])
    one_line_error(code, err, "--workers", "--cluster", exit_code=2)
    code, _, err = run_cli(["score", pristine, "--cluster", "bogus://host:8786"])  # was a Dask traceback
    one_line_error(code, err, "--cluster", "unknown scheme 'bogus'", exit_code=2)
    code, _, err = run_cli(["compare", f"a={pristine.parent}", "--cluster", "bogus://host:8786"])
    one_line_error(code, err, "--cluster", "unknown scheme 'bogus'", exit_code=2)


def test_without_the_option_dask_is_never_imported(tmp_path):
    lm = tmp_path / "lm.npy"
    np.save(lm, np.random.default_rng(0).normal(size=(40, 478, 2)) + 100)
    code = ("import sys\nfrom msi.cli import main\ntry:\n    main(['score', sys.argv[1], '-q', '--fps', '25'])\n"
            "except SystemExit:\n    pass\nprint(sorted(m for m in sys.modules if m.split('.')[0] in ('dask', 'distributed')))")
    p = subprocess.run([sys.executable, "-c", code, str(lm)], capture_output=True, text=True, timeout=120)
    assert p.stdout.strip().splitlines()[-1] == "[]", p.stdout + p.stderr

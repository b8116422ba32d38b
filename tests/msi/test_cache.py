"""The landmark cache under faults and concurrency: damaged entries, unwritable folders, kill -9
mid-write, two `msi score` processes at once, and a key that follows every tracker setting."""
from __future__ import annotations

import dataclasses
import json
import os
import signal
import subprocess
import sys
import textwrap
import time

import numpy as np
import pytest

from msi.io.cache import STALE_TMP_AGE, LandmarkCache, cache_key
from msi.score import score_video
from msi.settings import Settings
from msi.io.video import write_video


@pytest.fixture(scope="session")
def short_clip(tmp_path_factory, pristine_frames):
    d = tmp_path_factory.mktemp("cache_clips")
    return write_video(d / "short.mp4", pristine_frames[:20], fps=25)


def _entries(folder) -> list:
    """The landmark entries (not the feature cache's, in its ``features/`` subfolder)."""
    return sorted(p for p in __import__("pathlib").Path(folder).rglob("*.npz") if "features" not in p.parts)


DAMAGE = {
    "truncated": lambda b: b[: len(b) // 2],  # kill -9 or a full disk mid-write, a partial copy
    "flipped": lambda b: b[:200] + bytes(x ^ 0xFF for x in b[200:264]) + b[264:],  # bit rot
    "garbage": lambda b: b"this is not a zip file",
    "empty": lambda b: b"",
}


@pytest.mark.parametrize("damage", sorted(DAMAGE))
def test_damaged_entry_is_a_warned_miss(tmp_path, damage):
    key = "ab" * 20
    lm = np.random.default_rng(0).random((20, 478, 3), dtype=np.float32)
    times = np.arange(20) / 25.0
    LandmarkCache(tmp_path).put(key, lm, {"fps": 25.0, "tracker": "t", "timestamps": times})
    hit = LandmarkCache(tmp_path).get(key)
    assert np.array_equal(hit["landmarks"], lm) and np.array_equal(hit["timestamps"], times) and hit["fps"] == 25.0
    (entry,) = _entries(tmp_path)
    entry.write_bytes(DAMAGE[damage](entry.read_bytes()))
    cache = LandmarkCache(tmp_path)
    assert cache.get(key) is None
    assert len(cache.warnings) == 1 and "damaged" in cache.warnings[0] and "tracked again" in cache.warnings[0]
    assert not entry.exists()  # removed, so the next score rewrites it


@pytest.mark.slow
def test_damaged_entry_is_retracked_and_rewritten(short_clip, tmp_path):
    cache = str(tmp_path / "cache")
    first = score_video(short_clip, cache=cache)
    (entry,) = _entries(cache)
    entry.write_bytes(entry.read_bytes()[:1000])  # what `msi: error: ... BadZipFile` came from
    again = score_video(short_clip, cache=cache)
    assert not again.cached and any("damaged" in w for w in again.warnings)
    assert (again.msi_lip, again.msi_jaw) == (first.msi_lip, first.msi_jaw)
    third = score_video(short_clip, cache=cache)
    assert third.cached and not any("damaged" in w for w in third.warnings)


def test_unwritable_cache_folder_warns_and_scores(short_clip, tmp_path):
    if os.geteuid() == 0:
        # root writes through chmod 0555; the kernel refuses folders under /sys even to root
        folder = "/sys/msi-cache-test"
    else:
        folder = tmp_path / "ro"
        folder.mkdir()
        folder.chmod(0o555)
    r = score_video(short_clip, cache=str(folder))
    assert np.isfinite(r.msi_lip) and not r.cached
    assert any("landmark cache not written" in w for w in r.warnings)


# Every Settings field is either metric-only (landmarks reused from the cache) or changes the
# tracked landmarks and so must change the key. A new field fails this test until classified.
METRIC_ONLY = {
    "scheme": "ibug68", "compat": "reference", "mouth_width_frames": 10, "resample_fps": 25.0, "stats": True,
    "landmark_fps": 30.0, "panels": "2x1", "panel_labels": ("a", "b"),  # panels key by their box, see below
    "variant": "hf",
}
TRACKING = {
    "max_side": 100, "max_faces": 1, "crop": "image", "tracker": "facemesh-static", "verify_face": False,
    "face": "left",
}


def test_cache_key_depends_on_every_tracker_setting(monkeypatch):
    fields = {f.name for f in dataclasses.fields(Settings)}
    assert fields == set(METRIC_ONLY) | set(TRACKING), "classify the new Settings field here"
    base = Settings()
    key = cache_key("content", base.tracker_key())
    for name, value in TRACKING.items():
        assert cache_key("content", dataclasses.replace(base, **{name: value}).tracker_key()) != key, name
    for name, value in METRIC_ONLY.items():
        assert cache_key("content", dataclasses.replace(base, **{name: value}).tracker_key()) == key, name
    # in the image-crop protocol the mouth width places the crop: then it keys the cache too
    crop = Settings(crop="image")
    assert crop.tracker_key() != dataclasses.replace(crop, mouth_width_frames=10).tracker_key()
    assert cache_key("other content", base.tracker_key()) != key
    import msi.tracking.trackers

    monkeypatch.setattr(msi.tracking.trackers, "tracker_identity", lambda name="landmarker": f"{name}/another-release")
    assert cache_key("content", base.tracker_key()) != key  # a new tracker version never reuses landmarks


@pytest.mark.slow
def test_scoring_reuses_the_cache_only_for_the_same_tracking(short_clip, tmp_path):
    cache = str(tmp_path / "cache")
    assert not score_video(short_clip, cache=cache).cached
    assert score_video(short_clip, Settings(compat="reference", resample_fps=25.0), cache=cache).cached
    for change in ({"max_faces": 1}, {"max_side": 100}, {"face": "left"}):
        assert not score_video(short_clip, Settings(**change), cache=cache).cached, change
    assert len(_entries(cache)) == 4


KILLED_WRITER = textwrap.dedent("""
    import sys
    import numpy as np
    from msi.io.cache import LandmarkCache
    cache = LandmarkCache(sys.argv[1])
    lm = np.random.default_rng(0).random((3000, 478, 3), dtype=np.float32)  # 17 MB per entry
    i = 0
    while True:
        cache.put(f"{i:040x}", lm, {"fps": 25.0, "tracker": "t", "timestamps": np.arange(3000) / 25.0})
        i += 1
""")


def test_kill_9_during_a_cache_write(tmp_path):
    """A writer killed with SIGKILL in the middle of an entry: no entry is ever half there."""
    folder = tmp_path / "cache"
    for attempt in range(5):
        proc = subprocess.Popen([sys.executable, "-c", KILLED_WRITER, str(folder)])
        deadline = time.monotonic() + 60
        try:
            # kill as soon as a write is under way (a temporary file exists) after >= 1 finished entry
            while time.monotonic() < deadline:
                if _entries(folder) and list(folder.rglob(".*.tmp")):
                    proc.send_signal(signal.SIGKILL)
                    break
                time.sleep(0.002)
        finally:
            proc.kill()
            proc.wait()
        if list(folder.rglob(".*.tmp")):
            break  # the kill landed mid-write
    leftovers = list(folder.rglob(".*.tmp"))
    assert leftovers, "the writer was never caught mid-write"
    assert proc.returncode == -signal.SIGKILL
    lm = np.random.default_rng(0).random((3000, 478, 3), dtype=np.float32)
    cache = LandmarkCache(folder)
    for entry in _entries(folder):
        hit = cache.get(entry.stem)
        assert hit is not None and np.array_equal(hit["landmarks"], lm)
    assert cache.warnings == []  # a non-atomic writer would leave a damaged entry here
    # the leftover of the killed writer is removed once it is old, by the next write
    for t in leftovers:
        os.utime(t, (time.time() - STALE_TMP_AGE - 60,) * 2)
    assert cache.put("00" + "f" * 38, lm[:5], {"fps": 25.0})
    assert not any(t.exists() for t in leftovers)


@pytest.mark.slow
def test_two_msi_score_processes_share_one_cache(short_clip, pristine_frames, tmp_path, run_cli):
    other = write_video(tmp_path / "other.mp4", pristine_frames[20:40], fps=25)
    cache = tmp_path / "cache"
    args = ["score", str(short_clip), str(other), "--json", "--cache-dir", str(cache)]
    procs = [subprocess.Popen([sys.executable, "-m", "msi", *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              text=True) for _ in range(2)]
    outs = [p.communicate(timeout=600) for p in procs]
    assert [p.returncode for p in procs] == [0, 0], [o[1] for o in outs]
    a, b = (json.loads(o[0]) for o in outs)
    assert [(r["msi_lip"], r["msi_jaw"]) for r in a] == [(r["msi_lip"], r["msi_jaw"]) for r in b]
    assert len(_entries(cache)) == 2
    store = LandmarkCache(cache)
    assert all(store.get(e.stem) is not None for e in _entries(cache)) and store.warnings == []
    # the third run reads what the two wrote: in this process (a third interpreter cost some 2 s)
    code, out, err = run_cli(args)
    assert code == 0, err
    assert all(r["cached"] for r in json.loads(out))

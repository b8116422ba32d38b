"""The networks' inputs of every video of one `msi compare` job share batches
(:mod:`msi.networks.batching`; the default on an accelerator, run here on the CPU with
``cross_video=True``): the batch size is honoured, inputs of several videos meet in one forward,
and every network column (FID, FVD, LPIPS, CSIM, LSE) gives what batching each video alone
gives, with the same feature cache entries."""
from __future__ import annotations

import json
import shutil
import threading
from pathlib import Path

import numpy as np
import pytest
from test_quality_networks import arcface_file, i3d_file  # noqa: F401 - the tests' stand-in weights (inception_file: conftest)

# ----------------------------------------------------------------------------- the batcher, alone


def _recorder(calls: list, lock: threading.Lock):
    def forward(items: list) -> np.ndarray:
        with lock:
            calls.append(list(items))
        return np.asarray(items, np.float64) * 2 + 1
    return forward


def test_inputs_of_several_videos_meet_in_full_batches_and_each_video_gets_its_own_outputs():
    """Two videos submitting in turn (a barrier keeps them in step, as the shared decode does):
    their inputs share full batches of ``size``; each video's partial tail runs when it asks for
    its results; every output is its own input's."""
    from msi.networks.batching import Batcher

    calls, lock = [], threading.Lock()
    batcher = Batcher(_recorder(calls, lock), 4)
    step = threading.Barrier(2)
    out = {}

    def video(name: str, base: int, n: int):
        tickets = []
        for k in range(n):
            step.wait()  # A submits, then B, frame by frame
            if name == "b":
                step.wait()
            tickets.append(batcher.submit(base + k))
            if name == "a":
                step.wait()
        out[name] = [batcher.result(t) for t in tickets]

    threads = [threading.Thread(target=video, args=("a", 100, 5)), threading.Thread(target=video, args=("b", 200, 5))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(10)
    assert out["a"] == [2 * (100 + k) + 1 for k in range(5)] and out["b"] == [2 * (200 + k) + 1 for k in range(5)]
    assert calls[0] == [100, 200, 101, 201] and calls[1] == [102, 202, 103, 203]  # both videos in one forward
    assert sorted(map(len, calls)) == [1, 1, 4, 4] or sorted(map(len, calls)) == [2, 4, 4]
    assert sorted(x for c in calls for x in c) == sorted([*range(100, 105), *range(200, 205)])


def test_in_a_job_a_video_done_early_waits_for_the_others_to_fill_its_batch():
    """With the job's tasks (a :class:`Pass`), a video that has submitted everything waits while
    another task still runs, so a slow video's inputs join its batch: one forward of both; and a
    task waiting on something else (a frame no one decodes) lets the partial batch run, no deadlock."""
    from msi.comparison.shared_decode import Pass
    from msi.networks.batching import Batcher

    calls, lock = [], threading.Lock()
    group = Pass()
    batcher = Batcher(_recorder(calls, lock), 8, group)

    def fast():
        return batcher.map([1, 2, 3])

    def slow():
        tickets = []
        for x in (10, 20, 30):
            threading.Event().wait(0.05)
            tickets.append(batcher.submit(x))
        return [batcher.result(t) for t in tickets]

    results = group.run([fast, slow])
    assert results == [(True, [3, 5, 7]), (True, [21, 41, 61])]
    assert calls == [[1, 2, 3, 10, 20, 30]]


def test_groups_never_share_a_batch_and_batching_alone_keeps_consecutive_batches():
    from msi.networks.batching import Batcher

    calls, lock = [], threading.Lock()
    batcher = Batcher(_recorder(calls, lock), 3)
    got = batcher.map(range(8), group=lambda x: x % 2)
    assert got == [2 * x + 1 for x in range(8)]
    assert all(len({x % 2 for x in c}) == 1 and len(c) <= 3 for c in calls)
    calls.clear()
    assert Batcher(_recorder(calls, lock), 3).map(range(7)) == [2 * x + 1 for x in range(7)]
    assert calls == [[0, 1, 2], [3, 4, 5], [6]]


def test_a_failed_forward_fails_every_video_with_an_input_in_it():
    from msi.networks.batching import Batcher

    def forward(items):
        raise ValueError(f"bad batch of {len(items)}")

    batcher = Batcher(forward, 2)
    a, b = batcher.submit(1), batcher.submit(2)  # the second fills the batch: its forward runs and fails
    for t in (a, b):
        with pytest.raises(ValueError, match="bad batch of 2"):
            batcher.result(t)
    with pytest.raises(ValueError):
        Batcher(forward, 0)


# ----------------------------------------------------------------------------- every network column, through compare


#: One 16-frame I3D clip per video (the fewest it takes) and 11 SyncNet inputs per video (their
#: forwards at batch 4, measured: [4, 4, 3] each alone, [4, 4, 4, 4, 4, 2] across both methods;
#: 18 frames before: LPIPS, LSE and FID, the costliest forwards here, now see 16)
N_FRAMES = 16
BATCH = 4
#: Inception (the costliest forward per input) on frames 0 and 8 of each video: 6 inputs, so the
#: batches across videos are [4, 2] (one forward holds two videos' inputs) and alone [2] per video
FID_STEP = 8


@pytest.fixture(scope="module")
def utterance(tmp_path_factory, talking_clip) -> dict:
    """One utterance of the talking clip (speech, a face), 18 frames: a re-encode and a blurred copy
    as two methods, the truth at crf 0."""
    import cv2

    from msi.io.audio import read_audio
    from msi.io.video import read_frames, write_video

    d = tmp_path_factory.mktemp("batching")
    frames = read_frames(talking_clip.video, limit=N_FRAMES)
    audio = read_audio(talking_clip.video).samples[:int(16000 * N_FRAMES / 25)].astype(np.float32) / 32768
    paths = {"copy": d / "copy.mp4", "blur": d / "blur.mp4"}
    write_video(paths["copy"], frames, fps=25, audio=audio, threads=1)
    write_video(paths["blur"], [cv2.GaussianBlur(f, (9, 9), 3) for f in frames], fps=25, audio=audio, threads=1)
    write_video(d / "truth.mp4", frames, fps=25, audio=audio, crf=0, threads=1)
    return {"videos": {k: str(v) for k, v in paths.items()}, "truth": str(d / "truth.mp4")}


@pytest.fixture(scope="module")
def weights(tmp_path_factory, inception_file, i3d_file, arcface_file) -> dict:  # noqa: F811 - imported fixtures
    """Every network column's weights: random, in the official files (the tests' stand-ins)."""
    import torch
    from torchvision_oracle import import_torchvision

    from msi.metrics.syncnet import SyncNet

    d = tmp_path_factory.mktemp("batching_weights")
    torch.manual_seed(0)
    torch.save(SyncNet().state_dict(), d / "syncnet_v2.model")
    import_torchvision()
    import torchvision.models as tv

    # torchvision's AlexNet state dict without the classifier LPIPS never reads (230 MB less to
    # write, load and hash; the full file's loading is test_lpips.py's)
    torch.save({k: v for k, v in tv.alexnet(weights=None).state_dict().items() if k.startswith("features.")},
               d / "alexnet.pth")
    g = torch.Generator().manual_seed(1)
    torch.save({f"lin{k}.model.1.weight": torch.rand(1, c, 1, 1, generator=g)
                for k, c in enumerate((64, 192, 384, 256, 256))}, d / "lin.pth")
    return {"nets": {"inception": str(inception_file), "i3d": str(i3d_file), "arcface": str(arcface_file),
                     "lpips": (str(d / "alexnet.pth"), str(d / "lin.pth"))},
            "syncnet": str(d / "syncnet_v2.model")}


#: Each network's forward, as its column calls it: (module, function).
FORWARDS = {"inception": ("msi.networks.inception", "inception_forward"), "i3d": ("msi.networks.i3d", "i3d_forward"),
            "lpips": ("msi.metrics.lpips", "lpips_pairs"), "syncnet": ("msi.metrics.syncnet", "sync_forward")}


def _count_forwards(monkeypatch) -> dict[str, list[int]]:
    """The inputs of every forward of each network (the real forwards run)."""
    import importlib

    from msi.networks.arcface import ArcFace

    sizes: dict[str, list[int]] = {k: [] for k in (*FORWARDS, "arcface")}
    lock = threading.Lock()

    def counting(kind, real):
        def forward(net, items, *a, **k):
            with lock:
                sizes[kind].append(len(items))
            return real(net, items, *a, **k)
        return forward

    for kind, (module, name) in FORWARDS.items():
        mod = importlib.import_module(module)
        monkeypatch.setattr(mod, name, counting(kind, getattr(mod, name)))
    monkeypatch.setattr(ArcFace, "embed", counting("arcface", ArcFace.embed))
    return sizes


def _entries(cache: Path) -> dict[str, dict]:
    out = {}
    for p in sorted((cache / "features").rglob("*.npz")):
        with np.load(p) as z:
            meta = json.loads(str(z["meta"]))
            out[p.name] = {"values": meta["values"], **{k: z[k] for k in meta["arrays"]}}
    return out


@pytest.mark.slow
def test_every_network_column_batched_across_videos_equals_each_video_batched_alone(utterance, weights, tmp_path,
                                                                                    monkeypatch):
    """One utterance (two methods and the truth) with FID, FVD, LPIPS, CSIM and LSE weights at
    ``--batch-size 4``: batched across the three videos and batched per video, every column, the
    truth's features and every feature cache entry agree (on the CPU, float32 forwards: 1e-5
    relative for the columns, 1e-4 for the feature rows); no forward takes more than 4 inputs,
    and every network sees the same inputs either way."""
    from msi.comparison.video_columns import utterance_columns
    from msi.metrics.column import CompareSettings
    from msi.metrics.networks import use_device

    cache = tmp_path / "cache"
    # CPBD (no network: nothing here reads it) on one frame per video, not 18 per run
    options = CompareSettings(fid_step=FID_STEP, cpbd_step=N_FRAMES)
    use_device("cpu", BATCH)
    try:
        run = {}
        sizes = {}
        for cross in (True, False):
            shutil.rmtree(cache / "features", ignore_errors=True)  # every column computed again
            with monkeypatch.context() as m:
                sizes[cross] = _count_forwards(m)
                rows, truth = utterance_columns(utterance["videos"], utterance["truth"], weights["syncnet"],
                                                cache=str(cache), options=options, weights=weights["nets"],
                                                truth_features=True, cross_video=cross)
            run[cross] = (rows, truth, _entries(cache))
    finally:
        use_device("cpu", None)
    (rows, truth, entries), (alone, truth_alone, entries_alone) = run[True], run[False]
    for key in utterance["videos"]:
        assert not isinstance(rows[key], BaseException), rows[key]
        for col in ("lpips", "csim", "lse_c", "lse_d", "lse_offset"):
            assert np.isfinite(rows[key][col]), (key, col, rows[key]["warnings"])
            # LSE-C is a difference of two distances (median minus minimum over the offsets): their
            # float32 rounding is relative to the distances (LSE-D's scale), not to the difference,
            # which is small on a 16-frame clip (measured 0.066 and 9.5e-7 apart in one CI run). The bound
            # is then 6.3e-5-6.7e-5 (LSE-D 6.3-6.7); the two videos' LSE-C differ by 4.9e-3, 75x that
            scale = abs(alone[key]["lse_d"]) if col == "lse_c" else 0.0
            assert rows[key][col] == pytest.approx(alone[key][col], rel=1e-5, abs=max(1e-7, 1e-5 * scale)), \
                (key, col, rows[key][col], alone[key][col], scale)
        for col in ("fid", "fvd"):
            assert rows[key]["features"][col].shape == alone[key]["features"][col].shape == \
                ((N_FRAMES + FID_STEP - 1) // FID_STEP if col == "fid" else 1, 2048 if col == "fid" else 400)
            np.testing.assert_allclose(rows[key]["features"][col], alone[key]["features"][col], rtol=1e-4, atol=1e-5)
    assert truth["error"] is None and set(truth["features"]) == {"fid", "fvd"}
    for col in ("fid", "fvd"):
        np.testing.assert_allclose(truth["features"][col], truth_alone["features"][col], rtol=1e-4, atol=1e-5)
    # the same entries (keys), with the same contents
    assert entries.keys() == entries_alone.keys() and len(entries) >= 2 * 10
    for name, e in entries.items():
        assert e.keys() == entries_alone[name].keys()
        for k, v in e.items():
            if k == "values":
                want = entries_alone[name]["values"]
                for col, got in v.items():  # LSE-C to LSE-D's scale, as above
                    scale = abs(want["lse_d"]) if col == "lse_c" else 0.0
                    assert got == pytest.approx(want[col], rel=1e-5, abs=max(1e-7, 1e-5 * scale), nan_ok=True), \
                        (name, col)
                assert v.keys() == want.keys(), name
            else:
                np.testing.assert_allclose(v, entries_alone[name][k], rtol=1e-4, atol=1e-5)
    # the batch size is honoured, and each network saw every input once either way
    for kind in sizes[True]:
        assert sizes[True][kind], kind
        assert max(sizes[True][kind]) <= BATCH and max(sizes[False][kind]) <= BATCH, (kind, sizes)
        assert sum(sizes[True][kind]) == sum(sizes[False][kind]), (kind, sizes)
    # per video, each video's own inputs: e.g. one I3D clip per video, never two in one forward
    assert sizes[False]["i3d"] == [1, 1, 1]

"""`msi compare` at the scale of a test set: one shared decode per video for every frame column,
each truth decoded once per run, and the numbers those decodes give equal to the columns' own
functions on independently decoded frames."""
from __future__ import annotations

import collections
import math
import threading
from pathlib import Path

import numpy as np
import pytest

# ----------------------------------------------------------------------------- the shared decode, alone


def _counting(n: int, opened: list):
    def open_frames():
        opened.append(1)
        for k in range(n):
            yield np.full((2, 2, 3), k, np.uint8)
    return open_frames


def test_shared_decode_one_decoder_in_step_and_out_of_step_readers():
    """Three readers of two videos: two read both in step (as a truth and a video pair), one reads
    all of one video before starting the other (the stall path, where the bound is lifted rather
    than deadlock). Every reader gets every frame in order; readers that start together share one
    decoder."""
    from msi.comparison.shared_decode import Pass, SharedVideo

    group = Pass()
    opened_a, opened_b = [], []
    a = SharedVideo(_counting(50, opened_a), group)
    b = SharedVideo(_counting(40, opened_b), group)

    def in_step():
        seen = []
        for fa, fb in zip(a.frames(), b.frames()):
            seen.append((int(fa[0, 0, 0]), int(fb[0, 0, 0])))
        return seen

    def one_then_other():
        return [int(f[0, 0, 0]) for f in a.frames()] + [int(f[0, 0, 0]) for f in b.frames()]

    results = group.run([in_step, in_step, one_then_other])
    assert all(ok for ok, _ in results), results
    assert results[0][1] == results[1][1] == [(k, k) for k in range(40)]
    assert results[2][1] == list(range(50)) + list(range(40))
    # a: registered by all three before it started, one decoder; b: the in-step readers share one,
    # and the reader that comes to b after they finished it gets its own (counted)
    assert len(opened_a) == a.decodes == 1 and len(opened_b) == b.decodes <= 2
    assert not a._buf and not b._buf  # nothing left behind once every reader is done


def test_shared_decode_bounds_memory_and_frames_are_read_only():
    from msi.comparison.shared_decode import AHEAD, Pass, SharedVideo

    group = Pass()
    video = SharedVideo(_counting(200, []), group)
    peak = [0]
    lock = threading.Lock()

    def reader(slow: bool):
        n = 0
        for f in video.frames():
            with lock:
                peak[0] = max(peak[0], len(video._buf))
            if slow:
                threading.Event().wait(0.0005)
            n += 1
        return n

    def writer():
        for f in video.frames():
            f[0, 0, 0] = 1  # a column that would change its neighbours' input

    results = group.run([lambda: reader(True), lambda: reader(False), writer])
    assert results[0] == (True, 200) and results[1] == (True, 200)
    assert not results[2][0] and isinstance(results[2][1], ValueError)  # read-only frames
    assert peak[0] <= AHEAD + 1


# ----------------------------------------------------------------------------- through msi compare


@pytest.fixture(scope="module")
def clips(tmp_path_factory, pristine_frames) -> Path:
    """Two methods (a re-encode and a blurred copy of carphone, 30 frames) and the truth."""
    import cv2

    from msi.io.video import write_video

    d = tmp_path_factory.mktemp("scale")
    frames = pristine_frames[:30]
    for method, fr in (("copy", frames), ("blur", [cv2.GaussianBlur(f, (9, 9), 3) for f in frames])):
        write_video(d / method / "clip.mp4", fr, fps=25, threads=1)
    write_video(d / "truth" / "clip.mp4", frames, fps=25, crf=0, threads=1)
    return d


@pytest.fixture(scope="module")
def lpips_weights(tmp_path_factory):
    """Random AlexNet trunk and linear layers in their official file formats."""
    import torch
    from torchvision_oracle import import_torchvision

    import_torchvision()
    import torchvision.models as tv

    torch.manual_seed(0)
    d = tmp_path_factory.mktemp("lpips_scale")
    torch.save(tv.alexnet(weights=None).state_dict(), d / "alexnet.pth")
    g = torch.Generator().manual_seed(1)
    torch.save({f"lin{k}.model.1.weight": torch.rand(1, c, 1, 1, generator=g)
                for k, c in enumerate((64, 192, 384, 256, 256))}, d / "lin.pth")
    return str(d / "alexnet.pth"), str(d / "lin.pth")


@pytest.mark.slow
def test_one_decode_per_file_and_the_numbers_of_independent_decodes(clips, lpips_weights, tmp_path, monkeypatch):
    """With the landmark cache warm (tracking's own pass aside), every frame column of both methods
    (CPBD, SSIM, PSNR, flicker, LPIPS) reads one decode of each video, and the truth, shared by
    both methods, is decoded once. The values equal the columns' pure functions on frames decoded
    here, independently."""
    import msi.io.video as video_io
    from msi.comparison.compare import compare_methods
    from msi.io.video import read_frames
    from msi.metrics.lpips import lpips_distance
    from msi.metrics.networks import network
    from msi.metrics.quality import cpbd, psnr, ssim, to_gray

    methods = {"copy": clips / "copy", "blur": clips / "blur"}
    cache = str(tmp_path / "cache")
    weights = {"lpips": lpips_weights}
    compare_methods(methods, clips / "truth", cache=cache)  # tracks: warms the landmark cache

    opened = collections.Counter()
    real = video_io.iter_frames

    def counted(path, *a, **k):
        opened[Path(path).relative_to(clips).as_posix()] += 1
        return real(path, *a, **k)

    monkeypatch.setattr(video_io, "iter_frames", counted)
    df = compare_methods(methods, clips / "truth", cache=cache, weights=weights)
    monkeypatch.undo()
    assert dict(opened) == {"copy/clip.mp4": 1, "blur/clip.mp4": 1, "truth/clip.mp4": 1}, opened
    assert df["error"].isna().all(), df["error"].tolist()

    truth = read_frames(clips / "truth" / "clip.mp4")
    net = network("lpips", lpips_weights)
    for method in methods:
        frames = read_frames(clips / method / "clip.mp4")
        row = df[df["method"] == method].iloc[0]
        assert row["cpbd"] == pytest.approx(np.mean([cpbd(to_gray(f)) for f in frames]), rel=1e-12)
        assert row["ssim"] == pytest.approx(np.mean([ssim(f, t) for f, t in zip(frames, truth)]), rel=1e-12)
        want_psnr = np.mean([psnr(f, t) for f, t in zip(frames, truth)])
        assert row["psnr"] == pytest.approx(want_psnr, rel=1e-12) or (math.isinf(want_psnr) and math.isinf(row["psnr"]))
        assert row["lpips"] == pytest.approx(float(lpips_distance(net, frames, truth).mean()), rel=1e-5)
    blur, copy = (df[df["method"] == m].iloc[0] for m in ("blur", "copy"))
    assert blur["cpbd"] < copy["cpbd"] and blur["lpips"] > copy["lpips"]

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
    """Two methods (a re-encode and a blurred copy of carphone, 20 frames) and the truth."""
    import cv2

    from msi.io.video import write_video

    d = tmp_path_factory.mktemp("scale")
    frames = pristine_frames[:20]
    for method, fr in (("copy", frames), ("blur", [cv2.GaussianBlur(f, (9, 9), 3) for f in frames])):
        write_video(d / method / "clip.mp4", fr, fps=25, threads=1)
    write_video(d / "truth" / "clip.mp4", frames, fps=25, crf=0, threads=1)
    return d


@pytest.fixture(scope="module")
def clips_landmarks(clips, tmp_path_factory) -> Path:
    """A cache of every video of :func:`clips`, tracked once for the module: the tests take its
    landmarks (:func:`_landmarks_only`), so their columns run without tracking again."""
    from msi.comparison.compare import compare_methods

    cache = tmp_path_factory.mktemp("scale-landmarks") / "cache"
    df = compare_methods({"copy": clips / "copy", "blur": clips / "blur"}, clips / "truth", cache=str(cache))
    assert df["error"].isna().all(), df["error"].tolist()
    return cache


def _landmarks_only(cache: Path, to: Path) -> str:
    """A copy of ``cache`` without its feature entries: every column is computed again from it."""
    import shutil

    shutil.copytree(cache, to, ignore=shutil.ignore_patterns("features"))
    return str(to)


@pytest.fixture(scope="module")
def lpips_weights(tmp_path_factory):
    """Random AlexNet trunk and linear layers in their official file formats. The trunk's file is
    torchvision's AlexNet state dict without the classifier, which LPIPS never reads (its 58 M
    parameters: 230 MB that every process of these tests would load and hash; the full file's
    loading is test_lpips.py's)."""
    import torch
    from torchvision_oracle import import_torchvision

    import_torchvision()
    import torchvision.models as tv

    torch.manual_seed(0)
    d = tmp_path_factory.mktemp("lpips_scale")
    trunk = {k: v for k, v in tv.alexnet(weights=None).state_dict().items() if k.startswith("features.")}
    torch.save(trunk, d / "alexnet.pth")
    g = torch.Generator().manual_seed(1)
    torch.save({f"lin{k}.model.1.weight": torch.rand(1, c, 1, 1, generator=g)
                for k, c in enumerate((64, 192, 384, 256, 256))}, d / "lin.pth")
    return str(d / "alexnet.pth"), str(d / "lin.pth")


@pytest.mark.slow
def test_one_decode_per_file_and_the_numbers_of_independent_decodes(clips, clips_landmarks, lpips_weights, tmp_path,
                                                                    monkeypatch):
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
    cache = _landmarks_only(clips_landmarks, tmp_path / "cache")  # landmarks only: every column runs, from the decodes
    weights = {"lpips": lpips_weights}

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


# ----------------------------------------------------------------------------- the feature cache


def _lpips_calls(monkeypatch) -> list:
    """Counts the LPIPS network's forwards (the real ones run)."""
    import msi.metrics.lpips as lp

    calls, real = [], lp.lpips_distance

    def counted(net, a, b):
        calls.append(len(a))
        return real(net, a, b)

    monkeypatch.setattr(lp, "lpips_distance", counted)
    return calls


def _entries_with(cache: Path, column: str) -> list[Path]:
    """The feature cache's entries that hold ``column``'s value."""
    import json

    out = []
    for p in sorted((cache / "features").rglob("*.npz")):
        with np.load(p) as z:
            meta = json.loads(str(z["meta"]))
        if column in meta["values"] or column in meta["arrays"]:
            out.append(p)
    return out


@pytest.mark.slow
def test_feature_cache_hits_misses_and_recovers(clips, clips_landmarks, lpips_weights, tmp_path, monkeypatch):
    """A rerun reads LPIPS from the cache (no forward); other weights or another region miss;
    a damaged entry is a warning, computed again and rewritten; --no-cache never reads it."""
    import torch

    from msi.comparison.compare import compare_methods
    from msi.metrics.column import CompareSettings

    methods = {"copy": clips / "copy", "blur": clips / "blur"}
    cache = _landmarks_only(clips_landmarks, tmp_path / "cache")

    def run(weights=lpips_weights, region="frame", use_cache=cache):
        calls = _lpips_calls(monkeypatch)
        df = compare_methods(methods, clips / "truth", cache=use_cache, weights={"lpips": weights},
                             compare_settings=CompareSettings(lpips_region=region))
        monkeypatch.undo()
        return df.set_index("method"), len(calls)

    first, n1 = run()
    entries = _entries_with(tmp_path / "cache", "lpips")
    assert n1 > 0 and len(entries) == 2  # one per method video
    again, n2 = run()
    assert n2 == 0 and again["lpips"].tolist() == first["lpips"].tolist()

    other_lin = tmp_path / "lin2.pth"
    g = torch.Generator().manual_seed(7)
    torch.save({f"lin{k}.model.1.weight": torch.rand(1, c, 1, 1, generator=g)
                for k, c in enumerate((64, 192, 384, 256, 256))}, other_lin)
    changed, n3 = run((lpips_weights[0], str(other_lin)))
    assert n3 > 0 and changed["lpips"].tolist() != first["lpips"].tolist()
    face, n4 = run(region="face")
    assert n4 > 0
    assert len(_entries_with(tmp_path / "cache", "lpips")) == 6

    entries[0].write_bytes(entries[0].read_bytes()[:100])  # a damaged entry
    healed, n5 = run()
    assert n5 > 0 and healed["lpips"].tolist() == first["lpips"].tolist()
    warned = [w for ws in healed["warnings"] for w in ws if "feature cache entry" in w]
    assert len(warned) == 1 and "damaged" in warned[0], healed["warnings"].tolist()
    _, n6 = run()
    assert n6 == 0  # rewritten
    _, n7 = run(use_cache=False)
    assert n7 > 0


@pytest.mark.slow
def test_a_rerun_computes_no_column_and_decodes_nothing(clips, clips_landmarks, tmp_path, monkeypatch):
    """Every column is cached, the weight-free ones too (CPBD/SSIM/PSNR, flicker, MSI, the landmark
    columns), and whether a video declares itself generated: a rerun runs no column and opens no
    decoder, with the same table; another --cpbd-step or MSI setting misses (those columns run
    again, the numbers they change change)."""
    import dataclasses

    import pandas as pd

    import msi.comparison.video_columns as vc
    import msi.io.video as video_io
    from msi.comparison.compare import compare_methods
    from msi.metrics.column import CompareSettings
    from msi.settings import Settings

    methods = {"copy": clips / "copy", "blur": clips / "blur"}
    cache = _landmarks_only(clips_landmarks, tmp_path / "cache")  # landmarks only: the first run computes every column
    run_metric, iter_frames = vc.run_metric, video_io.iter_frames

    def run(options=CompareSettings(), settings=None):
        calls, opened = collections.Counter(), []

        def counted(metric, ctx):
            calls[metric.columns[0].name] += 1
            return run_metric(metric, ctx)

        def decoder(path, *a, **k):
            opened.append(path)
            return iter_frames(path, *a, **k)

        monkeypatch.setattr(vc, "run_metric", counted)
        monkeypatch.setattr(video_io, "iter_frames", decoder)
        df = compare_methods(methods, clips / "truth", cache=cache, compare_settings=options, settings=settings)
        monkeypatch.undo()
        return df, calls, opened

    first, calls, _ = run()
    assert first["error"].isna().all() and {"msi_lip", "cpbd", "flicker", "nlmd"} <= set(calls)
    again, calls, opened = run()
    assert not calls and not opened, (calls, opened)
    pd.testing.assert_frame_equal(again, first, check_exact=True)

    step, calls, _ = run(CompareSettings(cpbd_step=2))
    assert calls["cpbd"] == 2  # one per method video
    assert step["cpbd"].tolist() != first["cpbd"].tolist() and step["ssim"].tolist() == first["ssim"].tolist()
    compat, calls, _ = run(settings=dataclasses.replace(Settings(), compat="reference"))
    assert calls["msi_lip"] == 2 and calls["cpbd"] == 2
    assert compat["cpbd"].tolist() == first["cpbd"].tolist()


@pytest.mark.slow
def test_feature_cache_serves_two_concurrent_processes(clips, lpips_weights, tmp_path):
    """Two `msi compare` processes on one empty cache at once (landmarks and features): both finish
    with the same numbers, and every entry they leave is whole and readable."""
    import json
    import os
    import subprocess
    import sys

    cache = tmp_path / "cache"
    argv = [sys.executable, "-m", "msi", "compare", f"copy={clips / 'copy'}", f"blur={clips / 'blur'}",
            "--truth", str(clips / "truth"), "--lpips-weights", lpips_weights[0], "--lpips-linear", lpips_weights[1],
            "--cache-dir", str(cache), "--format", "json", "-q",
            "--cpbd-step", "20"]  # CPBD (a column among the others here) on one frame per video, not 20
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    procs = [subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
             for _ in range(2)]
    outs = [p.communicate(timeout=600) for p in procs]
    assert [p.returncode for p in procs] == [0, 0], [o[1] for o in outs]
    values = [{(r["method"], r["metric"]): r["mean"] for r in json.loads(o[0])["summary"] if r["metric"] == "lpips"}
              for o in outs]
    assert values[0] == values[1] and len(values[0]) == 2
    assert not list((cache / "features").rglob("*.tmp"))
    from msi.io.feature_store import FeatureCache

    store = FeatureCache(str(cache))
    entries = list((cache / "features").rglob("*.npz"))
    for p in entries:
        assert store.get(p.stem, []) is not None
    assert store.hits == len(entries) and len(_entries_with(cache, "lpips")) == 2


# ----------------------------------------------------------------------------- pytorch-fid's statistics


def test_fid_against_statistics_equals_fid_against_their_rows():
    """FID of rows against (μ, Σ) (pytorch-fid's .npz) equals FID against the rows Σ was fitted to,
    for fewer rows than dimensions (the n x n path, rank-deficient Σ too) and for more (d x d)."""
    from msi.metrics.fid import feature_stats, frechet_distance, frechet_to_stats

    rng = np.random.default_rng(3)
    for n_ref, n, shift in ((5, 3, 0.3), (5, 5, 0.01), (40, 7, 0.0), (100, 80, 0.1)):
        ref = np.abs(rng.normal(0.3, 0.2, (n_ref, 64)))
        rows = np.abs(rng.normal(0.3 + shift, 0.2, (n, 64)))
        want = frechet_distance(rows, ref)
        assert frechet_to_stats(rows, *feature_stats(ref)) == pytest.approx(want, rel=1e-9, abs=1e-12), (n_ref, n)
    ref = np.abs(rng.normal(0.3, 0.2, (6, 64)))
    assert frechet_to_stats(ref, *feature_stats(ref)) == pytest.approx(0, abs=1e-12)  # a set against itself
    assert math.isnan(frechet_to_stats(ref[:1], *feature_stats(ref)))


#: frames 0, 7 and 14 of the 20-frame clips: 3 per video (2, the fewest FID takes, would leave
#: n - 1 = 1, where a wrong covariance normalisation goes unseen). The margin below,
#: FID(blur) / FID(copy), measured: 6.8 here (335 / 49), 7.3 on 5 frames, 6.4 on 2
FID_STEP = 7


@pytest.mark.slow
def test_fid_reference_from_pytorch_fids_own_npz(clips, clips_landmarks, inception_file, tmp_path, monkeypatch):
    """pytorch-fid's ``save_fid_stats`` on the truth's frames (PNG files, its own InceptionV3 with
    the same weights) writes stats.npz; FID against that file equals FID against the truth's
    frames, and the statistics we write for the truth equal pytorch-fid's. Both sides read every
    FID_STEP-th frame (``--fid-step``; pytorch-fid gets those frames as its PNGs), so InceptionV3
    runs on 3 frames per video, not 20: the statistics' equality also pins the frames
    ``--fid-step`` picks."""
    import torch
    from PIL import Image
    from torchvision_oracle import import_torchvision

    from msi.comparison.compare import compare_methods, iter_compare, write_fid_stats
    from msi.io.video import read_frames
    from msi.metrics.column import CompareSettings

    import_torchvision()
    import pytorch_fid.fid_score as fid_score
    import pytorch_fid.inception as inception

    monkeypatch.setattr(inception, "load_state_dict_from_url", lambda *a, **k: torch.load(inception_file))
    pngs = tmp_path / "truth_png"
    pngs.mkdir()
    for i, f in enumerate(read_frames(clips / "truth" / "clip.mp4")[::FID_STEP]):
        Image.fromarray(f).save(pngs / f"{i:03d}.png")
    theirs = tmp_path / "truth_stats.npz"
    fid_score.save_fid_stats([str(pngs), str(theirs)], batch_size=10, device="cpu", dims=2048, num_workers=0)

    methods = {"copy": clips / "copy", "blur": clips / "blur"}
    weights = {"inception": str(inception_file)}
    cache = _landmarks_only(clips_landmarks, tmp_path / "cache")
    # CPBD, which nothing here reads, on one frame per video (on all 20 it was a tenth of the test)
    step = CompareSettings(fid_step=FID_STEP, cpbd_step=20)
    rows = list(iter_compare(methods, clips / "truth", weights=weights, cache=cache, compare_settings=step))
    from msi.comparison.compare import rows_frame

    # the truth's rows only: the methods' statistics (2048 x 2048 each) would be written and never read
    [ours] = write_fid_stats([dict(r) for r in rows if r["method"] is None], tmp_path / "stats")
    assert ours.stem == "truth"
    fid_rows = [r for r in rows_frame(rows, methods, clips / "truth").attrs["set_metrics"] if r["metric"] == "fid"]
    by_frames = {r["method"]: r["value"] for r in fid_rows}
    by_stats = {r["method"]: r["value"] for r in
                compare_methods(methods, weights=weights, cache=cache, compare_settings=step,
                                fid_reference=str(theirs)).attrs["set_metrics"]
                if r["metric"] == "fid"}
    assert by_frames.keys() == by_stats.keys() == set(methods)
    assert {r["items"] for r in fid_rows} == {len(range(0, 20, FID_STEP))}  # the step reached the features
    for m in methods:
        assert by_stats[m] == pytest.approx(by_frames[m], rel=1e-4), (m, by_stats, by_frames)
    assert by_frames["blur"] > by_frames["copy"]
    with np.load(theirs) as a, np.load(ours) as b:
        assert np.abs(a["mu"] - b["mu"]).max() < 1e-4 * np.abs(a["mu"]).max()
        assert np.abs(a["sigma"] - b["sigma"]).max() < 1e-4 * np.abs(a["sigma"]).max()


def test_bad_fid_reference_is_one_line_before_any_video_is_read(clips, inception_file, tmp_path, run_cli,
                                                                one_line_error, monkeypatch):
    """Statistics FID cannot use are refused in one line, naming what is wrong (they reached the
    d x d algebra before and ended in a traceback: a width other than pool3's, NaN entries)."""
    import msi.io.video as video_io

    def never(*a, **k):
        raise AssertionError("a video was read")

    monkeypatch.setattr(video_io, "iter_frames", never)
    monkeypatch.setattr(video_io, "probe", never)
    np.savez(tmp_path / "narrow.npz", mu=np.zeros(64), sigma=np.eye(64))  # pytorch-fid's --dims 64
    np.savez(tmp_path / "nan.npz", mu=np.zeros(2048), sigma=np.full((2048, 2048), np.nan))
    np.savez(tmp_path / "skew.npz", mu=np.zeros(2048), sigma=np.zeros((2048, 64)))
    np.savez(tmp_path / "nomu.npz", sigma=np.eye(3))
    np.save(tmp_path / "plain.npy", np.zeros(3))
    (tmp_path / "text.npz").write_text("not numpy")
    for name, needle in (("narrow.npz", "statistics of 64-d features; the network's are 2048-d"),
                         ("nan.npz", "NaN or infinite"), ("skew.npz", "are not (d,) and (d, d)"),
                         ("nomu.npz", "no 'mu' array"), ("plain.npy", "not an .npz file of arrays"),
                         ("text.npz", "not an .npz file of arrays"), ("missing.npz", "not an .npz file")):
        code, _, err = run_cli(["compare", f"a={clips / 'copy'}", "--inception-weights", str(inception_file),
                                "--fid-reference", str(tmp_path / name)])
        one_line_error(code, err, "--fid-reference", needle, exit_code=2, alone=True)


# ----------------------------------------------------------------------------- Dask


@pytest.fixture(scope="module")
def utterances(tmp_path_factory, pristine_frames) -> Path:
    """Three utterances (distinct carphone stretches of 14 frames: one MSI window), two methods and
    the truth."""
    import cv2

    from msi.io.video import write_video

    d = tmp_path_factory.mktemp("utterances")
    for i in range(3):
        frames = pristine_frames[20 * i:20 * i + 14]
        write_video(d / "truth" / f"u{i}.mp4", frames, fps=25, crf=0, threads=1)
        write_video(d / "copy" / f"u{i}.mp4", frames, fps=25, threads=1)
        write_video(d / "blur" / f"u{i}.mp4", [cv2.GaussianBlur(f, (9, 9), 3) for f in frames], fps=25, threads=1)
    return d


@pytest.fixture(scope="module")
def dask_address():
    """One cluster of 2 single-threaded worker processes (what ``local:2`` starts) for every Dask test
    of this module, joined by its tcp:// address (a cluster costs seconds to start)."""
    import logging

    from distributed import LocalCluster

    from msi.cluster import LOCAL_QUIET

    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None,
                      silence_logs=logging.ERROR, **LOCAL_QUIET) as lc:
        yield lc.scheduler_address


@pytest.fixture(scope="module")
def local_run(utterances, lpips_weights, tmp_path_factory):
    """The local compare of :func:`utterances` (LPIPS too) and its cache (landmarks and features)."""
    from msi.comparison.compare import compare_methods

    cache = tmp_path_factory.mktemp("utterance-cache") / "cache"
    methods = {"copy": utterances / "copy", "blur": utterances / "blur"}
    df = compare_methods(methods, utterances / "truth", cache=str(cache), weights={"lpips": lpips_weights})
    assert df["lpips"].notna().all() and df["error"].isna().all()
    return df, cache


@pytest.mark.slow
def test_cluster_equals_local_for_every_column(utterances, lpips_weights, local_run, dask_address, tmp_path):
    """Compare on Dask (2 worker processes, as ``local:2``) gives the local run's rows, every column and
    warning, computed on the workers (LPIPS's network there, landmarks cached): they write the
    feature entries."""
    import pandas as pd

    from msi.comparison.compare import compare_methods

    local, cache = local_run
    methods = {"copy": utterances / "copy", "blur": utterances / "blur"}
    fresh = _landmarks_only(cache, tmp_path / "cache")
    on_dask = compare_methods(methods, utterances / "truth", cache=fresh, weights={"lpips": lpips_weights},
                              cluster=dask_address)
    # the network's float sums depend on torch's thread count (one per worker here, the cores
    # locally): LPIPS within float rounding, every other column exactly
    pd.testing.assert_frame_equal(on_dask.drop(columns="lpips"), local.drop(columns="lpips"), check_exact=True)
    assert on_dask["lpips"].to_numpy() == pytest.approx(local["lpips"].to_numpy(), rel=1e-6)
    assert len(_entries_with(Path(fresh), "lpips")) == len(local)  # computed there, not read


@pytest.mark.slow
def test_report_on_the_cluster_equals_the_local_report(utterances, local_run, dask_address, tmp_path):
    """`msi report --cluster` scores on Dask (landmarks cached, every column computed on the workers)
    and writes the pages a local `msi report` writes: the same numbers in every page's data."""
    from msi.cli import main
    from test_report import page_data

    local, cache = local_run
    argv = ["report", f"copy={utterances / 'copy'}", f"blur={utterances / 'blur'}", "--truth",
            str(utterances / "truth"), "-q"]
    assert main([*argv, "--out", str(tmp_path / "here"), "--cache-dir", str(cache)]) == 0
    fresh = _landmarks_only(cache, tmp_path / "cache")
    assert main([*argv, "--out", str(tmp_path / "there"), "--cache-dir", fresh, "--cluster", dask_address]) == 0
    pages = sorted(p.relative_to(tmp_path / "here") for p in (tmp_path / "here").rglob("*.html"))
    assert len(pages) == 1 + 3  # the summary (the compare table) and one page per utterance
    for page in pages:
        assert (tmp_path / "there" / page).read_text() == (tmp_path / "here" / page).read_text(), page
    assert "CPBD" in (tmp_path / "here" / "index.html").read_text()
    lanes = page_data(tmp_path / "there" / pages[1])["lanes"]
    assert len(lanes) == 3 and all(math.isfinite(lane["msi_lip"]) for lane in lanes)  # the truth and both methods
    assert _entries_with(Path(fresh), "cpbd")  # the workers computed and cached the columns


@pytest.mark.slow
def test_sigterm_to_compare_on_the_cluster_keeps_the_finished_rows(utterances, local_run, dask_address, tmp_path):
    """SIGTERM to `msi compare --cluster` mid-run exits 143 and leaves the rows that finished in
    --out, equal to the local ones."""
    import os
    import signal
    import subprocess
    import sys
    import time

    import pandas as pd

    local, _ = local_run
    out = tmp_path / "rows.csv"
    env = {**os.environ, "MSI_CACHE_DIR": str(tmp_path / "fresh")}  # tracks again: the run takes a while
    cmd = [sys.executable, "-m", "msi", "compare", f"copy={utterances / 'copy'}", f"blur={utterances / 'blur'}",
           "--truth", str(utterances / "truth"), "--cluster", dask_address, "--out", str(out), "-q"]
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 300
    while not out.exists() and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.05)
    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 143, err
    assert "Traceback" not in err
    kept = pd.read_csv(out)
    assert 1 <= len(kept) < len(local)
    ref = local.set_index(["method", "name"])
    for _, r in kept.iterrows():
        want = ref.loc[(r["method"], r["name"])]
        for col in ("msi_lip", "cpbd", "ssim", "psnr", "flicker"):
            assert r[col] == pytest.approx(want[col], rel=1e-12, nan_ok=True), col


# ----------------------------------------------------------------------------- --device


def test_missing_device_is_one_line_before_any_video_is_read(clips, run_cli, one_line_error, monkeypatch):
    import msi.io.video as video_io

    def never(*a, **k):
        raise AssertionError("a video was read")

    monkeypatch.setattr(video_io, "iter_frames", never)
    monkeypatch.setattr(video_io, "probe", never)
    for argv in (["--device", "cuda"], ["--device", "cuda:3"], ["--device", "mps"], ["--device", "gpu"],
                 ["--batch-size", "0"]):
        code, _, err = run_cli(["compare", f"a={clips / 'copy'}", *argv])
        one_line_error(code, err, argv[1] if argv[0] == "--device" else "--batch-size", exit_code=2, alone=True)
        code, _, err = run_cli(["report", f"a={clips / 'copy'}", "--out", str(clips / "no-report"), *argv])
        one_line_error(code, err, exit_code=2, alone=True)
    assert not (clips / "no-report").exists()


@pytest.mark.slow
def test_device_cpu_equals_the_default(clips, clips_landmarks, lpips_weights, tmp_path, run_cli):
    """`--device cpu` gives the default's table exactly (here the default, auto, is the CPU: no
    GPU on this machine); another --batch-size, computed afresh, the same within float rounding."""
    import json

    from msi.io.cache import sha256_of

    base = ["compare", f"copy={clips / 'copy'}", f"blur={clips / 'blur'}", "--truth", clips / "truth",
            "--lpips-weights", lpips_weights[0], "--lpips-linear", lpips_weights[1], "--format", "json", "-q",
            "--cpbd-step", "20"]  # CPBD, not a network column, on one frame per video
    cache = ["--cache-dir", _landmarks_only(clips_landmarks, tmp_path / "cache")]
    # the third run computes every column afresh (no feature entry) from the same landmarks, not
    # tracking the three videos again as --no-cache did
    afresh = ["--cache-dir", _landmarks_only(clips_landmarks, tmp_path / "afresh"), "--batch-size", "3"]
    runs = []
    for extra in (cache, [*cache, "--device", "cpu"], afresh):
        code, out, err = run_cli([*base, *extra])
        assert code == 0, err
        runs.append(json.loads(out))
    assert runs[0]["summary"] == runs[1]["summary"]
    lp = [{r["method"]: r["mean"] for r in run["summary"] if r["metric"] == "lpips"} for run in runs]
    assert lp[2] == pytest.approx(lp[0], rel=1e-6) and len(lp[0]) == 2
    made = runs[0]["provenance"]["lpips"]
    assert made["device"] == "cpu" and made["weights"]["lpips"] == [sha256_of(p) for p in lpips_weights]


@pytest.mark.slow
def test_workers_2_with_the_parent_as_one_equals_local(utterances, lpips_weights, local_run, tmp_path):
    """``--workers 2``: this process runs jobs beside one spawned worker (msi.parallel); the rows
    are the local run's, every column and warning (LPIPS within float rounding: one torch thread
    per process there), and this process's thread pools are as they were."""
    import cv2
    import pandas as pd

    from msi.comparison.compare import compare_methods

    local, cache = local_run
    methods = {"copy": utterances / "copy", "blur": utterances / "blur"}
    before = cv2.getNumThreads()
    two = compare_methods(methods, utterances / "truth", cache=_landmarks_only(cache, tmp_path / "cache"),
                          weights={"lpips": lpips_weights}, workers=2)
    assert cv2.getNumThreads() == before
    pd.testing.assert_frame_equal(two.drop(columns="lpips"), local.drop(columns="lpips"), check_exact=True)
    assert two["lpips"].to_numpy() == pytest.approx(local["lpips"].to_numpy(), rel=1e-6)

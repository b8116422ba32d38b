"""`msi score` end to end on real videos through PyAV and the real MediaPipe tracker."""
from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from msi.acquire import get_landmarks
from msi.score import score_video
from msi.settings import Settings


@pytest.fixture
def msi_fd(capfd):
    """``msi`` in this process, its output read at the file descriptors (what a native library
    writes to stderr counts too): ``msi_fd("score", path)`` -> (exit code, stdout, stderr). The
    command's output is under test, not a process: `python -m msi` is run as one in test_cache.py,
    test_sharp_edges.py and test_stop_signals.py."""

    def run(*args) -> tuple[int, str, str]:
        from msi.cli import main

        code = main([str(a) for a in args])
        out, err = capfd.readouterr()
        return code, out, err

    return run


@pytest.mark.slow
def test_tracked_landmarks_sit_on_the_face(pristine):
    lm = get_landmarks(pristine).landmarks  # into the session's cache: the tests below read them there
    assert lm.shape == (120, 478, 3)
    # the mouth corners are left/right of each other and inside the 176x144 frame
    assert (lm[:, 291, 0] > lm[:, 61, 0]).all()
    assert (lm[..., 0] > -5).all() and (lm[..., 0] < 181).all()


@pytest.mark.slow
def test_pristine_finite_deterministic_and_cached(pristine, tmp_path):
    cache = str(tmp_path / "cache")
    # the session's landmarks (tracked by the test above, if it ran) against a fresh tracking: an
    # empty cache, tracked again, then stored
    a = score_video(pristine)
    b = first = score_video(pristine, cache=cache)
    assert 0 < a.msi_lip <= 2 and 0 < a.msi_jaw <= 2
    assert a.face_coverage == 1.0 and a.frames == 120 and a.windows_skipped == 0
    assert a.fps == pytest.approx(30000 / 1001)
    assert any("frame rate" in w for w in a.warnings)  # 29.97 fps, paper is 25
    # bitwise identical reruns
    assert (a.msi_lip, a.msi_jaw) == (b.msi_lip, b.msi_jaw)
    assert np.array_equal(a.timeline.to_numpy(), b.timeline.to_numpy())
    hit = score_video(pristine, cache=cache)
    assert not first.cached and hit.cached
    assert (hit.msi_lip, hit.msi_jaw) == (a.msi_lip, a.msi_jaw)
    # other metric settings reuse the landmarks (no re-tracking), and change the numbers
    ref = score_video(pristine, Settings(compat="reference"), cache=cache)
    assert ref.cached and ref.msi_lip != a.msi_lip
    at25 = score_video(pristine, Settings(resample_fps=25), cache=cache)
    assert at25.cached and at25.fps_used == 25 and not any("frame rate" in w for w in at25.warnings)


@pytest.mark.slow
def test_crop_image_protocol(pristine):
    """The literal protocol (crop 4 mouth widths, resize to 256, track the crop) scores the same video."""
    r = score_video(pristine, Settings(crop="image"), cache=False)
    assert 0 < r.msi_lip <= 2 and r.face_coverage > 0.9
    assert r.tracker.endswith("+crop256")


@pytest.mark.slow
def test_distorted_scored_on_remaining_windows(distorted):
    r = score_video(distorted)  # into the session's cache: the batch below reads it there
    assert 0.3 < r.face_coverage < 0.7
    assert r.windows_used > 0 and r.windows_skipped > 0
    assert np.isfinite(r.msi_lip) and any("face found in" in w for w in r.warnings)


@pytest.mark.slow
def test_track_export_and_rescore_from_landmarks(pristine, tmp_path, run_cli):
    """`msi track -o` in each format, then `msi score` of the file: the video's numbers (in this
    process: the commands, not a process, are under test). The clip is tracked once (into the
    session's cache, where `msi track` reads it), if no test above did."""
    direct = score_video(pristine)
    for ext in ("npy", "npz", "csv"):
        out = tmp_path / f"lm.{ext}"
        code, _, err = run_cli(["track", pristine, "-o", out])
        assert code == 0, err
        args = ["score", out, "--json", "-q"] + (["--fps", str(30000 / 1001)] if ext != "npz" else [])
        code, stdout, err = run_cli(args)
        assert code == 0, err
        rec = json.loads(stdout)[0]
        tol = 1e-5 if ext == "csv" else 1e-12  # CSV keeps 6 decimals
        assert rec["msi_lip"] == pytest.approx(direct.msi_lip, rel=tol)
        assert rec["msi_jaw"] == pytest.approx(direct.msi_jaw, rel=tol)


ODD_EXPECTED = {
    # name: (scored?, error kind or None)
    "missing": (False, "not_found"),
    "empty": (False, "unreadable"),
    "text": (False, "unreadable"),
    "truncated": (False, "unreadable"),
    "short": (False, "too_short"),
    "one_frame": (False, "too_short"),
    "gray": (True, None),
    "4k": (True, None),
    "wrong_shape": (False, "bad_landmarks"),
    "wrong_scheme": (False, "bad_landmarks"),
}


@pytest.mark.slow
def test_batch_of_bad_inputs_keeps_the_good_ones(odd_videos, uhd_video, pristine, distorted, bunny, tmp_path, run_cli):
    """One batch with every bad input: each gets one error line, the good ones are scored and written
    (in this process: the command's output is under test; its --workers 2 still spawns a worker)."""
    odd_videos = {**odd_videos, "4k": uhd_video}
    paths = [pristine] + [odd_videos[k] for k in ODD_EXPECTED] + [bunny, distorted]
    out, timeline = tmp_path / "scores.csv", tmp_path / "windows.parquet"
    # the session's cache: the carphone clips tracked by the tests above are read from it
    code, stdout, stderr = run_cli(["score", *paths, "--out", out, "--timeline", timeline, "--workers", "2", "--json"])
    assert code == 1  # some inputs failed
    assert "Traceback" not in stderr
    records = {r["path"]: r for r in json.loads(stdout)}
    assert list(records) == [str(x) for x in paths]  # input order
    for name, (scored, kind) in ODD_EXPECTED.items():
        rec = records[str(odd_videos[name])]
        assert (rec["error"] is None) == scored, (name, rec["error"])
        assert rec["error_kind"] == kind, (name, rec["error"])
        if scored:
            assert 0 < rec["msi_lip"] <= 2, name
        else:
            # exactly one error line for this input on stderr
            lines = [ln for ln in stderr.splitlines() if ln.startswith(f"msi: error: {odd_videos[name]}:")]
            assert len(lines) == 1, (name, stderr)
    assert records[str(bunny)]["error_kind"] == "no_face"
    assert records[str(distorted)]["error"] is None and records[str(distorted)]["windows_skipped"] > 0
    assert any("downscaled" in w for w in records[str(odd_videos["4k"])]["warnings"])
    df = pd.read_csv(out)
    assert len(df) == len(paths) and df["msi_lip"].notna().sum() == 4
    tl = pd.read_parquet(timeline)
    assert set(tl["path"]) == {str(pristine), str(odd_videos["gray"]), str(odd_videos["4k"]), str(distorted)}
    assert tl[tl.path == str(distorted)]["skipped"].any()


@pytest.mark.parametrize("name", ["missing", "text", pytest.param("one_frame", marks=pytest.mark.slow), "wrong_scheme"])
def test_single_bad_input_is_one_line(odd_files, request, name, msi_fd):
    files = odd_files if name in odd_files else request.getfixturevalue("odd_videos")
    code, _, stderr = msi_fd("score", files[name])
    assert code == 1
    err = [ln for ln in stderr.splitlines() if ln.strip()]
    assert len(err) == 1 and err[0].startswith("msi: error: "), stderr


def test_usage_errors_exit_2(pristine, tmp_path, msi_fd):
    assert msi_fd("score")[0] == 2
    code, _, stderr = msi_fd("score", pristine, "--out", tmp_path / "x.txt")
    assert code == 2 and "unknown format" in stderr and "Traceback" not in stderr

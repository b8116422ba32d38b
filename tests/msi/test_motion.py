"""mouth_motion: the articulation a score saw (msi.metrics.mouth_motion), in scores, timelines and the CLI."""
from __future__ import annotations

import json

import numpy as np
import pytest

from msi.metrics.mouth_motion import (MOUTH_MOTION_MIN, low_motion_warning, mouth_motion, mouth_opening, opening_std,
                        window_mouth_motion)
from msi.regions import LIP_OPENING, get_scheme


def _face(opening_px: np.ndarray, scheme: str = "mediapipe478", width: float = 40.0) -> np.ndarray:
    """Landmarks of a still face whose inner lips open by ``opening_px`` (T,) pixels."""
    sch = get_scheme(scheme)
    rng = np.random.default_rng(0)
    base = rng.uniform(50, 150, size=(sch.n_points, 3))
    i, j = sch.mouth_corners
    base[i, :2], base[j, :2] = (80, 120), (80 + width, 120)
    u, l = LIP_OPENING[scheme]
    pts = np.repeat(base[None], len(opening_px), axis=0)
    pts[:, u, :2] = (100, 120)
    pts[:, l, 0] = 100
    pts[:, l, 1] = 120 + opening_px
    return pts


@pytest.mark.parametrize("scheme", ["mediapipe478", "ibug68"])
def test_opening_in_mouth_widths(scheme):
    t = np.arange(200)
    opening = 10 + 8 * np.sin(2 * np.pi * t / 25)  # pixels, mouth 40 px wide
    pts = _face(opening, scheme)
    np.testing.assert_allclose(mouth_opening(pts, scheme), opening / 40, rtol=1e-12)
    assert mouth_motion(pts, scheme) == pytest.approx(np.std(opening) / 40, rel=1e-9)
    # scale-free: the same face twice as large has the same motion
    assert mouth_motion(pts * 2, scheme) == pytest.approx(mouth_motion(pts, scheme), rel=1e-9)


def test_unit_is_the_median_width_not_the_first_frames():
    """A video that opens on a rounded mouth (corners 30 px apart for 5 frames, then 40 px) keeps
    its motion in the median width; MSI's first-frames unit would inflate it by 4/3."""
    t = np.arange(200)
    opening = 10 + 8 * np.sin(2 * np.pi * t / 25)
    pts = _face(opening)
    i, j = get_scheme("mediapipe478").mouth_corners
    pts[:5, j, 0] = pts[:5, i, 0] + 30  # "oo" at the start
    assert mouth_motion(pts) == pytest.approx(np.std(opening) / 40, rel=1e-9)
    assert mouth_motion(pts, mouth_width_frames=5) == pytest.approx(np.std(opening) / 30, rel=1e-9)


def test_still_mouth_has_zero_motion_and_warns():
    pts = _face(np.full(60, 6.0))
    assert mouth_motion(pts) == pytest.approx(0.0, abs=1e-12)
    assert "below real speech" in low_motion_warning(mouth_motion(pts))
    assert low_motion_warning(2 * MOUTH_MOTION_MIN) is None
    assert low_motion_warning(float("nan")) is None


def test_frames_without_face_are_ignored():
    opening = np.tile([0.0, 20.0], 30)
    pts = _face(opening)
    pts[5:9] = np.nan
    o = mouth_opening(pts)
    assert np.isnan(o[5:9]).all()
    assert opening_std(o) == pytest.approx(0.25, rel=1e-9)  # 0 or 0.5 mouth widths, half each
    w = window_mouth_motion(o, np.array([0, 6, 20]), np.array([12, 12, 12]))
    assert np.isnan(w[0]) and np.isnan(w[1]) and w[2] == pytest.approx(0.25)
    assert np.isnan(opening_std(np.array([np.nan, 1.0])))


# ----------------------------------------------------------------------------- real videos


@pytest.fixture(scope="module")
def frozen_video(tmp_path_factory, pristine_frames):
    from msi.io.video import write_video

    d = tmp_path_factory.mktemp("frozen")
    return write_video(d / "frozen.mp4", np.repeat(pristine_frames[20:21], 40, axis=0), fps=25)


@pytest.mark.slow
def test_frozen_video_near_zero_real_clip_clearly_above(frozen_video, pristine):
    from msi.score import score_video

    frozen = score_video(frozen_video)
    real = score_video(pristine)
    assert frozen.mouth_motion < 0.3 * MOUTH_MOTION_MIN
    assert real.mouth_motion > 4 * MOUTH_MOTION_MIN
    assert any("below real speech" in w for w in frozen.warnings)
    assert not any("below real speech" in w for w in real.warnings)
    # the frozen video scores a "better" MSI than the real one: exactly what the flag is for
    assert frozen.msi_lip > real.msi_lip
    tl = real.timeline
    assert "mouth_motion" in tl and np.isfinite(tl["mouth_motion"]).all()
    assert (tl["mouth_motion"] >= 0).all()
    assert real.to_dict()["mouth_motion"] == pytest.approx(real.mouth_motion)


@pytest.mark.slow
def test_cli_reports_motion(frozen_video, tmp_path, capsys):
    from msi.cli import main

    tl = tmp_path / "tl.csv"
    assert main(["score", str(frozen_video), "--timeline", str(tl)]) == 0
    out, err = capsys.readouterr()
    assert "motion" in out.splitlines()[0]
    assert "below real speech" in err
    import pandas as pd

    assert "mouth_motion" in pd.read_csv(tl).columns
    assert main(["score", str(frozen_video), "--json", "-q"]) == 0
    rec = json.loads(capsys.readouterr().out)[0]
    assert rec["mouth_motion"] < 0.3 * MOUTH_MOTION_MIN


@pytest.mark.slow
def test_compare_column(frozen_video):
    """`msi compare` and msi.comparison.video_columns.video_metrics carry mouth_motion like `msi score`."""
    from msi.metrics.registry import COLUMNS
    from msi.comparison.video_columns import video_metrics
    from msi.score import score_video

    assert "mouth_motion" in COLUMNS
    m = video_metrics(frozen_video)
    assert m["mouth_motion"] == pytest.approx(score_video(frozen_video).mouth_motion)

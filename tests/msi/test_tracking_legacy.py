"""The legacy face mesh backends (``--tracker facemesh-static|facemesh-video``, mediapipe 0.10.14,
the ``legacy`` extra). They run only where that release is installed (Python <= 3.12); CI runs
this file in such a venv. Their noise floor is what these tests pin down."""
from __future__ import annotations

import numpy as np
import pytest

from msi.tracking.trackers import tracker_available

REASON = tracker_available("facemesh-video")
pytestmark = pytest.mark.skipif(REASON is not None, reason=f"legacy backend not installed here: {REASON}")


@pytest.fixture(scope="module")
def static_checks():
    from tracker_checks import run_checks

    return run_checks("facemesh-static")


@pytest.fixture(scope="module")
def video_checks():
    from tracker_checks import run_checks

    return run_checks("facemesh-video")


@pytest.mark.slow
def test_static_mode_is_stateless(static_checks):
    assert static_checks.frozen_max_motion_px == 0.0
    assert static_checks.frozen_msi_lip == pytest.approx(2.0, abs=1e-3)
    assert static_checks.frozen_msi_jaw == pytest.approx(2.0, abs=1e-3)
    assert static_checks.step_error_px <= 0.1


@pytest.mark.slow
def test_video_mode_drifts_on_identical_frames(video_checks):
    # the legacy default tracks from the previous frame: landmarks creep on a frozen video, so
    # its MSI stays below 2 (measured: about 1.93 lips / 1.83 jaw) -- the documented noise floor
    assert video_checks.frozen_max_motion_px > 0.01
    assert 1.5 < video_checks.frozen_msi_lip < 1.999
    assert 1.5 < video_checks.frozen_msi_jaw < 1.999


def test_legacy_identity_and_scores(pristine):
    from msi.score import score_video
    from msi.settings import Settings
    from msi.tracking.trackers import tracker_identity

    r = score_video(pristine, Settings(tracker="facemesh-video"))
    assert r.tracker == tracker_identity("facemesh-video") == "facemesh-video/mediapipe-0.10.14"
    assert 0 < r.msi_lip < 2 and r.face_coverage == 1.0


def test_legacy_reset_makes_a_reused_tracker_fresh(pristine_frames):
    from msi.tracking.trackers import open_tracker, track_frames

    fresh = track_frames(pristine_frames[:10], tracker="facemesh-video")
    with open_tracker("facemesh-video") as trk:
        track_frames(pristine_frames[60:70], tracker=trk)
        reused = track_frames(pristine_frames[:10], tracker=trk)
    assert np.array_equal(fresh, reused)

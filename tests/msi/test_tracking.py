"""The default tracker (MediaPipe Tasks FaceLandmarker, IMAGE mode): stateless, exact on a known
step, all faces per frame, reusable, identified in every output; the human-face check.

Everything here runs the real tracker on real frames (carphone, bigbuckbunny); no test skips.
"""
from __future__ import annotations

import hashlib
import json

import numpy as np
import pytest

from msi.errors import NoFace, TrackerError
from msi.tracking.trackers import (DEFAULT_TRACKER, MODEL_SHA256, TRACKERS, FaceCheck, model_bytes, open_tracker,
                          select_face, track_frames, tracker_available, tracker_identity)


@pytest.fixture(scope="module")
def checks():
    from tracker_checks import run_checks

    return run_checks(DEFAULT_TRACKER)


def test_default_is_the_stateless_landmarker():
    assert DEFAULT_TRACKER == "landmarker" and DEFAULT_TRACKER in TRACKERS
    assert tracker_available(DEFAULT_TRACKER) is None  # must run on every supported Python


@pytest.mark.slow
def test_frozen_video_scores_two(checks):
    # identical frames -> identical landmarks -> zero accelerations -> MSI = 1 / EPS = 2
    assert checks.frozen_max_motion_px == 0.0
    assert checks.frozen_msi_lip == pytest.approx(2.0, abs=1e-3)
    assert checks.frozen_msi_jaw == pytest.approx(2.0, abs=1e-3)


@pytest.mark.slow
def test_known_step_recovered_on_its_frame(checks):
    # content moved by 6 px every 5 frames: the landmarks follow on that very frame (no lag,
    # no smoothing) and do not move at all between steps
    assert checks.step_error_px <= 0.1
    assert checks.step_still_px == 0.0


def test_detect_returns_every_face_and_select_face_keeps_the_largest(pristine_frames):
    import cv2

    face = pristine_frames[0]
    small = cv2.resize(face, (face.shape[1] * 2 // 3, face.shape[0] * 2 // 3), interpolation=cv2.INTER_AREA)
    canvas = np.zeros((face.shape[0], face.shape[1] + small.shape[1] + 20, 3), np.uint8)
    canvas[:, :face.shape[1]] = face
    canvas[:small.shape[0], face.shape[1] + 20:] = small
    with open_tracker(max_faces=2) as trk:
        faces = trk.detect(canvas)
        one = trk.detect(face)
        none = trk.detect(np.zeros_like(face))
    assert faces.shape == (2, 478, 3) and one.shape == (1, 478, 3) and none.shape == (0, 478, 3)
    k = select_face(faces)
    width = np.ptp(faces[:, :, 0], axis=1)
    assert width[k] == width.max() and faces[k, :, 0].mean() < face.shape[1]  # the big one, on the left
    assert select_face(none) is None
    # the same face alone and beside another: the same landmarks (stateless, per-face)
    assert np.abs(faces[k, :, :2] - one[0, :, :2]).max() < 1.0


def test_reused_tracker_equals_fresh(pristine_frames):
    frames = pristine_frames[:12]
    fresh = track_frames(frames)
    with open_tracker() as trk:
        track_frames(pristine_frames[60:72], tracker=trk)  # tracks something else first
        reused = track_frames(frames, tracker=trk)
    assert np.array_equal(fresh, reused)
    assert fresh.dtype == np.float32 and np.isfinite(fresh).all()


def test_identity_in_cache_key_and_outputs(pristine):
    from importlib.metadata import version

    from msi.score import score_video
    from msi.settings import Settings

    ident = tracker_identity()
    assert ident == f"landmarker/mediapipe-{version('mediapipe')}/task-{MODEL_SHA256[:8]}"
    key = Settings().tracker_key()
    assert key["tracker"] == ident and key["settings"]["name"] == "landmarker"
    assert Settings(tracker="facemesh-video").tracker_key() != key
    assert Settings(max_faces=1).tracker_key() != key
    r = score_video(pristine)
    assert r.tracker == ident and r.to_dict()["tracker"] == ident
    assert r.settings["tracker"] == "landmarker"


def test_bundled_model_is_the_published_file():
    assert hashlib.sha256(model_bytes()).hexdigest() == MODEL_SHA256
    from importlib.resources import files

    notice = (files("msi") / "assets" / "NOTICE").read_text()
    assert "Apache License, Version 2.0" in notice and MODEL_SHA256 in notice
    assert (files("msi") / "assets" / "LICENSE-APACHE-2.0").is_file()


def test_unknown_tracker_is_an_msi_error():
    with pytest.raises(TrackerError, match="unknown tracker"):
        open_tracker("nope")


def test_cartoon_refused(bunny):
    from msi.score import score_video

    with pytest.raises(NoFace, match="no human face"):
        score_video(bunny)


@pytest.mark.parametrize("clip", ["pristine", "distorted"])
def test_real_faces_accepted(clip, request):
    from msi.score import score_video

    r = score_video(request.getfixturevalue(clip))
    assert 0 < r.msi_lip <= 2 and 0 < r.msi_jaw <= 2
    assert r.face_coverage == 1.0 if clip == "pristine" else r.face_coverage > 0.3


def test_face_check_needs_confident_frames(pristine_frames):
    with FaceCheck(stride=1) as check:
        for f in pristine_frames[:6]:
            check.observe(f)
        assert check.confirmed and check.seen == check.confident == 6
    with FaceCheck(stride=1) as check:
        for _ in range(3):
            check.observe(np.full((144, 176, 3), 128, np.uint8))
        assert not check.confirmed and check.seen == 0
    with FaceCheck(stride=3) as check:  # every 3rd frame only
        for f in pristine_frames[:7]:
            check.observe(f)
        assert check.seen == 3


def test_cli_tracker_option(run_cli, one_line_error, tmp_path, pristine):
    code, out, err = run_cli(["score", "--sample", "--json", "--tracker", "landmarker"])
    assert code == 0, err
    assert json.loads(out)[0]["tracker"] == tracker_identity()
    code, out, err = run_cli(["track", pristine, "-o", tmp_path / "lm.npz"])
    assert code == 0, err
    meta = json.loads(str(np.load(tmp_path / "lm.npz")["meta"]))
    assert meta["tracker"] == tracker_identity()
    reason = tracker_available("facemesh-video")
    if reason:  # the legacy mediapipe is not installed here: one clear line, exit 1
        code, out, err = run_cli(["score", "--sample", "--tracker", "facemesh-video"])
        one_line_error(code, err, "mediapipe==0.10.14", exit_code=1)

"""The piecewise-affine warp and the face rig, on the real astronaut photo and its MediaPipe mesh."""
from __future__ import annotations

import cv2
import numpy as np
import pytest

from generator.corpus.photo import face_crop
from generator.corpus.warp import (LIPS_INNER_LOWER, LIPS_INNER_UPPER, NEUTRAL_GAP, FaceRig, MouthPainter,
                            PiecewiseAffineWarp, signed_areas, triangulate)
from msi.regions import get_scheme

SIZE = 128
LIP = list(get_scheme("mediapipe478").lip)


@pytest.fixture(scope="module")
def face():
    image, lm = face_crop(None, SIZE)
    rig = FaceRig(lm, (SIZE, SIZE))
    tri = triangulate(rig.reference_points())
    return image, lm, rig, tri


def _gap(mesh):
    return mesh[LIPS_INNER_LOWER[5], 1] - mesh[LIPS_INNER_UPPER[5], 1]


def test_photo_landmarks_in_crop(face):
    image, lm, rig, _ = face
    assert image.shape == (SIZE, SIZE, 3) and lm.shape == (478, 3)
    assert (lm[:, :2] > 0).all() and (lm[:, :2] < SIZE).all()
    assert 0.12 * SIZE < rig.mouth_width < 0.35 * SIZE


def test_identity_warp_keeps_the_image(face):
    image, _, rig, tri = face
    warp = PiecewiseAffineWarp(rig.source_points(), tri, (SIZE, SIZE))
    out = warp(image, rig.source_points())
    assert np.abs(out.astype(int) - image.astype(int)).max() <= 1


def test_global_affine_matches_opencv(face):
    image, _, rig, tri = face
    src = rig.source_points()
    A = cv2.getRotationMatrix2D((SIZE / 2, SIZE / 2), 7.0, 1.05)
    A[:, 2] += (2.5, -1.5)
    dst = src @ A[:, :2].T + A[:, 2]
    ours = PiecewiseAffineWarp(src, tri, (SIZE, SIZE))(image, dst)
    ref = cv2.warpAffine(image, A, (SIZE, SIZE), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REFLECT)
    inner = (slice(16, SIZE - 16),) * 2
    diff = np.abs(ours[inner].astype(int) - ref[inner].astype(int))
    assert diff.mean() < 0.5 and np.percentile(diff, 99) <= 3


def test_mouth_parameters_move_the_lips(face):
    _, _, rig, _ = face
    mw = rig.mouth_width
    rest, half, full = (rig.mesh(o, 0, 0) for o in (0.0, 0.5, 1.0))
    assert _gap(rest) == pytest.approx(NEUTRAL_GAP * mw, abs=0.05 * mw)  # closed mouth at rest
    assert _gap(rest) < _gap(half) < _gap(full)
    assert _gap(full) > 0.3 * mw
    width = lambda m: np.linalg.norm(m[61, :2] - m[291, :2])  # noqa: E731
    assert width(rig.mesh(0, 1, 0)) > width(rest) * 1.15  # spread
    assert width(rig.mesh(0, 0, 1)) < width(rest) * 0.85  # rounded: about a quarter narrower
    # Jitter moves every lip landmark by exactly the jitter vector.
    j = rig.mesh(0.3, 0.2, 0.1, jitter_xy=(1.5, -0.75))
    d = j[LIP, :2] - rig.mesh(0.3, 0.2, 0.1)[LIP, :2]
    assert np.allclose(d, (1.5, -0.75))


def test_blink_closes_the_eyes_only(face):
    _, _, rig, _ = face
    open_, shut = rig.mesh(0, 0, 0), rig.mesh(0, 0, 0, blink=1.0)
    for upper, lower in ((159, 145), (386, 374)):
        gap_open, gap_shut = (m[lower, 1] - m[upper, 1] for m in (open_, shut))
        assert gap_open > 0.02 * SIZE and 0 <= gap_shut < 0.1 * gap_open
    assert np.allclose(open_[LIP], shut[LIP])  # the mouth does not move with the eyes
    assert np.abs(shut[[61, 291, 152, 1]] - open_[[61, 291, 152, 1]]).max() < 1e-9  # nor corners, chin, nose


def test_no_folds_at_extreme_poses(face):
    """A folded (inverted) triangle would tear the image; sweep the rig's whole range."""
    _, _, rig, tri = face
    ref_area = signed_areas(rig.reference_points(), tri)
    solid = ref_area > 0.5
    s = 3 * 2.0 * rig.mouth_width / 64  # 3 sigma of the largest jitter used in the tests
    for o in (0.0, 1.0):
        for w, r in ((-1, 0), (1, 0), (-0.7, 1)):
            for jit in ((s, s), (-s, s)):
                for pose, blink in (((0.07, 0.05, 0.035, 2, -2), 0.0), ((-0.07, -0.05, -0.035, -2, 2), 1.0)):
                    mesh = rig.mesh(o, w, r, jitter_xy=jit, pose=pose, blink=blink)
                    area = signed_areas(rig.points(mesh, pose), tri)
                    assert (area[solid] > 0).all(), (o, w, r, jit, pose, blink)


def test_warp_is_continuous(face):
    """No tearing: the source coordinate of neighbouring pixels never jumps."""
    image, _, rig, tri = face
    pose = (0.07, -0.05, 0.035, 2.0, -1.5)
    mesh = rig.mesh(1.0, -0.5, 0.8, pose=pose)
    mx, my = PiecewiseAffineWarp(rig.source_points(), tri, (SIZE, SIZE)).maps(rig.points(mesh, pose))
    for m in (mx, my):
        assert np.abs(np.diff(m, axis=0)).max() < 4 and np.abs(np.diff(m, axis=1)).max() < 4


def test_open_mouth_is_dark_inside_closed_is_not(face):
    image, lm, rig, tri = face
    warp = PiecewiseAffineWarp(rig.source_points(), tri, (SIZE, SIZE))
    paint = MouthPainter(image, lm, rig.mouth_width)
    lum = lambda im, p: im[int(round(p[1])), int(round(p[0]))].mean()  # noqa: E731
    opened = rig.mesh(1.0, 0, 0)
    frame = paint(warp(image, rig.points(opened)), opened)
    # The cavity below the upper teeth: dark.
    top, bottom = opened[LIPS_INNER_UPPER[5], :2], opened[LIPS_INNER_LOWER[5], :2]
    below_teeth = top + (0, paint.teeth_h)
    assert lum(frame, 0.5 * (below_teeth + bottom)) < 90
    assert lum(frame, top + (0, 0.5 * paint.teeth_h)) > 150  # the teeth: bright
    closed = rig.mesh(0.0, 0, 0)
    frame = paint(warp(image, rig.points(closed)), closed)
    below = closed[LIPS_INNER_LOWER[5], :2] + (0, 0.06 * rig.mouth_width)  # the lower lip
    assert lum(frame, below) > 120

"""The paper's crop (Ling et al., arXiv:2208.13717, Sec. III-D): a fixed square box of 4 mouth
widths (:data:`msi.constants.MOUTH_WIDTH_RATIO` = 1/4) centred on the mouth of the first
:data:`msi.constants.MOUTH_WIDTH_FRAMES` (5) frames, every frame cropped with it and resized to
:data:`msi.constants.CROP_SIZE` (256) px square, and the face tracked on the crops.

``msi score --crop image`` (``Settings(crop="image")``). The default, ``--crop landmarks``, scales
the landmark coordinates by the same ratio instead of the pixels (:func:`msi.metrics.stability.msi_from_landmarks`):
the same normalisation without resampling the frames.
"""
from __future__ import annotations

from collections.abc import Iterator

import numpy as np

from msi.constants import CROP_SIZE, MOUTH_WIDTH_RATIO
from msi.errors import NoFace
from msi.metrics.stability import mouth_width
from msi.regions import get_scheme


def paper_crop_frames(path: str, settings, report=None) -> tuple[Iterator[np.ndarray], str]:
    """The paper's literal protocol, its frames: a fixed box of 4 mouth widths around the mouth of
    the first frames (tracked here to place it), every frame cropped with it and resized to
    256x256 (decoded as they are read, filling ``report``), and a note saying where the box is.
    The crops are tracked as any frames are (:mod:`msi.acquire`)."""
    import cv2

    from msi.tracking.trackers import open_tracker
    from msi.io.video import iter_frames

    scheme = get_scheme("mediapipe478")
    i, j = scheme.mouth_corners
    first = []
    with open_tracker(settings.tracker, max_faces=settings.max_faces) as tracker:
        for frame in iter_frames(path, max_side=None):
            pts = tracker.process(frame)
            if np.isfinite(pts).all():
                first.append(pts)
            if len(first) >= settings.mouth_width_frames:
                break
    if not first:
        raise NoFace(f"{path}: no face found, cannot place the crop box")
    first = np.stack(first)
    width = mouth_width(first, (i, j), settings.mouth_width_frames)
    centre = ((first[:, i, :2] + first[:, j, :2]) / 2).mean(axis=0)
    side = width / MOUTH_WIDTH_RATIO
    x0, y0 = centre - side / 2
    # Affine map box -> 256x256 (sub-pixel exact, black outside the frame).
    s = CROP_SIZE / side
    m = np.array([[s, 0, -x0 * s], [0, s, -y0 * s]], dtype=np.float64)

    def crops():
        for frame in iter_frames(path, max_side=None, report=report):
            yield cv2.warpAffine(frame, m, (CROP_SIZE, CROP_SIZE), flags=cv2.INTER_AREA, borderValue=0)

    return crops(), f"crop box {side:.1f} px at ({x0:.1f}, {y0:.1f}) resized to {CROP_SIZE}x{CROP_SIZE}"

"""Two synthetic checks of a tracker's fitness for a jitter metric, shared by the tests
and ``benchmarks/bench_score.py`` (a test harness: it lives with the tests, not in the library):

* frozen video: one 256x256 frame repeated; a stateless tracker gives identical landmarks, so
  every acceleration is 0 and MSI = 1 / (0 + EPS) = 2 on lips and jaw (StableFace Sec. III-D).
* known step: the same picture moved by ``step`` px every ``every`` frames (back and forth, so the
  face stays in view); the landmarks must move by exactly that much on the frame where it happens.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

SIDE = 256
STEP_PX = 6
STEP_EVERY = 5


def face_picture(side: int = SIDE, margin: int = 2 * STEP_PX) -> np.ndarray:
    """A real face (carphone_pristine's first frame, centre square) as a (side, side + margin) RGB
    picture; windows of it shifted by up to ``margin`` px all show the whole face."""
    import cv2

    from msi.io.samples import sample_path
    from msi.io.video import read_frames

    frame = read_frames(sample_path("carphone_pristine.mp4"), limit=1)[0]
    h, w = frame.shape[:2]
    scale = side / h
    extra = int(np.ceil(margin / scale))  # source columns needed for the margin
    x0 = max(0, (w - h - extra) // 2)
    src = frame[:, x0:x0 + h + extra]
    big = cv2.resize(src, (int(round(src.shape[1] * scale)), side), interpolation=cv2.INTER_CUBIC)
    return np.ascontiguousarray(big[:, :side + margin])


def frozen_frames(n: int = 60, side: int = SIDE) -> np.ndarray:
    """(n, side, side, 3): one frame repeated."""
    frame = np.ascontiguousarray(face_picture(side, margin=0))
    return np.repeat(frame[None], n, axis=0)


def step_frames(n: int = 60, side: int = SIDE, step: int = STEP_PX, every: int = STEP_EVERY) -> tuple[np.ndarray, np.ndarray]:
    """(n, side, side, 3) frames whose content moves by ``step`` px (left, then back) every
    ``every`` frames, and the true x offset of the content in each frame (pixels)."""
    pic = face_picture(side, margin=step)
    offset = step * ((np.arange(n) // every) % 2)  # window start: content moves by -offset
    frames = np.stack([pic[:, o:o + side] for o in offset])
    return np.ascontiguousarray(frames), -offset.astype(float)


@dataclass
class CheckResult:
    frozen_msi_lip: float
    frozen_msi_jaw: float
    frozen_max_motion_px: float  # largest landmark displacement between consecutive frozen frames
    step_error_px: float  # max |measured - true| mean-x displacement over the step frames
    step_still_px: float  # max |mean-x displacement| over the frames without a step


def run_checks(tracker: str = "landmarker", n: int = 60) -> CheckResult:
    """Both checks with backend ``tracker`` (a fresh tracker per sequence), at 25 fps."""
    from msi.score import score_landmarks
    from msi.settings import Settings
    from msi.tracking.trackers import track_frames

    lm = track_frames(frozen_frames(n), tracker=tracker).astype(np.float64)
    r = score_landmarks(lm, 25.0, Settings(tracker=tracker))
    motion = float(np.nanmax(np.abs(np.diff(lm[..., :2], axis=0)))) if n > 1 else 0.0
    frames, truth = step_frames(n)
    lm = track_frames(frames, tracker=tracker).astype(np.float64)
    dx = np.diff(lm[..., 0].mean(axis=1))
    true_dx = np.diff(truth)
    moved = true_dx != 0
    return CheckResult(r.msi_lip, r.msi_jaw, motion, float(np.max(np.abs(dx[moved] - true_dx[moved]))),
                       float(np.max(np.abs(dx[~moved]))))

r"""The tracker's noise floor: how much of an MSI score, and of a difference between two scores,
the landmark tracker alone produces.

MSI (Ling et al., arXiv:2208.13717, Sec. III-D) is computed from tracked landmarks; the tracker
adds its own per-frame noise to every trajectory. Two measurements of one video:

1. **Still copy** (motion removed, tracker noise kept). ``anchors`` frames with a face, spread
   over the video, are each held still for ``still_frames`` frames. Every frame gets its own
   i.i.d. Gaussian pixel noise (std ``pixel_noise`` grey levels, sensor-like, far below a pixel
   of motion) and the copy is re-encoded (H.264, crf 18, the video's frame rate). The copy is
   tracked like any input and each held segment is scored with the paper's MSI:
   ``still_msi_lip/jaw`` is the mean. It is the ceiling of MSI on this face with this tracker
   (a perfectly still face would score 2.0 with a noiseless tracker); ``tracker_noise_px`` is the
   per-frame landmark std of the lip points in the still segments, in MSI pixels (mouth 64 px
   wide), the same unit as the synthetic corpus' jitter.
2. **Repeatability** (motion kept). The video itself is re-encoded ``repeats`` times, each with
   fresh pixel noise as above, and re-tracked. ``floor_lip/jaw`` = :math:`1.96 \sqrt 2\, s`
   with :math:`s` the std of the MSI over the repeats: two measurements of the same motion differ
   by less than that 95 % of the time, so a difference between two methods smaller than the
   floor is not resolved by the tracker.

Both copies go through :func:`msi.acquire.get_landmarks` with the caller's settings, so the default
tracker is the one measured.
"""
from __future__ import annotations

import math
import os
import tempfile
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

from msi.constants import EPS, TARGET_MOUTH_WIDTH
from msi.metrics.stability import frame_valid
from msi.regions import get_scheme
from msi.stats import repeatability_limit

#: Pixel noise (std, grey levels of 255) added to every re-encoded frame.
PIXEL_NOISE = 2.0
#: Frames each anchor is held still: 6 windows of 12 accelerations, hop 6.
STILL_FRAMES = 50


@dataclass
class NoiseFloor:
    path: str
    fps: float
    msi_lip: float  # the video as tracked
    msi_jaw: float
    still_msi_lip: float  # held-still copy: tracker noise only
    still_msi_jaw: float
    tracker_noise_px: float  # per-frame lip landmark std in the still copy, MSI pixels
    repeat_msi_lip: list[float] = field(default_factory=list)  # re-encoded copies of the video
    repeat_msi_jaw: list[float] = field(default_factory=list)
    floor_lip: float = float("nan")  # 1.96 * sqrt(2) * std of the repeats
    floor_jaw: float = float("nan")
    settings: dict = field(default_factory=dict)

    def to_dict(self) -> dict:
        d = asdict(self)
        return {k: (None if isinstance(v, float) and math.isnan(v) else v) for k, v in d.items()}


# ----------------------------------------------------------------------------- pure core


def segment_noise_px(points: np.ndarray, scheme: str = "mediapipe478", region: str = "lip") -> float:
    """Per-frame std of a region's landmarks around their mean in one still segment (T, N, 2|3),
    in MSI pixels (coordinates scaled so the segment's mouth is 64 px wide); mean over points, x, y."""
    from msi.metrics.stability import mouth_width

    sch = get_scheme(scheme)
    pts = np.asarray(points, dtype=np.float64)[:, :, :2]
    pts = pts[frame_valid(pts)]
    if len(pts) < 2:
        return float("nan")
    scale = TARGET_MOUTH_WIDTH / mouth_width(pts, sch.mouth_corners, len(pts))
    reg = pts[:, list(sch.region(region))] * scale
    return float(reg.std(axis=0).mean())


def anchor_frames(valid: np.ndarray, n: int) -> list[int]:
    """``n`` frame indices with a face, evenly spread over those frames."""
    idx = np.flatnonzero(valid)
    if idx.size == 0:
        return []
    pick = np.linspace(0, idx.size - 1, min(n, idx.size)).round().astype(int)
    return sorted(set(idx[pick].tolist()))


def noisy(frame: np.ndarray, rng: np.random.Generator, sigma: float) -> np.ndarray:
    """``frame`` (uint8) with i.i.d. Gaussian noise of std ``sigma`` grey levels, rounded and clipped."""
    return np.clip(frame + rng.normal(0.0, sigma, frame.shape), 0, 255).round().astype(np.uint8)


# ----------------------------------------------------------------------------- I/O


def noise_floor(path: str | os.PathLike, settings=None, *, anchors: int = 3, still_frames: int = STILL_FRAMES,
                repeats: int = 5, pixel_noise: float = PIXEL_NOISE, seed: int = 0, cache: bool | str = True,
                workdir: str | os.PathLike | None = None) -> NoiseFloor:
    """Measure the tracker's noise floor on one video (see the module docstring). Tracks the
    video (cached), a still copy and ``repeats`` re-encoded copies (never cached: their bytes are
    new each time). Raises :class:`msi.errors.MSIError` when the video cannot be scored."""
    from msi.errors import MSIError, NoFace
    from msi.acquire import get_landmarks
    from msi.score import score_landmarks
    from msi.settings import Settings
    from msi.io.video import iter_frames, probe, write_video

    settings = settings or Settings()
    path = str(path)
    info = probe(path)
    lm = get_landmarks(path, settings, cache=cache)
    base = score_landmarks(lm.landmarks, lm.fps, settings, path=path)
    rng = np.random.default_rng(seed)
    valid = frame_valid(lm.landmarks[:, :, :2])
    picks = anchor_frames(valid, anchors)
    if not picks:
        raise NoFace(f"{path}: no face found in any frame")
    fps = info.fps if np.isfinite(info.fps) and info.fps > 0 else 25.0
    with tempfile.TemporaryDirectory(dir=workdir, prefix="msi-noise-") as tmp:
        # 1. Still copy: each anchor frame held still under fresh pixel noise.
        wanted = set(picks)
        held = {k: f for k, f in enumerate(iter_frames(path)) if k in wanted}
        still_path = Path(tmp) / "still.mp4"
        write_video(still_path, (noisy(held[k], rng, pixel_noise) for k in picks for _ in range(still_frames)),
                    fps=fps, crf=18)
        del held
        still = get_landmarks(still_path, settings, cache=False).landmarks
        seg_msi = {"lip": [], "jaw": []}
        seg_noise = []
        for s in range(len(picks)):
            seg = still[s * still_frames : (s + 1) * still_frames]
            try:
                v = score_landmarks(seg, fps, settings, path=str(still_path))
            except MSIError:  # a segment the tracker lost entirely: skip it, the others count
                continue
            seg_msi["lip"].append(v.msi_lip)
            seg_msi["jaw"].append(v.msi_jaw)
            seg_noise.append(segment_noise_px(seg, settings.scheme))
        # 2. Repeatability: the whole video re-encoded under fresh pixel noise, re-tracked.
        reps = {"lip": [], "jaw": []}
        for i in range(repeats):
            rep_path = Path(tmp) / f"repeat{i}.mp4"
            write_video(rep_path, (noisy(f, rng, pixel_noise) for f in iter_frames(path)), fps=fps, crf=18)
            rep = get_landmarks(rep_path, settings, cache=False)
            try:
                sc = score_landmarks(rep.landmarks, lm.fps, settings, path=str(rep_path))
            except MSIError:
                continue
            reps["lip"].append(sc.msi_lip)
            reps["jaw"].append(sc.msi_jaw)
            rep_path.unlink()

    def mean(xs):
        xs = [x for x in xs if np.isfinite(x)]
        return float(np.mean(xs)) if xs else float("nan")

    return NoiseFloor(
        path=path, fps=float(lm.fps), msi_lip=base.msi_lip, msi_jaw=base.msi_jaw,
        still_msi_lip=mean(seg_msi["lip"]), still_msi_jaw=mean(seg_msi["jaw"]),
        tracker_noise_px=mean(seg_noise),
        repeat_msi_lip=reps["lip"], repeat_msi_jaw=reps["jaw"],
        floor_lip=repeatability_limit(reps["lip"]), floor_jaw=repeatability_limit(reps["jaw"]),
        settings=dict(anchors=len(picks), still_frames=still_frames, repeats=repeats, pixel_noise=pixel_noise,
                      seed=seed, crf=18, max_msi=1 / EPS, tracker=lm.tracker),
    )

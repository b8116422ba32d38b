"""The settings of a score: every knob, its default the paper's; each deviation an explicit option.

One frozen dataclass shared by landmark acquisition (:mod:`msi.acquire`, whose cache key is
:meth:`Settings.tracker_key`) and scoring (:mod:`msi.score`).
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from msi.constants import MOUTH_WIDTH_FRAMES
from msi.tracking.trackers import DEFAULT_TRACKER  # light: mediapipe loads only when a tracker opens

#: Frames larger than this (longer side, pixels) are downscaled for the tracker (4K -> 1920).
DEFAULT_MAX_SIDE = 1920
CROP_MODES = ("landmarks", "image")


@dataclass(frozen=True)
class Settings:
    """Every knob of a score. Defaults follow the paper; each deviation is an explicit option."""

    scheme: str = "mediapipe478"  # landmark scheme (videos are always tracked as mediapipe478)
    compat: str = "paper"  # "paper": full windows only; "reference": + trailing partial windows
    mouth_width_frames: int = MOUTH_WIDTH_FRAMES  # first N frames for the mouth width (paper: 5)
    crop: str = "landmarks"  # "landmarks": scale the coordinates; "image": crop+resize frames, track crops
    resample_fps: float | None = None  # resample landmark trajectories to this frame rate first
    max_side: int | None = DEFAULT_MAX_SIDE  # downscale larger frames for the tracker
    max_faces: int = 2  # faces the tracker looks for; the largest is kept
    tracker: str = DEFAULT_TRACKER  # tracker backend (msi.tracking.TRACKERS); MSI depends on it
    stats: bool = False  # also report the baseline statistics of Table IV
    verify_face: bool = True  # a second detector must confirm a human face (rejects cartoons)
    landmark_fps: float | None = None  # frame rate of landmark-file inputs (default: file's or 25)
    variant: str = "paper"  # "hf": also the hf variant of MSI (msi.metrics.variants), beside the paper's
    face: str = "largest"  # which face is followed when there are several (msi.tracking.face_choice)
    panels: str | None = None  # "COLSxROWS": score each panel of a comparison video (msi.tracking.panels)
    panel_labels: tuple[str, ...] | None = None  # panel names (default 1, 2, ...)

    def tracker_key(self) -> dict:
        """The settings that change the tracked landmarks (and so key the cache)."""
        from msi.tracking.trackers import FACE_CHECK_VERSION, TrackerSettings, tracker_identity

        key = {"tracker": tracker_identity(self.tracker), "max_side": self.max_side, "crop": self.crop,
               "verify_face": FACE_CHECK_VERSION if self.verify_face else False,
               "settings": dataclasses.asdict(TrackerSettings(name=self.tracker, max_faces=self.max_faces)),
               "face": str(self.face)}
        if self.crop == "image":
            key["mouth_width_frames"] = self.mouth_width_frames
        return key

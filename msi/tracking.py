"""Facial landmarks with MediaPipe face mesh (478 points with iris refinement).

``mediapipe==0.10.14`` is the newest release whose wheel still ships the face-mesh model
(legacy ``mp.solutions.face_mesh``); nothing is downloaded at run time. The tracker runs in
video (tracking) mode, so landmarks of consecutive frames come from the same face track.
"""
from __future__ import annotations

import contextlib
import os
import sys
import warnings
from dataclasses import asdict, dataclass
from typing import Iterable

import numpy as np

from msi.video import iter_frames, probe, scaled_size

os.environ.setdefault("GLOG_minloglevel", "2")  # MediaPipe's C++ log lines are not for users
warnings.filterwarnings("ignore", message=r"SymbolDatabase\.GetPrototype\(\) is deprecated")

N_POINTS = 478
TRACKER_NAME = "mediapipe-facemesh"
#: Minimum score of MediaPipe's full-range face detector that confirms a human face.
VERIFY_MIN_SCORE = 0.5


@contextlib.contextmanager
def _quiet_native_stderr():
    """MediaPipe's C++ (TFLite, absl) writes log lines straight to file descriptor 2 when a
    graph starts; they are noise for users, so fd 2 is pointed at /dev/null meanwhile."""
    if os.environ.get("MSI_DEBUG_MEDIAPIPE"):
        yield
        return
    try:
        sys.stderr.flush()
        saved = os.dup(2)
    except (OSError, ValueError):
        yield
        return
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, 2)
        yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)
        os.close(devnull)


def silence_native_logs() -> None:
    """For command-line use: keep MediaPipe's C++ log lines (written to fd 2 from its own
    threads at any time) away from the user, while Python's ``sys.stderr`` (progress bar,
    warnings, errors) still reaches the terminal through a duplicate of the original fd."""
    if os.environ.get("MSI_DEBUG_MEDIAPIPE") or sys.stderr is not sys.__stderr__:
        return  # debugging, or stderr already redirected in Python (e.g. under pytest)
    try:
        sys.stderr.flush()
        keep = os.dup(2)
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, 2)
        os.close(devnull)
    except (OSError, ValueError, AttributeError):
        return
    sys.stderr = sys.__stderr__ = os.fdopen(keep, "w", buffering=1, encoding="utf-8", errors="replace")


def tracker_version() -> str:
    from importlib.metadata import version

    return f"{TRACKER_NAME}-{version('mediapipe')}"


@dataclass(frozen=True)
class TrackerSettings:
    """Everything that changes the landmarks (part of the cache key)."""

    static_image_mode: bool = False  # False: video mode, landmarks tracked frame to frame
    max_faces: int = 1  # >1: detect up to this many faces and keep the largest
    refine_landmarks: bool = True  # 478 points (lips and iris refined) instead of 468
    min_detection_confidence: float = 0.5
    min_tracking_confidence: float = 0.5


class FaceMeshTracker:
    """One MediaPipe face mesh; ``process(frame)`` gives (478, 3) pixel landmarks or NaNs.

    x and y are pixels of the frame given; z is MediaPipe's relative depth times the frame width
    (MediaPipe's own convention), so all three axes share the pixel scale.
    """

    def __init__(self, **settings) -> None:
        import mediapipe as mp  # imported here: the pure metric must not need it

        self.settings = TrackerSettings(**settings)
        s = self.settings
        self._started = False
        with _quiet_native_stderr():
            self._mesh = mp.solutions.face_mesh.FaceMesh(
                static_image_mode=s.static_image_mode,
                max_num_faces=s.max_faces,
                refine_landmarks=s.refine_landmarks,
                min_detection_confidence=s.min_detection_confidence,
                min_tracking_confidence=s.min_tracking_confidence,
            )
        self.n_points = N_POINTS if s.refine_landmarks else 468
        self._verifier = None

    def process(self, frame_rgb: np.ndarray) -> np.ndarray:
        if frame_rgb.ndim == 2:  # grayscale: MediaPipe wants 3 channels
            frame_rgb = np.repeat(frame_rgb[..., None], 3, axis=2)
        h, w = frame_rgb.shape[:2]
        frame_rgb = np.ascontiguousarray(frame_rgb[..., :3])
        if not self._started:  # the graph's first run logs its delegate setup
            with _quiet_native_stderr():
                result = self._mesh.process(frame_rgb)
            self._started = True
        else:
            result = self._mesh.process(frame_rgb)
        out = np.full((self.n_points, 3), np.nan)
        faces = result.multi_face_landmarks
        if not faces:
            return out
        best = None
        for face in faces:
            pts = np.array([(p.x, p.y, p.z) for p in face.landmark], dtype=np.float64)
            area = np.ptp(pts[:, 0]) * w * np.ptp(pts[:, 1]) * h
            if best is None or area > best[0]:
                best = (area, pts)
        pts = best[1]
        out[:, 0] = pts[:, 0] * w
        out[:, 1] = pts[:, 1] * h
        out[:, 2] = pts[:, 2] * w
        return out

    def close(self) -> None:
        self._mesh.close()
        if self._verifier is not None:
            self._verifier.close()

    def confirms_face(self, frame_rgb: np.ndarray) -> bool:
        """Does MediaPipe's full-range face detector (a second, independent model) see a human
        face? The mesh tracker follows almost anything face-like (cartoon faces included); a video
        is scored only if this detector confirms a face in at least one tracked frame."""
        if self._verifier is None:
            import mediapipe as mp

            with _quiet_native_stderr():
                self._verifier = mp.solutions.face_detection.FaceDetection(
                    model_selection=1, min_detection_confidence=VERIFY_MIN_SCORE)
        if frame_rgb.ndim == 2:
            frame_rgb = np.repeat(frame_rgb[..., None], 3, axis=2)
        with _quiet_native_stderr():
            result = self._verifier.process(np.ascontiguousarray(frame_rgb[..., :3]))
        return bool(result.detections)

    def __enter__(self) -> "FaceMeshTracker":
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def track_frames(frames: Iterable[np.ndarray], **settings) -> np.ndarray:
    """Landmarks (T, 478, 3) of a sequence of RGB frames; NaN rows where no face was found."""
    return track_frames_verified(frames, verify_face=False, **settings)[0]


@dataclass
class Tracked:
    landmarks: np.ndarray  # (T, 478, 3), pixels of the original frame size
    fps: float
    width: int
    height: int
    tracked_size: tuple[int, int]  # (width, height) the tracker saw (smaller for huge videos)
    settings: dict
    face_confirmed: bool | None = None  # None: not checked


def track_video(
    path: str | os.PathLike,
    max_side: int | None = None,
    progress: bool = False,
    verify_face: bool = False,
    **settings,
) -> Tracked:
    """Track every frame of a video. With ``max_side``, larger frames are downscaled for the
    tracker and the landmarks mapped back to the original pixel grid."""
    info = probe(path)
    tw, th = scaled_size(info.width, info.height, max_side)
    frames: Iterable[np.ndarray] = iter_frames(path, max_side=max_side)
    if progress:
        from tqdm import tqdm

        frames = tqdm(frames, total=info.n_frames or None, unit="frame", desc=os.path.basename(str(path)),
                      leave=False, file=sys.stderr, dynamic_ncols=True, disable=None)  # None: tty only
    lm, confirmed = track_frames_verified(frames, verify_face=verify_face, **settings)
    if (tw, th) != (info.width, info.height):
        lm[..., 0] *= info.width / tw
        lm[..., 1] *= info.height / th
        lm[..., 2] *= info.width / tw
    return Tracked(landmarks=lm, fps=info.fps, width=info.width, height=info.height, tracked_size=(tw, th),
                   settings=asdict(TrackerSettings(**settings)), face_confirmed=confirmed)


def track_frames_verified(frames: Iterable[np.ndarray], verify_face: bool = True,
                          **settings) -> tuple[np.ndarray, bool | None]:
    """Like :func:`track_frames`, and also whether a human face was confirmed (see
    :meth:`FaceMeshTracker.confirms_face`; checked on tracked frames until one confirms)."""
    out = []
    confirmed = False if verify_face else None
    with FaceMeshTracker(**settings) as tracker:
        for frame in frames:
            pts = tracker.process(frame)
            if verify_face and not confirmed and np.isfinite(pts[0, 0]):
                confirmed = tracker.confirms_face(frame)
            out.append(pts)
    return (np.stack(out) if out else np.empty((0, N_POINTS, 3))), confirmed

"""Facial landmarks (478 MediaPipe points, pixels) from interchangeable tracker backends.

Backends (``--tracker NAME``; :data:`TRACKERS`):

``landmarker`` (default)
    MediaPipe Tasks ``FaceLandmarker`` in IMAGE mode with the bundled ``face_landmarker.task``
    (``msi/assets``). Stateless: a frame's landmarks depend on that frame alone, so a frozen video
    gives identical landmarks and a shift shows on the frame where it happens. Runs on every
    Python the project supports (mediapipe 1.2.3 is one wheel for 3.9-3.14). The Tasks VIDEO mode
    is deliberately not offered: it filters landmarks over time and so hides the jitter MSI measures.
``facemesh-static`` / ``facemesh-video``
    The legacy ``mp.solutions.face_mesh`` (only in mediapipe 0.10.14, Python <= 3.12: the
    ``legacy`` extra). ``static``: detection on every frame (stateless). ``video``: landmarks
    tracked from the previous frame (the project's default before 0.2; drifts about 0.2 px per
    frame on identical frames, so a frozen video does not score 2).

Every backend's :meth:`Tracker.detect` returns ALL faces of a frame as ``(F, 478, 3)`` pixels;
the choice of one face per frame is :func:`select_face` (replaceable via ``select=``).
:class:`FaceDetections` is a pass over frames that yields every frame's faces, for a pipeline
(:mod:`msi.acquire`: :class:`msi.tracking.face_choice.FollowedFace` follows one of them, and
:func:`msi.io.landmark_store.collect` keeps it).
MSI values depend on the tracker: compare videos scored with one tracker (its identity string
is in every output and in the landmark cache key).

The human-face check (:class:`FaceCheck`) is independent of the backend: BlazeFace (short range)
from inside the ``.task`` bundle, run by the Tasks ``FaceDetector``.
"""
from __future__ import annotations

import contextlib
import hashlib
import io
import os
import sys
import threading
import warnings
import zipfile
from dataclasses import asdict, dataclass
from functools import lru_cache
from typing import Callable, Iterable, Iterator, Protocol

import numpy as np

from msi.errors import TrackerError

os.environ.setdefault("GLOG_minloglevel", "2")  # MediaPipe's C++ log lines are not for users
warnings.filterwarnings("ignore", message=r"SymbolDatabase\.GetPrototype\(\) is deprecated")

N_POINTS = 478
#: Backend names (``--tracker``); this module imports mediapipe only when a tracker opens.
TRACKERS = ("landmarker", "facemesh-static", "facemesh-video")
DEFAULT_TRACKER = "landmarker"
#: The bundled model (Google, Apache-2.0; see msi/assets/NOTICE).
MODEL_FILE = "face_landmarker.task"
MODEL_SHA256 = "64184e229b263107bc2b804c6625db1341ff2bb731874b0bcc2fe6544e0bc9ff"
#: mediapipe release whose legacy ``mp.solutions.face_mesh`` the facemesh-* backends need.
LEGACY_MEDIAPIPE = "0.10.14"

#: Human-face check (see :class:`FaceCheck`). Measured with the bundle's BlazeFace on the full
#: frame: carphone_pristine scores 0.88-0.97 in every frame, carphone_distorted (heavy
#: compression) 0.40-0.78, the cartoon bigbuckbunny 0.17-0.77. No per-frame threshold separates
#: the last two; the share of confident frames does (distorted 99/120, bunny 15/76 frames).
FACE_SEEN_SCORE = 0.3  # something face-like is there
FACE_CONFIDENT_SCORE = 0.6  # a face, confidently
FACE_CONFIDENT_SHARE = 0.5  # confirmed when >= this share of "seen" frames are confident
FACE_CHECK_STRIDE = 3  # every 3rd frame: the detector costs ~15% of the landmarker per frame
#: Identifies the check's rule in the landmark cache key (a cached verdict is reused only as is).
FACE_CHECK_VERSION = (f"blazeface-short:{FACE_SEEN_SCORE}/{FACE_CONFIDENT_SCORE}/{FACE_CONFIDENT_SHARE}/"
                      f"{FACE_CHECK_STRIDE}")


# ----------------------------------------------------------------------------- native logs


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


# ----------------------------------------------------------------------------- identity


def mediapipe_version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("mediapipe")
    except PackageNotFoundError:
        return "none"


@lru_cache(maxsize=1)
def model_bytes() -> bytes:
    """The bundled face_landmarker.task, checked against its published SHA-256."""
    from importlib.resources import files

    data = (files("msi") / "assets" / MODEL_FILE).read_bytes()
    if hashlib.sha256(data).hexdigest() != MODEL_SHA256:
        raise TrackerError(f"msi/assets/{MODEL_FILE} is damaged (SHA-256 mismatch): reinstall stableface")
    return data


@lru_cache(maxsize=1)
def detector_model_bytes() -> bytes:
    """BlazeFace (short range), the face detector inside the .task bundle (a zip archive)."""
    with zipfile.ZipFile(io.BytesIO(model_bytes())) as z:
        return z.read("face_detector.tflite")


def check_tracker_name(name: str) -> str:
    if name not in TRACKERS:
        raise TrackerError(f"unknown tracker {name!r} (choose from {', '.join(TRACKERS)})")
    return name


def tracker_available(name: str) -> str | None:
    """None if backend ``name`` can run here, else the reason it cannot."""
    check_tracker_name(name)
    if name.startswith("facemesh"):
        try:
            import mediapipe as mp

            mp.solutions.face_mesh  # noqa: B018 (absent from mediapipe >= 0.10.30)
        except (ImportError, AttributeError):
            return (f"tracker {name} needs the legacy face mesh of mediapipe=={LEGACY_MEDIAPIPE} (installed: "
                    f"{mediapipe_version()}; pip install 'stableface[legacy]', Python <= 3.12 only)")
    return None


def tracker_identity(name: str = DEFAULT_TRACKER) -> str:
    """Name and version of a backend, e.g. ``landmarker/mediapipe-1.2.3/task-64184e22``: what
    outputs report and what keys the landmark cache (the same model under another mediapipe
    release gives other landmarks, up to 2 px on carphone)."""
    check_tracker_name(name)
    ident = f"{name}/mediapipe-{mediapipe_version()}"
    if name == "landmarker":
        ident += f"/task-{MODEL_SHA256[:8]}"
    return ident


@dataclass(frozen=True)
class TrackerSettings:
    """Everything that changes the landmarks (part of the cache key)."""

    name: str = DEFAULT_TRACKER
    max_faces: int = 2  # faces looked for in each frame (all are returned by ``detect``)
    min_detection_confidence: float = 0.5
    min_presence_confidence: float = 0.5  # landmarker: face presence; facemesh-video: tracking


# ----------------------------------------------------------------------------- backends


class Tracker(Protocol):
    name: str
    identity: str
    settings: TrackerSettings

    def detect(self, frame_rgb: np.ndarray) -> np.ndarray:
        """All faces of one RGB frame: (F, 478, 3) float64 pixels (x, y; z = depth x width)."""

    def reset(self) -> None:
        """Forget any state, so the next frame is tracked as by a fresh tracker."""

    def close(self) -> None: ...


def _rgb(frame: np.ndarray) -> np.ndarray:
    if frame.ndim == 2:  # grayscale: MediaPipe wants 3 channels
        frame = np.repeat(frame[..., None], 3, axis=2)
    return np.ascontiguousarray(frame[..., :3], dtype=np.uint8)


def _to_pixels(faces: list, w: int, h: int) -> np.ndarray:
    out = np.empty((len(faces), N_POINTS, 3))
    for k, pts in enumerate(faces):
        out[k] = pts
    out[..., 0] *= w
    out[..., 1] *= h
    out[..., 2] *= w
    return out


class _Base:
    name: str

    def __init__(self, settings: TrackerSettings) -> None:
        self.settings = settings
        self.identity = tracker_identity(settings.name)
        self.n_points = N_POINTS

    def process(self, frame_rgb: np.ndarray, previous: np.ndarray | None = None,
                select: Callable | None = None) -> np.ndarray:
        """One face (478, 3) chosen by ``select`` (default :func:`select_face`), NaN if none."""
        faces = self.detect(frame_rgb)
        k = (select or select_face)(faces, previous)
        return faces[k] if k is not None else np.full((N_POINTS, 3), np.nan)

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        self.close()


class LandmarkerTracker(_Base):
    """MediaPipe Tasks FaceLandmarker, IMAGE mode (stateless), bundled model."""

    name = "landmarker"

    def __init__(self, settings: TrackerSettings) -> None:
        super().__init__(settings)
        from mediapipe.tasks.python import BaseOptions, vision

        opts = vision.FaceLandmarkerOptions(
            base_options=BaseOptions(model_asset_buffer=model_bytes()),
            running_mode=vision.RunningMode.IMAGE,  # never VIDEO: it smooths over time
            num_faces=settings.max_faces,
            min_face_detection_confidence=settings.min_detection_confidence,
            min_face_presence_confidence=settings.min_presence_confidence,
        )
        with _quiet_native_stderr():
            self._task = vision.FaceLandmarker.create_from_options(opts)
        self._started = False

    def detect(self, frame_rgb: np.ndarray) -> np.ndarray:
        import mediapipe as mp

        frame = _rgb(frame_rgb)
        image = mp.Image(image_format=mp.ImageFormat.SRGB, data=frame)
        if not self._started:  # the first run logs its delegate setup
            with _quiet_native_stderr():
                result = self._task.detect(image)
            self._started = True
        else:
            result = self._task.detect(image)
        faces = [[(p.x, p.y, p.z) for p in face] for face in result.face_landmarks]
        return _to_pixels(faces, frame.shape[1], frame.shape[0])

    def reset(self) -> None:
        pass  # stateless

    def close(self) -> None:
        if self._task is not None:
            with _quiet_native_stderr():  # closing logs too (DestroyAccelerator ...)
                self._task.close()
            self._task = None


class FaceMeshLegacyTracker(_Base):
    """Legacy ``mp.solutions.face_mesh`` (mediapipe 0.10.14), static-image or video mode."""

    def __init__(self, settings: TrackerSettings) -> None:
        super().__init__(settings)
        reason = tracker_available(settings.name)
        if reason:
            raise TrackerError(reason)
        self.name = settings.name
        self._mesh = None
        self.reset()

    def reset(self) -> None:
        import mediapipe as mp

        s = self.settings
        if self._mesh is not None:
            self._mesh.close()
        with _quiet_native_stderr():
            self._mesh = mp.solutions.face_mesh.FaceMesh(
                static_image_mode=s.name == "facemesh-static",
                max_num_faces=s.max_faces,
                refine_landmarks=True,  # 478 points (lips and iris refined)
                min_detection_confidence=s.min_detection_confidence,
                min_tracking_confidence=s.min_presence_confidence,
            )
        self._started = False

    def detect(self, frame_rgb: np.ndarray) -> np.ndarray:
        frame = _rgb(frame_rgb)
        if not self._started:
            with _quiet_native_stderr():
                result = self._mesh.process(frame)
            self._started = True
        else:
            result = self._mesh.process(frame)
        faces = [[(p.x, p.y, p.z) for p in face.landmark] for face in (result.multi_face_landmarks or [])]
        return _to_pixels(faces, frame.shape[1], frame.shape[0])

    def close(self) -> None:
        if self._mesh is not None:
            with _quiet_native_stderr():
                self._mesh.close()
            self._mesh = None


def open_tracker(name: str = DEFAULT_TRACKER, max_faces: int = 2, **options) -> LandmarkerTracker | FaceMeshLegacyTracker:
    """A tracker backend (a context manager). ``options``: the other :class:`TrackerSettings`.
    Inside :func:`reuse_trackers`, a kept instance (reset) instead of a new one."""
    settings = TrackerSettings(name=check_tracker_name(name), max_faces=max(1, int(max_faces)), **options)
    kept = _kept(settings, lambda: _Kept(_build_tracker(settings)))
    if kept is not None:
        kept.reset()
        return kept
    return _build_tracker(settings)


def _import_mediapipe() -> None:
    """Import mediapipe without pinning the caller's frames. mediapipe keeps the error of its
    optional ``sounddevice`` import (``audio_record.sd_error``, "PortAudio library not found");
    that exception's traceback holds every frame up to whoever first imported mediapipe, with
    their locals: a scored video's landmarks were never freed."""
    import mediapipe  # noqa: F401

    try:
        from mediapipe.tasks.python.audio.core import audio_record
    except ImportError:
        return
    err = getattr(audio_record, "sd_error", None)
    while err is not None:
        err.__traceback__ = None
        err = err.__context__ or err.__cause__


def _build_tracker(settings: TrackerSettings) -> LandmarkerTracker | FaceMeshLegacyTracker:
    _import_mediapipe()
    _BUILDS["tracker"] += 1
    if settings.name == "landmarker":
        return LandmarkerTracker(settings)
    return FaceMeshLegacyTracker(settings)


# ----------------------------------------------------------------------------- reuse across videos

_REUSE = threading.local()  # .on: reuse switched on in this thread; .kept: {key: model}
_BUILDS = {"tracker": 0, "face_check": 0}  # models really built in this process


@contextlib.contextmanager
def reuse_trackers():
    """Within this block, trackers opened by name (:func:`open_tracker`, hence also
    :func:`track_video` / :func:`track_frames_verified`) and :class:`FaceCheck` detectors are kept
    (per thread) and handed out again instead of being built for every video; closing one resets it.
    For long-lived worker processes (msi.cluster: one model per process, not per video). Results
    do not change: a kept tracker is reset before each hand-out (the landmarker is stateless)."""
    was = getattr(_REUSE, "on", False)
    _REUSE.on = True
    try:
        yield
    finally:
        _REUSE.on = was


def tracker_builds() -> dict[str, int]:
    """How many tracker and face-check models this process has built (diagnostics, tests)."""
    return dict(_BUILDS)


def _kept(key, build: Callable):
    """The kept model for ``key`` (built on first use) inside :func:`reuse_trackers`, else None."""
    if not getattr(_REUSE, "on", False):
        return None
    kept = _REUSE.__dict__.setdefault("kept", {})
    if key not in kept:
        kept[key] = build()
    return kept[key]


class _Kept:
    """A tracker kept by :func:`reuse_trackers`: closing it resets it, its model stays loaded."""

    def __init__(self, tracker) -> None:
        self._tracker = tracker

    def __getattr__(self, name: str):
        return getattr(self._tracker, name)

    def close(self) -> None:
        self._tracker.reset()

    def __enter__(self) -> "_Kept":
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def FaceMeshTracker(static_image_mode: bool = False, max_faces: int = 2, tracker: str = DEFAULT_TRACKER,
                    **_ignored) -> LandmarkerTracker | FaceMeshLegacyTracker:
    """Deprecated alias of :func:`open_tracker` (the old class name); ``static_image_mode`` is
    ignored: the default backend is stateless anyway."""
    return open_tracker(tracker, max_faces=max_faces)


# ----------------------------------------------------------------------------- one face per frame


def select_face(faces: np.ndarray, previous: np.ndarray | None = None) -> int | None:
    """Which of a frame's faces (F, 478, 3) to keep: the largest (bounding-box area); None if
    there is none. ``previous`` (the face kept in the last frame with one) is unused here; it is
    the hook for choosing by continuity (pass another function as ``select=``)."""
    if len(faces) == 0:
        return None
    if len(faces) == 1:
        return 0
    area = np.ptp(faces[..., 0], axis=1) * np.ptp(faces[..., 1], axis=1)
    return int(np.argmax(area))


# ----------------------------------------------------------------------------- human-face check


def _face_detector():
    """BlazeFace (short range) from the bundle, run by the Tasks FaceDetector in IMAGE mode."""
    from mediapipe.tasks.python import BaseOptions, vision

    _BUILDS["face_check"] += 1
    opts = vision.FaceDetectorOptions(
        base_options=BaseOptions(model_asset_buffer=detector_model_bytes()),
        running_mode=vision.RunningMode.IMAGE, min_detection_confidence=FACE_SEEN_SCORE)
    with _quiet_native_stderr():
        return vision.FaceDetector.create_from_options(opts)


class FaceCheck:
    """Is there a human face (not a cartoon face)? The trackers follow almost anything face-like,
    so videos are scored only if BlazeFace (short range, the detector inside the bundled
    ``.task``; a separate model from the landmark network) is confident in enough frames:
    of the checked frames where it sees something face-like (score >= FACE_SEEN_SCORE), at
    least FACE_CONFIDENT_SHARE must score >= FACE_CONFIDENT_SCORE (see the measurements at those
    constants). Frames are checked every FACE_CHECK_STRIDE-th call of :meth:`observe`."""

    def __init__(self, stride: int = FACE_CHECK_STRIDE) -> None:
        _import_mediapipe()
        kept = _kept("face_check", _face_detector)  # inside reuse_trackers(): one per thread
        self._det, self._own = (kept, False) if kept is not None else (_face_detector(), True)
        self.stride, self.calls, self.seen, self.confident = max(1, stride), 0, 0, 0

    def score(self, frame_rgb: np.ndarray) -> float:
        """Best face score of BlazeFace on the whole frame (0 if none >= FACE_SEEN_SCORE)."""
        import mediapipe as mp

        image = mp.Image(image_format=mp.ImageFormat.SRGB, data=_rgb(frame_rgb))
        with _quiet_native_stderr():
            result = self._det.detect(image)
        return max((d.categories[0].score for d in result.detections), default=0.0)

    def observe(self, frame_rgb: np.ndarray) -> None:
        self.calls += 1
        if (self.calls - 1) % self.stride:
            return
        s = self.score(frame_rgb)
        self.seen += s >= FACE_SEEN_SCORE
        self.confident += s >= FACE_CONFIDENT_SCORE

    @property
    def confirmed(self) -> bool:
        return self.confident > 0 and self.confident >= FACE_CONFIDENT_SHARE * self.seen

    def summary(self) -> str:
        return (f"face detector confident in {self.confident} of {self.seen} face-like frames "
                f"(needs {FACE_CONFIDENT_SHARE:.0%})")

    def close(self) -> None:
        if self._det is not None and self._own:
            with _quiet_native_stderr():
                self._det.close()
        self._det = None

    def __enter__(self) -> "FaceCheck":
        return self

    def __exit__(self, *exc) -> None:
        self.close()


# ----------------------------------------------------------------------------- sequences


@dataclass
class Tracked:
    landmarks: np.ndarray  # (T, 478, 3) float32, pixels of the original frame size, NaN: no face
    fps: float
    width: int
    height: int
    tracked_size: tuple[int, int]  # (width, height) the tracker saw (smaller for huge videos)
    settings: dict
    tracker: str = ""  # identity (name and version) of the backend
    face_confirmed: bool | None = None  # None: not checked
    face_check: str = ""  # what the human-face check saw
    points: tuple[int, ...] | None = None  # the columns of ``landmarks`` (None: all 478)
    spool: object = None  # msi.io.landmark_store.Spool of the full mesh, when asked for
    spool_error: str | None = None  # why there is no spool although one was asked for


@dataclass
class FaceDetections:
    """Every face of every frame, as a pass over ``frames`` detects them: iterating yields one
    (F, 478, 3) array of pixels per frame (F = 0: no face). ``tracker``: a backend name (opened
    and closed by the pass), or an open :class:`Tracker` to reuse (reset first, not closed).
    ``verify_face``: also run the human-face check (:class:`FaceCheck`; ``check``: an open one to
    use, which the caller closes). What the pass found is data: ``identity``, the tracker's
    (:func:`tracker_identity`, once it is open), and when it ends ``confirmed`` (None when not
    checked) and ``face_check`` (what the check saw)."""

    frames: Iterable[np.ndarray]
    tracker: str | Tracker = DEFAULT_TRACKER
    max_faces: int = 2
    verify_face: bool = False
    check: FaceCheck | None = None
    identity: str = ""
    confirmed: bool | None = None
    face_check: str = ""

    def __iter__(self) -> Iterator[np.ndarray]:
        own = isinstance(self.tracker, str)
        trk = open_tracker(self.tracker, max_faces=self.max_faces) if own else self.tracker
        if not own:
            trk.reset()
        self.identity = trk.identity
        own_check = self.verify_face and self.check is None
        chk = FaceCheck() if own_check else (self.check if self.verify_face else None)
        try:
            for frame in self.frames:
                yield trk.detect(frame)
                if chk is not None:
                    chk.observe(frame)
            if chk is not None:
                self.confirmed, self.face_check = chk.confirmed, chk.summary()
        finally:
            if own:
                trk.close()
            if own_check:
                chk.close()


def track_frames_verified(frames: Iterable[np.ndarray], verify_face: bool = True, tracker: str | Tracker = DEFAULT_TRACKER,
                          max_faces: int = 2, select: Callable | None = None, capacity: int = 256,
                          check: FaceCheck | None = None, buffer=None, **_legacy) -> tuple[np.ndarray, bool | None]:
    """Landmarks (T, 478, 3) float32 of RGB frames (NaN rows: no face) and whether a human face
    was confirmed (:class:`FaceCheck`; None if not checked). ``tracker``: a backend name, or an
    open :class:`Tracker` to reuse (it is reset first, not closed). ``select(faces, previous)``
    picks one face per frame (default :func:`select_face`). ``check``: an open FaceCheck to use
    (its ``summary()`` tells what it saw). ``buffer``: a :class:`msi.io.landmark_store.MeshBuffer`
    that receives the frames (e.g. only the points a score reads, the full mesh spooled to disk);
    the array returned is then its array."""
    from msi.io.landmark_store import MeshBuffer

    detections = FaceDetections(frames, tracker, max_faces, verify_face, check)
    select = select or select_face
    buf = buffer if buffer is not None else MeshBuffer(N_POINTS, capacity=capacity)
    previous, nan = None, np.full((N_POINTS, 3), np.nan)
    for faces in detections:
        k = select(faces, previous)
        if k is None:
            buf.append(nan)
        else:
            previous = faces[k]
            buf.append(previous)
    return buf.array(), detections.confirmed


def track_frames(frames: Iterable[np.ndarray], tracker: str | Tracker = DEFAULT_TRACKER, max_faces: int = 2,
                 select: Callable | None = None, **_legacy) -> np.ndarray:
    """Landmarks (T, 478, 3) of a sequence of RGB frames; NaN rows where no face was found."""
    return track_frames_verified(frames, verify_face=False, tracker=tracker, max_faces=max_faces, select=select)[0]


def track_video(
    path: str | os.PathLike,
    max_side: int | None = None,
    progress: bool = False,
    verify_face: bool = False,
    tracker: str | Tracker = DEFAULT_TRACKER,
    max_faces: int = 2,
    select: Callable | None = None,
    report=None,
    prefetch: int = 0,
    points: tuple[int, ...] | None = None,
    spool_dir: str | os.PathLike | None = None,
    info=None,
    **_legacy,
) -> Tracked:
    """Track every frame of a video. With ``max_side``, larger frames are downscaled for the
    tracker and the landmarks mapped back to the original pixel grid. ``report``/``prefetch``
    go to :func:`msi.io.video.iter_frames`. ``points``: keep only these columns in memory (an hour
    of the full mesh is 620 MB); ``spool_dir``: also write every full frame to a spool file there
    (``Tracked.spool``). ``info``: the video's :func:`msi.io.video.probe` answer, when the caller
    has it (a streamed video is not opened twice)."""
    from msi.io.landmark_store import MeshBuffer
    from msi.io.video import iter_frames, probe, scaled_size

    info = info or probe(path)
    tw, th = scaled_size(info.width, info.height, max_side)
    scale = None if (tw, th) == (info.width, info.height) else (info.width / tw, info.height / th, info.width / tw)
    buffer = MeshBuffer(N_POINTS, points, capacity=(info.n_frames or 0) + 8, spool_dir=spool_dir, scale=scale)
    frames: Iterable[np.ndarray] = iter_frames(path, max_side=max_side, report=report, prefetch=prefetch)
    if progress:
        from tqdm import tqdm

        frames = tqdm(frames, total=info.n_frames or None, unit="frame", desc=os.path.basename(str(path)),
                      leave=False, file=sys.stderr, dynamic_ncols=True, disable=None)  # None: tty only
    name = tracker if isinstance(tracker, str) else tracker.settings.name
    settings = TrackerSettings(name=name, max_faces=max_faces) if isinstance(tracker, str) else tracker.settings
    check = FaceCheck() if verify_face else None
    try:
        lm, confirmed = track_frames_verified(frames, verify_face=verify_face, tracker=tracker, max_faces=max_faces,
                                              select=select, check=check, buffer=buffer)
        summary = check.summary() if check is not None else ""
    except BaseException:
        buffer.discard()
        raise
    finally:
        if check is not None:
            check.close()
    return Tracked(landmarks=lm, fps=info.fps, width=info.width, height=info.height, tracked_size=(tw, th),
                   settings=asdict(settings), tracker=tracker_identity(name), face_confirmed=confirmed,
                   face_check=summary, points=buffer.points, spool=buffer.spool(), spool_error=buffer.spool_error)

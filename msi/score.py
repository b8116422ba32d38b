"""Scoring videos and landmark files: tracking (cached) -> ``msi.metrics.stability`` -> a result record.

``score_video`` / ``score_landmarks`` raise :class:`msi.errors.MSIError` for inputs that cannot be
scored; ``score_many`` never raises for one input: failures become results with ``error`` set, so a
batch keeps every finished item.
"""
from __future__ import annotations

import dataclasses
import functools
import math
import os
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable, Iterator

import numpy as np

from msi.constants import CROP_SIZE, MOUTH_WIDTH_FRAMES, MOUTH_WIDTH_RATIO, PAPER_FPS
from msi.errors import MSIError, NoFace, UnreadableVideo
from msi.io.landmarks import is_landmark_file, load_landmark_file
from msi.io.remote import display_path, is_url  # plain string work: fsspec loads only for a URL
from msi.metrics.stability import MSIValues, frame_valid, msi_from_landmarks, mouth_width, to_frame_rate
from msi.regions import REGIONS, get_scheme
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
    face: str = "largest"  # which face is followed when there are several (msi.tracking.identity)
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


class Deferred:
    """A value to build on first use (see :class:`_BuiltOnUse`): ``Deferred(fn)``, ``fn()`` builds it."""

    __slots__ = ("build",)

    def __init__(self, build) -> None:
        self.build = build


class _BuiltOnUse:
    """Dataclass field descriptor: holds a value or a :class:`Deferred`, built (once) when read.
    The timeline DataFrame is built only when someone reads it, so a score that is not asked
    for its timeline never imports pandas (about 0.3 s per process)."""

    def __set_name__(self, owner, name: str) -> None:
        self.attr = f"_{name}_value"

    def __get__(self, obj, owner=None):
        if obj is None:
            return None  # the dataclass default
        value = obj.__dict__.get(self.attr)
        if isinstance(value, Deferred):
            value = obj.__dict__[self.attr] = value.build()
        return value

    def __set__(self, obj, value) -> None:
        obj.__dict__[self.attr] = value


@dataclass
class ScoreResult:
    path: str
    msi_lip: float = float("nan")
    msi_jaw: float = float("nan")
    frames: int = 0
    fps: float = float("nan")
    fps_used: float = float("nan")  # after --resample-fps
    face_coverage: float = float("nan")
    mouth_motion: float = float("nan")  # std of the lip opening, mouth widths (msi.metrics.motion)
    hf_lip: float = float("nan")  # hf variant of MSI (msi.metrics.variants), only with Settings(variant="hf")
    hf_jaw: float = float("nan")
    windows_used: int = 0
    windows_skipped: int = 0
    tracker: str = ""
    settings: dict = field(default_factory=dict)
    error: str | None = None
    error_kind: str | None = None
    warnings: list[str] = field(default_factory=list)
    stats: dict = field(default_factory=dict)
    cached: bool = False
    rotation: int = 0  # degrees clockwise the frames were turned (display matrix) before tracking
    decode_errors: int = 0  # frames the decoder reported errors in (damaged stream)
    panel: str | None = None  # panel name of a comparison video (path is then "file#panel")
    panel_box: list | None = None  # [x, y, width, height] of the panel, upright frame pixels
    timeline: object = _BuiltOnUse()  # pandas.DataFrame of per-window values (built when read)

    def to_dict(self) -> dict:
        """Flat JSON-ready record (no timeline; NaN -> None)."""
        d = {f.name: getattr(self, f.name) for f in dataclasses.fields(self) if f.name not in ("timeline", "stats")}
        d.update(self.stats)
        return {k: (None if isinstance(v, float) and math.isnan(v) else v) for k, v in d.items()}


@dataclass
class Landmarks:
    landmarks: np.ndarray  # (T, N, 2|3)
    fps: float
    tracker: str
    cached: bool = False
    warnings: list[str] = field(default_factory=list)
    timestamps: np.ndarray | None = None  # (T,) frame times in seconds, when the video has them
    rotation: int = 0
    decode_errors: int = 0
    panel_box: list | None = None
    points: tuple[int, ...] | None = None  # the mediapipe478 columns of ``landmarks`` (None: all)
    spool: object = None  # the full mesh on disk (msi.io.landmark_store.Spool), when asked for

    def take_landmarks(self) -> np.ndarray:
        """The landmarks, handed over: this record lets go of them, so the one who takes them
        can free them as soon as it is done (an hour of video holds ~600 MB of landmarks)."""
        arr, self.landmarks = self.landmarks, None
        return arr


# ----------------------------------------------------------------------------- landmarks


def get_landmarks(path: str | os.PathLike, settings: Settings | None = None, cache: bool | str = True,
                  progress: bool = False, cached_only: bool = False, points: tuple[int, ...] | None = None,
                  spool_dir: str | os.PathLike | None = None) -> Landmarks | None:
    """Landmarks of a video (tracked, or read from the cache) or of a landmark file.

    ``cache``: True (default folder), False, or a cache folder. ``progress``: a per-frame bar on stderr.
    ``cached_only``: None instead of tracking a video that is not in the cache (msi.cluster's resume).
    ``points``: only these mediapipe478 columns are kept in memory (``Landmarks.points``; e.g.
    :data:`msi.regions.MP_SCORE_POINTS`, what a score reads), the full mesh goes to the cache
    block by block. ``spool_dir``: when tracking, also keep the full mesh in a spool file there
    (``Landmarks.spool``, for ``msi track``; the caller removes it).
    """
    settings = settings or Settings()
    path = str(path)
    if is_landmark_file(path):
        scheme = get_scheme(settings.scheme)
        # points: a mesh file is read for just those columns (an hour of float64 mesh is 1.2 GB)
        arr, fps, clock = load_landmark_file(path, scheme.n_points,
                                             columns=points if scheme.name == "mediapipe478" else None)
        notes = []
        if settings.landmark_fps:
            fps = settings.landmark_fps
        elif fps is None or not np.isfinite(fps):
            fps = PAPER_FPS
            notes.append(f"frame rate unknown for a landmark file: assumed {PAPER_FPS:g} fps (set it with landmark_fps=FPS)")
        # the clock `msi track` stored: scored exactly as the video was (variable rates resampled)
        return Landmarks(arr, float(fps), tracker=f"file:{scheme.name}", warnings=notes,
                         timestamps=clock.get("timestamps"), rotation=clock.get("rotation", 0),
                         points=clock.get("points"))
    if settings.scheme != "mediapipe478":
        raise MSIError(f"{path}: videos are tracked with mediapipe478; scheme={settings.scheme} is for landmark files")

    from msi.io.cache import LandmarkCache, cache_key, file_sha256
    from msi.tracking.identity import FaceFollower
    from msi.tracking.panels import split_panel_path
    from msi.io.video import DECODE_AHEAD, DecodeReport, probe, scaled_size

    file, panel = split_panel_path(path)
    remote = None
    if is_url(file):  # streamed from its store (msi.io.remote); messages show it redacted
        from msi.io.remote import RemoteSource

        file = remote = RemoteSource(file)
        path = f"{remote}#{panel}" if panel is not None else str(remote)
    info = probe(file)  # fails fast on missing/empty/non-video files
    box = _panel_box(file, panel, info, settings) if panel is not None else None
    store = LandmarkCache(cache if isinstance(cache, str) else None) if cache else None
    tkey = settings.tracker_key()
    if box is not None:
        tkey["panel"] = box.as_list()
    key = None
    if store and remote is not None:  # the content hash comes while the video streams (below)
        identity = remote.identity()
        known = store.content_of(identity) if identity else remote.content_hash()  # no strong ETag: read
        key = cache_key(known, tkey) if known else None
    elif store:
        key = cache_key(file_sha256(file), tkey)
    notes = []
    if settings.max_side and max(info.width, info.height) > settings.max_side:
        notes.append(f"{info.width}x{info.height} frames downscaled to a {settings.max_side} px long side for tracking")
    if key is not None and (hit := store.get(key, points)) is not None:
        _check_confirmed(path, hit["landmarks"], hit.get("face_confirmed"))
        return Landmarks(hit["landmarks"], hit["fps"], tracker=hit["tracker"], cached=True,
                         warnings=notes + hit.get("notes", []) + store.warnings, timestamps=hit.get("timestamps"),
                         rotation=hit.get("rotation", 0), decode_errors=hit.get("decode_errors", 0),
                         panel_box=hit.get("panel_box"), points=hit["points"],
                         spool=store.mesh(key) if spool_dir else None)
    if cached_only:
        return None
    report = DecodeReport()
    tw, th = scaled_size(info.width, info.height, settings.max_side)
    follower = FaceFollower(settings.face, (box.width * tw // info.width, box.height * th // info.height)
                            if box is not None else (tw, th))
    spool, kept = None, None  # kept: the columns lm holds (None: all 478)
    with warnings.catch_warnings(record=True):
        warnings.simplefilter("always")  # a truncated file is in the report
        if settings.crop == "image":
            if box is not None:
                raise MSIError(f"{path}: panels are scored on landmarks; the image crop protocol takes whole videos")
            lm, confirmed, crop_note = _track_cropped(file, settings, report, follower)
            notes.append(crop_note)
        elif box is not None:
            lm, confirmed = _track_panel(file, info, box, settings, report, follower)
        else:
            from msi.tracking.trackers import track_video

            # the full mesh only on disk when fewer points are kept (an hour: 620 MB in memory)
            to_disk = spool_dir or (store.spool_dir(key or "00") if store and points is not None else None)
            tracked = track_video(file, max_side=settings.max_side, max_faces=settings.max_faces,
                                  verify_face=settings.verify_face, progress=progress, tracker=settings.tracker,
                                  select=follower, report=report, prefetch=DECODE_AHEAD, points=points,
                                  spool_dir=to_disk)
            lm, confirmed, spool, kept = tracked.landmarks, tracked.face_confirmed, tracked.spool, tracked.points
            if spool is None and kept is not None and store:  # the full mesh is lost: no entry
                notes.append(f"landmark cache not written to {store.dir} ({tracked.spool_error}); scoring goes on")
                store = None
    if report.rotation:
        notes.append(f"display matrix: frames turned {report.rotation} degrees clockwise to upright before "
                     "tracking (landmarks are in the upright picture)")
    notes += report.warnings() + follower.warnings()
    if len(lm) == 0:
        if spool is not None:
            spool.remove()
        raise UnreadableVideo(f"{path}: contains no decodable frame")
    tracker = f"{tkey['tracker']}" + ("+crop256" if settings.crop == "image" else "")
    times = report.timestamps if len(report.timestamps) == len(lm) else None
    extra = {"rotation": report.rotation, "decode_errors": report.error_frames,
             "panel_box": box.as_list() if box is not None else None}
    full = spool if spool is not None else lm
    if store and key is None:  # a remote video: hashed while it streamed, now its key is known
        from msi.io.remote import as_msi_error

        try:
            content = remote.content_hash()
        except Exception as exc:  # noqa: BLE001 - the object changed, or the tail could not be read
            content = None
            notes.append(f"landmark cache not written ({as_msi_error(exc, str(remote))}); scoring goes on")
        if content is not None:
            key = cache_key(content, tkey)
            store.put_content(remote.identity(), content)
        else:
            store = None
    if store:
        from msi.regions import MP_SCORE_POINTS

        compact = lm if kept == MP_SCORE_POINTS else None  # put() takes the columns of a full array
        if kept is not None and kept != MP_SCORE_POINTS:
            compact = None if spool is None else _columns_of(spool, MP_SCORE_POINTS)
        store.put(key, full, {"fps": info.fps, "tracker": tracker, "notes": notes, "settings": tkey,
                              "face_confirmed": confirmed, **extra,
                              **({"timestamps": times} if times is not None else {})}, score_points=compact)
        notes += store.warnings
    if spool is not None and not spool_dir:
        spool.remove()  # it was only the cache's source
        spool = None
    if kept is None and points is not None:
        lm, kept = np.ascontiguousarray(lm[:, list(points)]), points
    _check_confirmed(path, lm, confirmed)
    return Landmarks(lm, info.fps, tracker=tracker, warnings=notes, timestamps=times, points=kept, spool=spool,
                     **extra)


def _columns_of(spool, points: tuple[int, ...]) -> np.ndarray:
    """Columns ``points`` of a spooled full mesh, read block by block."""
    return np.concatenate([b[:, list(points)] for b in spool.blocks()] or [np.empty((0, len(points), 3), np.float32)])


def _panel_box(file: str, panel: str, info, settings: Settings):
    from msi.tracking.panels import panel_boxes, panel_names, parse_grid

    if not settings.panels:
        raise MSIError(f"{file}#{panel}: a panel name needs a panel grid (e.g. panels=3x1)")
    cols, rows = parse_grid(settings.panels)
    names = panel_names(cols * rows, settings.panel_labels)
    if panel not in names:
        raise MSIError(f"{file}: no panel {panel!r} in a {cols}x{rows} grid (panels: {', '.join(names)})")
    return panel_boxes(info.width, info.height, cols, rows)[names.index(panel)]


def _track_panel(file: str, info, box, settings: Settings, report, follower) -> tuple[np.ndarray, bool | None]:
    """Track one panel of a comparison video: the frames (downscaled like whole videos) cropped
    to the panel; landmarks in pixels of the panel (original scale)."""
    from msi.tracking.trackers import track_frames_verified
    from msi.io.video import DECODE_AHEAD, iter_frames, scaled_size

    tw, th = scaled_size(info.width, info.height, settings.max_side)
    fx, fy = tw / info.width, th / info.height
    x0, y0 = int(round(box.x * fx)), int(round(box.y * fy))
    x1, y1 = int(round((box.x + box.width) * fx)), int(round((box.y + box.height) * fy))
    crops = (f[y0:y1, x0:x1] for f in iter_frames(file, max_side=settings.max_side, report=report,
                                                   prefetch=DECODE_AHEAD))
    lm, confirmed = track_frames_verified(crops, verify_face=settings.verify_face, tracker=settings.tracker,
                                          max_faces=settings.max_faces, select=follower,
                                          capacity=(info.n_frames or 0) + 8)
    if (fx, fy) != (1.0, 1.0):
        lm[..., 0] /= fx
        lm[..., 1] /= fy
        lm[..., 2] /= fx
    return lm, confirmed


def _check_confirmed(path: str, lm: np.ndarray, confirmed: bool | None) -> None:
    if confirmed is False:
        n = int(frame_valid(lm).sum())
        if n == 0:
            raise NoFace(f"{path}: no face found in any of {len(lm)} frames")
        raise NoFace(
            f"{path}: no human face (the tracker followed a face-like shape in {n}/{len(lm)} frames, "
            "the face detector was confident in too few; verify_face=False to score it anyway)"
        )


def _track_cropped(path: str, settings: Settings, report=None,
                   select=None) -> tuple[np.ndarray, bool | None, str]:
    """The paper's literal protocol: a fixed box of 4 mouth widths around the mouth of the
    first frames, every frame cropped with it, resized to 256x256 and tracked on the crop."""
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

    from msi.tracking.trackers import track_frames_verified

    lm, confirmed = track_frames_verified(crops(), verify_face=settings.verify_face, max_faces=settings.max_faces,
                                          tracker=settings.tracker, select=select)
    return lm, confirmed, f"crop box {side:.1f} px at ({x0:.1f}, {y0:.1f}) resized to {CROP_SIZE}x{CROP_SIZE}"


# ----------------------------------------------------------------------------- scoring


def score_landmarks(landmarks: np.ndarray, fps: float, settings: Settings | None = None,
                    path: str = "<array>", timestamps: np.ndarray | None = None,
                    points: tuple[int, ...] | None = None) -> ScoreResult:
    """Score a landmark array (T, N, 2|3) taken at ``fps``. ``points``: the scheme's point
    indices the array's columns hold, when it holds only some (``Landmarks.points``; they must
    include every point a score reads, :data:`msi.regions.MP_SCORE_POINTS`).

    With ``timestamps`` (seconds per frame), frames that are not equally spaced (variable frame
    rate, gaps, repeated timestamps) are first resampled by time to a constant rate
    (:mod:`msi.io.timestamps`); equally spaced frames are used as they are.
    """
    settings = settings or Settings()
    scheme = get_scheme(settings.scheme)
    arr, sch, pair = _points_read(landmarks, scheme, points)
    hf_in = None
    if settings.variant == "hf" and pair is not None:  # pair None: not a landmark array (reported below)
        from msi.metrics.variants import points_subset

        hf_in = points_subset(landmarks, scheme, columns=points)
    del landmarks  # the full array is freed here when the caller handed it over (score_video does)
    n_frames = int(arr.shape[0]) if arr.ndim else 0
    used_idx = sorted(set(sch.lip) | set(sch.jaw) | set(sch.mouth_corners))
    valid = frame_valid(arr, used_idx) if arr.ndim == 3 else np.zeros(n_frames, bool)
    result = ScoreResult(path=path, frames=n_frames, fps=float(fps), settings=dataclasses.asdict(settings))
    fps_used = float(fps)
    timing = None
    if timestamps is not None and arr.ndim == 3 and len(timestamps) == n_frames:
        from msi.io.timestamps import analyse_timestamps, resample_by_time

        timing = analyse_timestamps(timestamps, fps)
        if not timing.regular:
            timing.fps = float(settings.resample_fps or timing.fps)
            arr, fps_used = resample_by_time(arr, timestamps, timing.fps), timing.fps
            result.warnings += timing.warnings()
    if arr.ndim == 3 and (timing is None or timing.regular) and settings.resample_fps \
            and not math.isclose(fps, settings.resample_fps):  # (unchanged otherwise: no float64 copy)
        arr, fps_used = to_frame_rate(arr, fps, settings.resample_fps)
    values = msi_from_landmarks(
        arr, sch, compat=settings.compat, normalise=settings.crop != "image",
        mouth_width_frames=settings.mouth_width_frames,
    )
    if values.frames_too_large:  # the same frames left out of mouth motion, hf and the stats
        from msi.metrics.stability import too_large_frames

        arr = arr.copy()  # arr may be a view of the caller's array
        arr[too_large_frames(arr)] = np.nan
        result.warnings.append(values.too_large_note())
    result.fps_used = fps_used
    result.face_coverage = float(valid.mean()) if n_frames else float("nan")
    result.msi_lip, result.msi_jaw = values.msi_lip, values.msi_jaw
    result.windows_used, result.windows_skipped = values.windows_used, values.windows_skipped
    if hf_in is not None:
        from msi.metrics.variants import msi_hf

        pts, hsch, stable = hf_in
        if values.frames_too_large:
            from msi.metrics.stability import too_large_frames

            pts[too_large_frames(pts)] = np.nan
        if timing is not None and not timing.regular:
            pts = resample_by_time(pts, timestamps, timing.fps)
        else:
            pts, _ = to_frame_rate(pts, fps, settings.resample_fps)
        hf = msi_hf(pts, hsch, stable=stable, mouth_width_frames=settings.mouth_width_frames)
        result.hf_lip, result.hf_jaw = hf["lip"], hf["jaw"]
    from msi.metrics.motion import low_motion_warning, mouth_opening, opening_std, window_mouth_motion

    opening = mouth_opening(arr, sch, pair=pair)  # median mouth width: not the first frames' expression
    result.mouth_motion = opening_std(opening)
    result.timeline = Deferred(functools.partial(
        timeline_frame, values, fps_used,
        {"mouth_motion": window_mouth_motion(opening, values.window_starts, values.window_lengths)}))
    if values.windows_used == 0:
        raise NoFace(
            f"no window of {values.settings['window']} accelerations has a face in all its frames "
            f"(face in {valid.sum()}/{n_frames} frames)"
        )
    if not math.isclose(fps_used, PAPER_FPS, rel_tol=1e-3):
        result.warnings.append(
            f"MSI depends on frame rate: {fps_used:.3g} fps, the paper's numbers are at {PAPER_FPS:g} fps "
            f"(resample_fps={PAPER_FPS:g} to compare)"
        )
    if (low := low_motion_warning(result.mouth_motion)) is not None:
        result.warnings.append(low)
    if result.face_coverage < 1:
        result.warnings.append(
            f"face found in {valid.sum()}/{n_frames} frames ({100 * result.face_coverage:.0f}%): "
            f"scored on {values.windows_used} windows, {values.windows_skipped} skipped"
        )
    if settings.stats:
        from msi.metrics.baselines import region_stats  # Table IV's plain statistics

        result.stats = region_stats(np.asarray(arr[..., :2], dtype=np.float64) * values.scale, fps_used,
                                    {r: sch.region(r) for r in REGIONS})
    return result


def _points_read(landmarks: np.ndarray, scheme, points: tuple[int, ...] | None = None):
    """x, y of the points a score reads, and the scheme renumbered for the array's columns.

    Memory: a float32 or float64 array is used in place (a view of its x, y: no copy of an hour
    of landmarks); every computation converts the columns it reads to float64 first, so scores
    are the numbers of converting everything. Other dtypes (integers) become float64 copies of
    just the points read. Arrays that are not (T, N, 2|3) go through unchanged, for
    check_landmarks to report.
    """
    from msi.metrics.stability import check_landmarks
    from msi.regions import LIP_OPENING

    arr = np.asarray(landmarks)
    if arr.ndim != 3 or arr.shape[2] not in (2, 3) or not np.issubdtype(arr.dtype, np.number):
        return np.asarray(arr, dtype=np.float64), scheme, None
    if points is None:
        check_landmarks(arr[:1], scheme)  # wrong point count: the scheme's own message
    pair = LIP_OPENING.get(scheme.name)
    idx = sorted(set(scheme.lip) | set(scheme.jaw) | set(scheme.mouth_corners) | set(pair or ()))
    if arr.dtype in (np.float32, np.float64):  # in place: the scheme's indices mapped to the columns
        col = {p: k for k, p in enumerate(points)} if points is not None else {p: p for p in idx}
        n = arr.shape[1]
    else:
        col = {p: k for k, p in enumerate(idx)}
        src = {p: k for k, p in enumerate(points)} if points is not None else {p: p for p in idx}
        arr = np.asarray(arr[:, [src[p] for p in idx]], dtype=np.float64)
        n = len(idx)
    sub = dataclasses.replace(scheme, n_points=n, lip=tuple(col[p] for p in scheme.lip),
                              jaw=tuple(col[p] for p in scheme.jaw),
                              mouth_corners=tuple(col[p] for p in scheme.mouth_corners))
    return arr[:, :, :2], sub, (col[pair[0]], col[pair[1]]) if pair else None




def timeline_frame(values: MSIValues, fps: float, extra: dict | None = None):
    """Per-window values as a DataFrame: which frames and seconds each window covers."""
    import pandas as pd

    starts, lengths = values.window_starts, values.window_lengths
    end = starts + lengths + 1  # accelerations s..s+n-1 use frames s..s+n+1 (inclusive)
    df = pd.DataFrame({
        "window": np.arange(len(starts)),
        "start_frame": starts,
        "end_frame": end,
        "start_s": starts / fps,
        "end_s": (end + 1) / fps,
        "accelerations": lengths,
        **{f"msi_{r}": values.window_values[r] for r in REGIONS},
    })
    df["skipped"] = ~np.isfinite(df["msi_lip"].to_numpy())
    for name, column in (extra or {}).items():  # e.g. mouth_motion per window (msi.metrics.motion)
        df[name] = column
    return df


def score_video(path: str | os.PathLike, settings: Settings | None = None, cache: bool | str = True,
                progress: bool = False) -> ScoreResult:
    """MSI-Lip and MSI-Jaw of one video (or landmark file). Raises :class:`MSIError` on failure.

    >>> r = score_video("talking.mp4")              # doctest: +SKIP
    >>> r.msi_lip, r.msi_jaw, r.face_coverage       # doctest: +SKIP
    """
    settings = settings or Settings()
    from msi.regions import MP_SCORE_POINTS

    # videos: only the points a score reads are held (an hour of the full mesh is 620 MB)
    lm = get_landmarks(path, settings, cache=cache, progress=progress,
                       points=MP_SCORE_POINTS if settings.scheme == "mediapipe478" else None)
    result = score_landmarks(lm.take_landmarks(), lm.fps, settings, path=display_path(path),
                             timestamps=lm.timestamps, points=lm.points)
    result.tracker, result.cached = lm.tracker, lm.cached
    result.rotation, result.decode_errors, result.panel_box = lm.rotation, lm.decode_errors, lm.panel_box
    if lm.panel_box is not None:
        from msi.tracking.panels import split_panel_path

        result.panel = split_panel_path(str(path))[1]
    result.warnings = lm.warnings + result.warnings
    return result


def _score_one(args: tuple) -> ScoreResult:
    path, settings, cache, progress = args
    shown = display_path(path)  # a URL without its userinfo and query string
    try:
        return score_video(path, settings, cache, progress)
    except MSIError as exc:
        msg = str(exc)
        for p in (str(path), shown):
            msg = msg[len(p) + 2:] if msg.startswith(f"{p}: ") else msg  # the path is its own field
        from msi.tracking.panels import split_panel_path

        return ScoreResult(path=shown, error=_redacted(msg, path), error_kind=exc.kind,
                           panel=split_panel_path(str(path))[1], settings=dataclasses.asdict(settings))
    except Exception as exc:  # a batch never dies on one input; the message stays one line
        msg = str(exc).splitlines()[0] if str(exc) else ""
        return ScoreResult(path=shown, error=_redacted(f"unexpected {type(exc).__name__}: {msg}", path),
                           error_kind="internal", settings=dataclasses.asdict(settings))


def _redacted(msg: str, path) -> str:
    """``msg`` with no URL credentials in it (for the row of a URL input)."""
    if not is_url(str(path)):
        return msg
    from msi.io.remote import redact_text

    return redact_text(msg.replace(str(path), display_path(path)))


def score_many(paths: Iterable[str], settings: Settings | None = None, workers: int = 1,
               cache: bool | str = True, progress: bool = False) -> Iterator[ScoreResult]:
    """Score many inputs; yields each result as it finishes (order of completion). Never raises
    for one input: its result carries ``error``. ``progress``: per-frame bars (one worker only).
    On a Dask cluster: :func:`msi.cluster.score_cluster` (same results)."""
    settings = settings or Settings()
    from msi.tracking.panels import expand_panels

    paths = expand_panels([str(p) for p in paths], settings.panels, settings.panel_labels)  # file#panel
    jobs = [(str(p), settings, cache, progress and workers <= 1) for p in paths]
    from msi.parallel import imap_jobs

    yield from imap_jobs(_score_one, jobs, workers)


# ----------------------------------------------------------------------------- inputs


def expand_inputs(items: Iterable[str]) -> list[str]:
    """Files, folders (recursively: video files) and globs -> a sorted, de-duplicated list.
    fsspec URLs (``s3://bucket/prefix/``, ``s3://bucket/*.mp4``, ``https://...``) expand on their
    store the same way (:func:`msi.io.remote.expand_url`). The one input expansion of every
    command (``msi score``, ``msi report``).

    A path that does not exist is kept, so it is reported as an error in its place.
    """
    import glob

    from msi.io.video import VIDEO_EXTENSIONS

    out: list[str] = []
    for item in items:
        if is_url(item):  # a bucket prefix, a glob on the store, or one object (msi.io.remote)
            from msi.io.remote import expand_url

            out += expand_url(item, VIDEO_EXTENSIONS)
            continue
        p = Path(item)
        if p.is_dir():
            found = sorted(str(f) for f in p.rglob("*") if f.is_file() and f.suffix.lower() in VIDEO_EXTENSIONS)
            out += found
        elif not p.exists() and any(c in item for c in "*?["):
            out += sorted(glob.glob(item, recursive=True))
        else:
            out.append(item)
    seen, unique = set(), []
    for x in out:
        if x not in seen:
            seen.add(x)
            unique.append(x)
    return unique

"""Landmarks of one input, acquired in four steps, each taking what the one before produced:
(1) the source resolved (a landmark file, a file, a URL, one panel of a comparison grid) and its
video opened (:func:`msi.io.video.open_video`: probed, nothing decoded yet); (2) looked up in the
landmark cache; (3) tracked by a strategy (whole frames, one panel, or the paper's crop,
:mod:`msi.tracking.paper_crop`), which chooses the frames; every strategy runs them through the
same pass: every face of each frame (:class:`msi.tracking.trackers.FaceDetections`), the face
followed (:class:`msi.tracking.face_choice.FollowedFace`), the rows collected
(:func:`msi.io.landmark_store.collect`); (4) stored in the cache. What a step found (the decode's
timestamps and notes, the follower's notes, the face check's verdict) is handed on as data.

:func:`get_landmarks` is the one way every command gets landmarks; scoring them is
:mod:`msi.score`'s job. Raises :class:`msi.errors.MSIError` for inputs that cannot be read.
"""
from __future__ import annotations

import os
import sys
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from msi.constants import PAPER_FPS
from msi.errors import MSIError, NoFace, UnreadableVideo
from msi.io.landmarks import is_landmark_file, load_landmark_file
from msi.io.remote import display_path, is_url  # plain string work: fsspec loads only for a URL
from msi.metrics.stability import frame_valid
from msi.regions import get_scheme
from msi.settings import Settings


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
    path: str = ""  # the input as results and messages show it (a URL redacted, with its #panel)
    panel: str | None = None  # the panel's name, for one panel of a comparison video

    def take_landmarks(self) -> np.ndarray:
        """The landmarks, handed over: this record lets go of them, so the one who takes them
        can free them as soon as it is done (an hour of video holds ~600 MB of landmarks)."""
        arr, self.landmarks = self.landmarks, None
        return arr


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
    if is_landmark_file(str(path)):
        return read_landmark_file(str(path), settings, points)
    source = resolve_video(str(path), settings)
    entry = cache_entry(source, settings, cache)
    if (hit := entry.lookup(source, points, spool_dir)) is not None or cached_only:
        return hit
    tracked = track_source(source, settings, entry, progress, points, spool_dir)
    return store_tracked(tracked, source, entry, settings, points, spool_dir)


# ----------------------------------------------------------------------------- 1. the source


def read_landmark_file(path: str, settings: Settings, points: tuple[int, ...] | None) -> Landmarks:
    """A landmark file's landmarks, with the clock ``msi track`` stored (scored exactly as the
    video was: variable rates resampled); a file without a frame rate is taken at 25 fps, said."""
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
    return Landmarks(arr, float(fps), tracker=f"file:{scheme.name}", warnings=notes,
                     timestamps=clock.get("timestamps"), rotation=clock.get("rotation", 0),
                     points=clock.get("points"), path=display_path(path))


@dataclass
class VideoSource:
    """A video to track, resolved: a local file or a streamed URL, maybe one panel of a grid,
    probed and set up for one pass over its frames (nothing decoded yet)."""

    path: str  # as results and messages show it (a URL redacted, with its #panel)
    file: object  # a local path as given, or the msi.io.remote.RemoteSource it streams from
    remote: object  # that RemoteSource, or None
    video: object  # msi.io.video.OpenVideo: the probe, the size the tracker sees, the report; its frames
    box: object  # the panel's msi.tracking.panels box, or None for whole frames
    panel: str | None  # the panel's name
    notes: list[str]  # what the reader already knows to say (downscaling)


def resolve_video(path: str, settings: Settings) -> VideoSource:
    """A video path (a file or URL, ``#panel`` for one panel of a grid) to what tracking reads;
    fails fast on missing, empty and non-video files."""
    if settings.scheme != "mediapipe478":
        raise MSIError(f"{path}: videos are tracked with mediapipe478; scheme={settings.scheme} is for landmark files")
    from msi.io.video import DECODE_AHEAD, open_video
    from msi.tracking.panels import split_panel_path

    file, panel = split_panel_path(path)
    remote = None
    if is_url(file):  # streamed from its store (msi.io.remote); messages show it redacted
        from msi.io.remote import RemoteSource

        file = remote = RemoteSource(file)
        path = f"{remote}#{panel}" if panel is not None else str(remote)
    # decoded ahead in a thread while the tracker works; a Path is a local file (no URL check again)
    video = open_video(remote if remote is not None else Path(file), settings.max_side, prefetch=DECODE_AHEAD)
    info = video.info
    box = _panel_box(file, panel, info, settings) if panel is not None else None
    notes = []
    if settings.max_side and max(info.width, info.height) > settings.max_side:
        notes.append(f"{info.width}x{info.height} frames downscaled to a {settings.max_side} px long side for tracking")
    return VideoSource(path, file, remote, video, box, panel, notes)


# ----------------------------------------------------------------------------- 2. the cache


@dataclass
class CacheEntry:
    """Where a video's landmarks are cached: the cache (None: not used), the tracker settings
    that are part of the key, and the key (None until a streamed video's content is hashed)."""

    store: object  # msi.io.cache.LandmarkCache or None
    settings: dict
    key: str | None

    def lookup(self, source: VideoSource, points: tuple[int, ...] | None, spool_dir) -> Landmarks | None:
        """The cached landmarks, or None on a miss."""
        if self.key is None or (hit := self.store.get(self.key, points)) is None:
            return None
        _check_confirmed(source.path, hit["landmarks"], hit.get("face_confirmed"))
        return Landmarks(hit["landmarks"], hit["fps"], tracker=hit["tracker"], cached=True,
                         warnings=source.notes + hit.get("notes", []) + self.store.warnings,
                         timestamps=hit.get("timestamps"), rotation=hit.get("rotation", 0),
                         decode_errors=hit.get("decode_errors", 0), panel_box=hit.get("panel_box"),
                         points=hit["points"], spool=self.store.mesh(self.key) if spool_dir else None,
                         path=source.path, panel=source.panel)


def cache_entry(source: VideoSource, settings: Settings, cache: bool | str) -> CacheEntry:
    """The cache entry of a video: its key from the file's hash and the tracker settings. A
    streamed video is keyed by its store's identity (a strong ETag) when the cache knows it,
    otherwise by its content, hashed while it streams (:func:`store_tracked`)."""
    from msi.io.cache import LandmarkCache, cache_key, sha256_of

    if not cache:
        return CacheEntry(None, {}, None)  # no key to compute
    store = LandmarkCache(cache if isinstance(cache, str) else None)
    tkey = settings.tracker_key()
    if source.box is not None:
        tkey["panel"] = source.box.as_list()
    key = None
    if source.remote is not None:
        identity = source.remote.identity()
        known = store.content_of(identity) if identity else source.remote.content_hash()  # no strong ETag: read
        key = cache_key(known, tkey) if known else None
    else:
        key = cache_key(sha256_of(source.file), tkey)
    return CacheEntry(store, tkey, key)


# ----------------------------------------------------------------------------- 3. tracking


@dataclass
class Tracked:
    """What a tracking strategy gives back."""

    landmarks: np.ndarray
    confirmed: bool | None  # the face detector agreed it is a face (None: not asked)
    tracker: str  # the tracker's identity (name and version)
    face_notes: list[str]  # what the face follower has to say
    notes: list[str] = field(default_factory=list)  # everything said, in order (track_source)
    spool: object = None  # the full mesh on disk
    kept: tuple[int, ...] | None = None  # the columns ``landmarks`` holds (None: all 478)
    cache_lost: bool = False  # the full mesh could not be kept: no cache entry


def track_source(source: VideoSource, settings: Settings, entry: CacheEntry, progress: bool,
                 points: tuple[int, ...] | None, spool_dir) -> Tracked:
    """The tracking strategy the settings ask for: the paper's crop (``crop="image"``), one panel
    of a grid, or whole frames; landmarks in the video's pixels."""
    video, box = source.video, source.box
    report = video.report
    notes = list(source.notes)
    with warnings.catch_warnings(record=True):
        warnings.simplefilter("always")  # a truncated file is in the report
        if settings.crop == "image":
            if box is not None:
                raise MSIError(f"{source.path}: panels are scored on landmarks; the image crop protocol takes whole videos")
            from msi.tracking.paper_crop import paper_crop_frames

            crops, crop_note = paper_crop_frames(source.file, settings, report)
            notes.append(crop_note)
            tracked, _ = _track(crops, settings, video.size)
        elif box is not None:
            tracked = _track_panel(video, box, settings)
        else:
            tracked = _track_whole(source, settings, entry, progress, points, spool_dir, notes)
    if report.rotation:
        notes.append(f"display matrix: frames turned {report.rotation} degrees clockwise to upright before "
                     "tracking (landmarks are in the upright picture)")
    tracked.notes = notes + report.notes + tracked.face_notes
    if len(tracked.landmarks) == 0:
        if tracked.spool is not None:
            tracked.spool.remove()
        raise UnreadableVideo(f"{source.path}: contains no decodable frame")
    return tracked


def _track(frames, settings: Settings, frame_size: tuple[int, int], **store) -> tuple[Tracked, str | None]:
    """What every strategy runs on its frames: every face of each frame (the tracker, and the
    human-face check), the face followed through them (:mod:`msi.tracking.face_choice`), collected
    frame by frame (``store``: :func:`msi.io.landmark_store.collect`'s arguments). Also why the
    full mesh is not on disk, when it was asked for and is not."""
    from msi.io.landmark_store import collect
    from msi.tracking.face_choice import FollowedFace
    from msi.tracking.trackers import N_POINTS, FaceDetections

    faces = FaceDetections(frames, settings.tracker, settings.max_faces, settings.verify_face)
    followed = FollowedFace(faces, settings.face, frame_size)
    got = collect(followed, N_POINTS, **store)
    return Tracked(got.landmarks, faces.confirmed, faces.identity, followed.notes, spool=got.spool,
                   kept=got.points), got.spool_error


def _track_whole(source: VideoSource, settings: Settings, entry: CacheEntry, progress: bool,
                 points: tuple[int, ...] | None, spool_dir, notes: list[str]) -> Tracked:
    """Whole frames; the full mesh only on disk when fewer points are kept (an hour: 620 MB in memory)."""
    video, store = source.video, entry.store
    info, (tw, th) = video.info, video.size
    frames = video
    if progress:
        from tqdm import tqdm

        frames = tqdm(frames, total=info.n_frames or None, unit="frame", desc=os.path.basename(str(source.file)),
                      leave=False, file=sys.stderr, dynamic_ncols=True, disable=None)  # None: tty only
    to_disk = spool_dir or (store.spool_dir(entry.key or "00") if store and points is not None else None)
    scale = None if (tw, th) == (info.width, info.height) else (info.width / tw, info.height / th, info.width / tw)
    tracked, spool_error = _track(frames, settings, (tw, th), points=points, capacity=(info.n_frames or 0) + 8,
                                  spool_dir=to_disk, scale=scale)
    tracked.cache_lost = tracked.spool is None and tracked.kept is not None and bool(store)
    if tracked.cache_lost:
        notes.append(f"landmark cache not written to {store.dir} ({spool_error}); scoring goes on")
    return tracked


# ----------------------------------------------------------------------------- 4. the store


def store_tracked(tracked: Tracked, source: VideoSource, entry: CacheEntry, settings: Settings,
                  points: tuple[int, ...] | None, spool_dir) -> Landmarks:
    """Cache what was tracked (a write that fails is a warning), and hand it over."""
    lm, spool, kept, notes, report = tracked.landmarks, tracked.spool, tracked.kept, tracked.notes, source.video.report
    store = None if tracked.cache_lost else entry.store
    tracker = tracked.tracker + ("+crop256" if settings.crop == "image" else "")
    times = report.timestamps if len(report.timestamps) == len(lm) else None
    extra = {"rotation": report.rotation, "decode_errors": report.error_frames,
             "panel_box": source.box.as_list() if source.box is not None else None}
    key = entry.key
    if store and key is None:  # a remote video: hashed while it streamed, now its key is known
        key = _streamed_key(source.remote, store, entry.settings, notes)
        store = store if key is not None else None
    if store:
        from msi.regions import MP_SCORE_POINTS

        compact = lm if kept == MP_SCORE_POINTS else None  # put() takes the columns of a full array
        if kept is not None and kept != MP_SCORE_POINTS:
            compact = None if spool is None else _columns_of(spool, MP_SCORE_POINTS)
        store.put(key, spool if spool is not None else lm,
                  {"fps": source.video.info.fps, "tracker": tracker, "notes": notes, "settings": entry.settings,
                   "face_confirmed": tracked.confirmed, **extra, **({"timestamps": times} if times is not None else {})},
                  score_points=compact)
        notes += store.warnings
    if spool is not None and not spool_dir:
        spool.remove()  # it was only the cache's source
        spool = None
    if kept is None and points is not None:
        lm, kept = np.ascontiguousarray(lm[:, list(points)]), points
    _check_confirmed(source.path, lm, tracked.confirmed)
    return Landmarks(lm, source.video.info.fps, tracker=tracker, warnings=notes, timestamps=times, points=kept,
                     spool=spool, path=source.path, panel=source.panel, **extra)


def _streamed_key(remote, store, tkey: dict, notes: list[str]) -> str | None:
    """A streamed video's cache key from the content hashed while it streamed (None, said in
    ``notes``, when the object changed or its tail could not be read)."""
    from msi.io.cache import cache_key
    from msi.io.remote import as_msi_error

    try:
        content = remote.content_hash()
    except Exception as exc:  # noqa: BLE001 - the object changed, or the tail could not be read
        notes.append(f"landmark cache not written ({as_msi_error(exc, str(remote))}); scoring goes on")
        return None
    store.put_content(remote.identity(), content)
    return cache_key(content, tkey)


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


def _track_panel(video, box, settings: Settings) -> Tracked:
    """Track one panel of a comparison video: the frames (downscaled like whole videos) cropped
    to the panel; landmarks in pixels of the panel (original scale)."""
    info, (tw, th) = video.info, video.size
    fx, fy = tw / info.width, th / info.height
    x0, y0 = int(round(box.x * fx)), int(round(box.y * fy))
    x1, y1 = int(round((box.x + box.width) * fx)), int(round((box.y + box.height) * fy))
    crops = (f[y0:y1, x0:x1] for f in video)
    tracked, _ = _track(crops, settings, (box.width * tw // info.width, box.height * th // info.height),
                        capacity=(info.n_frames or 0) + 8)
    if (fx, fy) != (1.0, 1.0):
        lm = tracked.landmarks
        lm[..., 0] /= fx
        lm[..., 1] /= fy
        lm[..., 2] /= fx
    return tracked


def _check_confirmed(path: str, lm: np.ndarray, confirmed: bool | None) -> None:
    if confirmed is False:
        n = int(frame_valid(lm).sum())
        if n == 0:
            raise NoFace(f"{path}: no face found in any of {len(lm)} frames")
        raise NoFace(
            f"{path}: no human face (the tracker followed a face-like shape in {n}/{len(lm)} frames, "
            "the face detector was confident in too few; verify_face=False to score it anyway)"
        )

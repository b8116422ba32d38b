"""Landmarks of one input, acquired: read from a landmark file, or from the landmark cache, or
tracked (whole frames, one panel of a comparison grid, or the paper's crop,
:mod:`msi.tracking.paper_crop`) and then cached.

:func:`get_landmarks` is the one way every command gets landmarks; scoring them is
:mod:`msi.score`'s job. Raises :class:`msi.errors.MSIError` for inputs that cannot be read.
"""
from __future__ import annotations

import os
import warnings
from dataclasses import dataclass, field

import numpy as np

from msi.constants import PAPER_FPS
from msi.errors import MSIError, NoFace, UnreadableVideo
from msi.io.landmarks import is_landmark_file, load_landmark_file
from msi.io.remote import is_url  # plain string work: fsspec loads only for a URL
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
    from msi.tracking.face_choice import FaceFollower
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
            from msi.tracking.paper_crop import track_paper_crop

            lm, confirmed, crop_note = track_paper_crop(file, settings, report, follower)
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

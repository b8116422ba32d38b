"""Scoring: landmarks (acquired by :mod:`msi.acquire`) -> :mod:`msi.metrics.stability` -> a result record.

``score_video`` / ``score_landmarks`` raise :class:`msi.errors.MSIError` for inputs that cannot be
scored; ``score_many`` never raises for one input: failures become results with ``error`` set, so a
batch keeps every finished item.
"""
from __future__ import annotations

import dataclasses
import functools
import math
import os
from dataclasses import dataclass, field
from typing import Iterable, Iterator

import numpy as np

from msi.acquire import get_landmarks
from msi.constants import PAPER_FPS
from msi.errors import MSIError, NoFace
from msi.io.remote import display_path, is_url  # plain string work: fsspec loads only for a URL
from msi.metrics.resampling import to_frame_rate
from msi.metrics.stability import MSIValues, frame_valid, msi_from_landmarks
from msi.regions import REGIONS, get_scheme
from msi.settings import Settings


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
    mouth_motion: float = float("nan")  # std of the lip opening, mouth widths (msi.metrics.mouth_motion)
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
    declared_generated: bool | None = None  # C2PA manifest, frame or audio mark says AI-generated (msi.provenance)
    timeline: object = _BuiltOnUse()  # pandas.DataFrame of per-window values (built when read)

    def to_dict(self) -> dict:
        """Flat JSON-ready record (no timeline; NaN -> None)."""
        d = {f.name: getattr(self, f.name) for f in dataclasses.fields(self) if f.name not in ("timeline", "stats")}
        d.update(self.stats)
        return {k: (None if isinstance(v, float) and math.isnan(v) else v) for k, v in d.items()}


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
    result.msi_lip, result.msi_jaw = values.msi["lip"], values.msi["jaw"]
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
    from msi.metrics.mouth_motion import scored_mouth_motion

    # median mouth width: not the first frames' expression
    result.mouth_motion, per_window, low = scored_mouth_motion(arr, sch, pair, values.window_starts,
                                                               values.window_lengths)
    result.timeline = Deferred(functools.partial(timeline_frame, values, fps_used, {"mouth_motion": per_window}))
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
    if low is not None:
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
    for name, column in (extra or {}).items():  # e.g. mouth_motion per window (msi.metrics.mouth_motion)
        df[name] = column
    return df


def score_video(path: str | os.PathLike, settings: Settings | None = None, cache: bool | str = True,
                progress: bool = False) -> ScoreResult:
    """MSI-Lip and MSI-Jaw of one video (or landmark file). Raises :class:`MSIError` on failure.

    >>> r = score_video("talking.mp4")              # doctest: +SKIP
    >>> r.msi_lip, r.msi_jaw, r.face_coverage       # doctest: +SKIP
    """
    settings = settings or Settings()
    from msi.io.feature_store import FeatureCache, cached_flag
    from msi.io.landmarks import is_landmark_file
    from msi.provenance.declared import declared_generated, declared_key
    from msi.regions import MP_SCORE_POINTS

    # videos: only the points a score reads are held (an hour of the full mesh is 620 MB)
    lm = get_landmarks(path, settings, cache=cache, progress=progress,
                       points=MP_SCORE_POINTS if settings.scheme == "mediapipe478" else None)
    result = score_landmarks(lm.take_landmarks(), lm.fps, settings, path=lm.path,
                             timestamps=lm.timestamps, points=lm.points)
    result.tracker, result.cached, result.panel = lm.tracker, lm.cached, lm.panel
    result.rotation, result.decode_errors, result.panel_box = lm.rotation, lm.decode_errors, lm.panel_box
    result.warnings = lm.warnings + result.warnings
    # read once per video and kept beside its landmarks (the entry msi compare reads too): on a
    # cached rerun the marks' decode would otherwise be most of the time
    store = FeatureCache(cache) if cache and not is_landmark_file(path) else None
    result.declared_generated = cached_flag(store, path, declared_key(), lambda: declared_generated(path),
                                            result.warnings)
    return result


def _score_one(args: tuple) -> ScoreResult:
    path, settings, cache, progress = args
    try:
        return score_video(path, settings, cache, progress)
    except MSIError as exc:
        shown = display_path(path)  # a URL without its userinfo and query string
        msg = str(exc)
        for p in (str(path), shown):
            msg = msg[len(p) + 2:] if msg.startswith(f"{p}: ") else msg  # the path is its own field
        from msi.tracking.panels import split_panel_path

        return ScoreResult(path=shown, error=_redacted(msg, path), error_kind=exc.kind,
                           panel=split_panel_path(str(path))[1], settings=dataclasses.asdict(settings))
    except Exception as exc:  # a batch never dies on one input; the message stays one line
        msg = str(exc).splitlines()[0] if str(exc) else ""
        return ScoreResult(path=display_path(path), error=_redacted(f"unexpected {type(exc).__name__}: {msg}", path),
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

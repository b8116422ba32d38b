"""What the report shows of one video, computed in one worker: its per-window MSI timeline and
worst windows, its mouth-opening trace, its vertical-slice strip and its browser preview.

The landmarks come from ``msi score``'s cache (``msi compare`` filled it), so a report after a
compare tracks nothing again. The video is decoded once: the slice column of every frame is
taken and, when the browser cannot play the file as it is, the preview is encoded in the same
pass. :func:`video_assets` never raises: each step that fails leaves its reason in the record.
"""
from __future__ import annotations

import math
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

#: Worst windows listed per video (lowest mean of MSI-Lip and MSI-Jaw, not overlapping).
WORST_WINDOWS = 3
#: Frames with a face whose lip landmarks place the slice's vertical line (as ``msi slice-plot``).
LINE_FRAMES = 5


@dataclass(frozen=True)
class VideoJob:
    key: str  # file stem of this video's assets (unique in the report)
    path: str
    root: str  # the report folder being written (a temporary folder)
    final_root: str  # where it will be renamed to: linked videos are relative to its pages
    settings: object  # msi.settings.Settings
    cache: bool | str = True
    preview_side: int = 256
    portable: bool = False  # transcode every video (no links out of the report)


def _finite(x: float) -> float | None:
    return None if x is None or not math.isfinite(float(x)) else round(float(x), 5)


def _one_line(exc: BaseException, path: str) -> str:
    msg = (str(exc).splitlines() or [""])[0] or type(exc).__name__
    return msg[len(path) + 2:] if msg.startswith(f"{path}: ") else msg


def analyse(landmarks: np.ndarray, fps: float, settings, path: str, points: tuple[int, ...] | None = None) -> dict:
    """Timeline, worst windows and mouth opening of tracked landmarks (pure: arrays in, a record out).
    ``points``: the mesh columns ``landmarks`` holds when it holds only some (``Landmarks.points``)."""
    from msi.metrics.mouth_motion import mouth_opening
    from msi.plots.figures import worst_windows
    from msi.score import score_landmarks

    res = score_landmarks(landmarks, fps, settings, path=path, points=points)
    tl = res.timeline
    timeline = [{"s": round(float(r.start_s), 4), "e": round(float(r.end_s), 4), "lip": _finite(r.msi_lip),
                 "jaw": _finite(r.msi_jaw), "skip": bool(r.skipped)} for r in tl.itertuples()]
    bad = worst_windows(tl, WORST_WINDOWS) if len(tl) else tl
    worst = [{"rank": k, "s": round(float(w.start_s), 4), "e": round(float(w.end_s), 4),
              "lip": _finite(w.msi_lip), "jaw": _finite(w.msi_jaw)} for k, w in enumerate(bad.itertuples(), 1)]
    if points is not None:  # a compact cache entry: the opening's points by their columns
        from msi.regions import LIP_OPENING, get_scheme

        col = {p: i for i, p in enumerate(points)}
        corners = get_scheme(settings.scheme).mouth_corners
        keep = [*LIP_OPENING[settings.scheme], *corners]
        full = np.full((len(landmarks), get_scheme(settings.scheme).n_points, landmarks.shape[2]), np.nan)
        full[:, keep] = landmarks[:, [col[p] for p in keep]]
        landmarks = full
    with np.errstate(invalid="ignore", divide="ignore"):
        opening = mouth_opening(landmarks, settings.scheme)
    return {"msi_lip": _finite(res.msi_lip), "msi_jaw": _finite(res.msi_jaw), "timeline": timeline, "worst": worst,
            "opening": [_finite(v) for v in opening], "face_coverage": _finite(res.face_coverage)}


def slice_line(landmarks: np.ndarray | None, width: int, height: int) -> tuple[int, tuple[int, int] | None]:
    """The slice's vertical line (x through the lips' centre over the first frames with a face,
    StableFace Fig. 1/7) and the rows the face covers; the frame's centre and every row without a face."""
    from msi.plots.slices import face_span, line_through
    from msi.regions import get_scheme

    if landmarks is None or landmarks.ndim != 3 or landmarks.shape[1] != 478:
        return width // 2, None
    ok = np.isfinite(landmarks[..., :2]).all(axis=(1, 2))
    if not ok.any():
        return width // 2, None
    first = landmarks[ok][:LINE_FRAMES]
    x = line_through(first[:, list(get_scheme("mediapipe478").lip)])
    return int(np.clip(round(x), 0, width - 1)), face_span(landmarks[ok], height)


def video_assets(job: VideoJob) -> dict:
    """Everything the report shows of one video (see the module docstring); never raises."""
    try:
        return _assets(job)
    except Exception as exc:  # one bad video never sinks the report; the message stays one line
        return {"key": job.key, "path": job.path, "error": _one_line(exc, job.path)}


def _assets(job: VideoJob) -> dict:
    from msi.errors import MSIError
    from msi.io.video import iter_frames, probe
    from msi.plots.slices import frame_line
    from msi.report.previews import browser_playable, write_preview

    out: dict = {"key": job.key, "path": job.path, "error": None, "analysis_error": None, "preview_error": None,
                 "slice_error": None}
    try:
        info = probe(job.path)
    except MSIError as exc:
        out["error"] = _one_line(exc, job.path)
        return out
    fps = info.fps if np.isfinite(info.fps) and info.fps > 0 else 25.0
    out.update(fps=round(float(fps), 4), width=info.width, height=info.height, duration=round(float(info.duration), 4))
    landmarks = None
    try:
        from msi.acquire import get_landmarks

        lm = get_landmarks(job.path, job.settings, cache=job.cache)
        landmarks = lm.landmarks
        out.update(analyse(landmarks, lm.fps, job.settings, job.path, lm.points))
        if lm.points is not None:
            landmarks = None  # a compact entry: the slice's line from the frame's centre
    except MSIError as exc:
        out["analysis_error"] = _one_line(exc, job.path)
    pos, span = slice_line(landmarks, info.width, info.height)
    out.update(slice_x=pos, slice_span=list(span) if span else None)
    columns: list[np.ndarray] = []

    def frames():
        for f in iter_frames(job.path):
            if 0 <= pos < f.shape[1]:
                columns.append(frame_line(f, pos).copy())
            yield f

    from msi.io.remote import is_url

    playable, why = ((False, "--portable") if job.portable else (False, "a remote video") if is_url(job.path)
                     else browser_playable(job.path, job.preview_side))
    root = Path(job.root)
    try:
        if playable:
            page_dir = Path(job.final_root).resolve() / "u"
            out["video"] = Path(os.path.relpath(Path(job.path).resolve(), page_dir)).as_posix()
            out["preview"] = "linked"
            for _ in frames():
                pass
        else:
            dest = root / "previews" / f"{job.key}.mp4"
            write_preview(job.path, dest, frames(), fps, job.preview_side)
            out["video"] = f"../previews/{dest.name}"
            out["preview"] = f"transcoded ({why})"
    except (MSIError, OSError, ValueError) as exc:  # a frame the decoder or encoder refused
        out["preview_error"] = _one_line(exc, job.path)
        out.pop("video", None)
    if columns:
        try:
            strip = np.concatenate(columns, axis=1)
            if span:
                strip = strip[span[0]:span[1]]
            _save_png(strip, root / "slices" / f"{job.key}.png")
            out["slice"] = f"../slices/{job.key}.png"
            out["slice_frames"] = int(strip.shape[1])
        except (OSError, ValueError) as exc:
            out["slice_error"] = _one_line(exc, job.path)
    else:
        out["slice_error"] = out["preview_error"] or "no frame decoded"
    return out


def _save_png(rgb: np.ndarray, path: Path) -> None:
    from PIL import Image

    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(np.ascontiguousarray(rgb.astype(np.uint8))).save(path, optimize=True)

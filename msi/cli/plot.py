"""``msi plot``: per-window MSI timeline and acceleration traces of one video, worst windows marked.

Input is a video or landmark file (scored like ``msi score``, using the landmark cache), or a
timeline table written by ``msi score --timeline`` (then only the MSI panel can be drawn: a
timeline holds no landmarks). A JSON summary with the worst windows goes to stdout.
"""
from __future__ import annotations

import json
import sys
from pathlib import Path

import click
import numpy as np
import pandas as pd

from msi.cli import cli_message
from msi.cli import options as opt
from msi.cli import outputs
from msi.errors import BadLandmarks, InputNotFound, UsageError

TABLE_EXTENSIONS = (".csv", ".json", ".parquet")
TIMELINE_COLUMNS = {"start_s", "end_s", "msi_lip", "msi_jaw"}


EPILOG = """\b
examples:
  msi plot generated.mp4 --out timeline.png
  msi plot generated.mp4 --resample-fps 25 --worst 5 --out timeline.pdf
  msi score results/ --timeline windows.csv && msi plot windows.csv --path results/a.mp4 --out a.png"""


def _is_timeline(path: Path) -> pd.DataFrame | None:
    """The timeline table in ``path`` if it is one (has start_s/end_s/msi_* columns), else None."""
    ext = path.suffix.lower()
    if ext not in TABLE_EXTENSIONS:
        return None
    try:
        if ext == ".csv":
            head = pd.read_csv(path, nrows=0)
            if "msi_lip" in head.columns and not TIMELINE_COLUMNS <= set(head.columns):
                raise UsageError(f"{path}: a scores table, not a timeline; give the video, or the file "
                                 "written by msi score --timeline")
            if not TIMELINE_COLUMNS <= set(head.columns):
                return None  # a landmark CSV
            return pd.read_csv(path)
        df = pd.read_json(path) if ext == ".json" else pd.read_parquet(path)
    except (ValueError, OSError, pd.errors.ParserError, UnicodeDecodeError) as exc:
        raise BadLandmarks(f"{path}: cannot read the table ({str(exc).splitlines()[0][:120]})") from None
    if not TIMELINE_COLUMNS <= set(df.columns):
        raise UsageError(f"{path}: not a timeline (needs columns {', '.join(sorted(TIMELINE_COLUMNS))}; "
                         f"has {', '.join(map(str, df.columns))})")
    return df


def _select(df: pd.DataFrame, path: str | None, src: Path) -> tuple[pd.DataFrame, str]:
    if "path" not in df.columns:
        return df, src.name
    videos = list(dict.fromkeys(df["path"].astype(str)))
    if path is None:
        if len(videos) > 1:
            raise UsageError(f"{src} holds {len(videos)} videos; choose one with --path "
                             f"({', '.join(videos[:4])}{', ...' if len(videos) > 4 else ''})")
        path = videos[0]
    if path not in videos:
        raise UsageError(f"--path {path} is not in {src}; it holds: {', '.join(videos[:6])}")
    return df[df["path"].astype(str) == path].reset_index(drop=True), Path(path).name


def _timeline_stats(timeline: pd.DataFrame) -> dict[str, float]:
    used = timeline[~timeline["skipped"].astype(bool)]
    return {r: float(used[f"msi_{r}"].mean()) for r in ("lip", "jaw")}


@click.command("plot", epilog=EPILOG)
@click.argument("input_", metavar="VIDEO_OR_RESULT")
@opt.out_option("figure file: .png, .pdf or .svg", required=True)
@click.option("--worst", type=int, default=3, metavar="K", help="mark the K lowest-MSI windows (default 3)")
@click.option("--path", default=None, help="for a timeline of several videos: which one to plot")
@opt.resample_option("resample trajectories to this frame rate first (paper: 25)")
@opt.compat_option("window convention, as in msi score (default paper)")
@opt.fps_option("frame rate of a landmark-file input")
@opt.tracker_option()
@opt.cache_options()
@opt.figure_options()
def command(input_: str, out: str, worst: int, path: str | None, resample_fps: float | None, compat: str,
            fps: float | None, tracker: str, no_cache: bool, title: str | None, dpi: int) -> int:
    """Per-window MSI timeline and acceleration traces of one video, worst windows marked.

    VIDEO_OR_RESULT is a video or landmark file (.npy/.npz/.csv), scored like `msi score` (using
    the landmark cache), or a timeline written by `msi score --timeline` (then only the MSI panel
    can be drawn: a timeline holds no landmarks). A JSON summary with the worst windows goes to
    stdout.
    """
    from msi.plots.figures import FORMATS, save, timeline_figure, worst_windows

    if Path(out).suffix.lower() not in FORMATS:
        raise UsageError(f"--out {out}: use a .png, .pdf or .svg file")
    if worst < 0:
        raise UsageError(f"--worst must be >= 0, got {worst}")
    opt.check_resample(resample_fps)
    opt.check_fps(fps)
    outputs.check_file(out, "--out")  # before any tracking
    src = Path(input_)
    if not src.exists() and not src.is_symlink():  # a symlink loop is said by the reader (not "no such file")
        raise InputNotFound(f"{src}: no such file")
    timeline = _is_timeline(src) if src.is_file() else None
    acc = None
    if timeline is not None:
        timeline, name = _select(timeline, path, src)
        if timeline.empty:
            raise UsageError(f"{src}: the timeline has no windows")
        timeline["skipped"] = timeline["skipped"].astype(bool) if "skipped" in timeline else \
            ~np.isfinite(timeline["msi_lip"].to_numpy(float))
        msi = _timeline_stats(timeline)
        fps_used = float("nan")
        record = {"path": str(src if "path" not in timeline else timeline["path"].iloc[0])}
    else:
        from msi.acquire import get_landmarks
        from msi.score import score_landmarks
        from msi.settings import Settings
        from msi.tracking.trackers import silence_native_logs

        silence_native_logs()
        settings = Settings(resample_fps=resample_fps, compat=compat, landmark_fps=fps, tracker=tracker)
        print(f"msi plot: scoring {src.name} ...", file=sys.stderr)
        lm = get_landmarks(src, settings, cache=not no_cache)
        res = score_landmarks(lm.landmarks, lm.fps, settings, path=str(src))
        for w in lm.warnings + res.warnings:
            print(f"msi: warning: {src}: {cli_message(w)}", file=sys.stderr)
        timeline, name, fps_used = res.timeline, src.name, res.fps_used
        msi = {"lip": res.msi_lip, "jaw": res.msi_jaw}
        from msi.metrics.stability import region_accelerations

        # ||a_t|| (T-2, N) per region, mouth-width-normalised px/frame^2: what MSI's windows see
        acc = {r: np.linalg.norm(a, axis=-1) for r, a in region_accelerations(
            lm.landmarks, lm.fps, settings.scheme, resample_fps=settings.resample_fps,
            normalise=settings.crop != "image", mouth_width_frames=settings.mouth_width_frames).items()}
        record = {"path": str(src), "fps": fps_used, "frames": res.frames, "face_coverage": res.face_coverage}
    title = title or f"{name}: MSI-Lip {msi['lip']:.3f}, MSI-Jaw {msi['jaw']:.3f} (per 12-acceleration window)"
    fig = timeline_figure(timeline, fps_used, acc=acc, msi=msi, worst=worst, title=title)
    try:
        save(fig, out, dpi=dpi)
    except (OSError, ValueError) as exc:
        raise outputs.write_failed(out, exc, "" if timeline is not None and acc is None else
                                   outputs.NO_CACHE_HINT.format(flag="--out") if no_cache
                                   else outputs.CACHED_HINT.format(flag="--out")) from None
    bad = worst_windows(timeline, worst) if worst else timeline.iloc[:0]
    cols = [c for c in ("window", "start_frame", "end_frame", "start_s", "end_s", "msi_lip", "msi_jaw") if c in bad]
    record.update({"out": str(out), "msi_lip": msi["lip"], "msi_jaw": msi["jaw"],
                   "worst_windows": json.loads(bad[cols].to_json(orient="records"))})
    print(json.dumps(record))
    return 0

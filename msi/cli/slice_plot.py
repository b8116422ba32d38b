"""``msi slice-plot``: the vertical-slice picture that shows jitter (StableFace Fig. 1 and Fig. 7).

For each video one pixel line (by default the vertical line through the mouth centre, found
from the landmarks of the first frames) is cut from every frame and the cuts are laid side by
side along time; jitter shows as jagged edges. Videos are drawn one under the other on a common
time axis. A JSON summary of what was drawn goes to stdout.
"""
from __future__ import annotations

import json
import sys
from pathlib import Path

import click
import numpy as np

from msi.cli import options as opt
from msi.cli import outputs
from msi.errors import NoFace, UsageError

#: Frames tracked to place the default line (and the face crop).
FIRST_FRAMES = 5


EPILOG = """\b
examples:
  msi slice-plot real.mp4 fake.mp4 --label real --label fake --out slices.png
  msi slice-plot clip.mp4 --x 0.5 --width 2 --start 1 --end 4 --out slice.pdf
  msi slice-plot clip.mp4 --horizontal --crop-face --out hslice.svg"""


def _first_landmarks(path: str, start: int = 0, n: int = FIRST_FRAMES, tracker: str | None = None) -> np.ndarray:
    """Landmarks (k, 478, 3) in original pixels of the first ``n`` frames from ``start`` on that have
    a face (searching 4n frames), from the chosen tracker. The human-face check of ``msi score``
    (:class:`msi.tracking.FaceCheck`, on every searched frame) must confirm a human face (the
    trackers alone also follow cartoon faces)."""
    from msi.settings import DEFAULT_MAX_SIDE
    from msi.tracking.trackers import DEFAULT_TRACKER, FaceCheck, open_tracker
    from msi.io.video import iter_frames, probe, scaled_size

    info = probe(path)
    tw, _ = scaled_size(info.width, info.height, DEFAULT_MAX_SIDE)
    found = []
    with open_tracker(tracker or DEFAULT_TRACKER) as trk, FaceCheck(stride=1) as check:
        for i, frame in enumerate(iter_frames(path, max_side=DEFAULT_MAX_SIDE), -start):
            if i < 0:
                continue
            pts = trk.process(frame)
            check.observe(frame)
            if np.isfinite(pts).all():
                found.append(pts)
            if len(found) >= n or i >= 4 * n:
                break
        confirmed = check.confirmed
    if not found or not confirmed:
        raise NoFace(f"{path}: no {'human ' if found else ''}face in frames {start}-{start + 4 * n} to place "
                     "the line; give --x/--y (and drop --crop-face)")
    return np.stack(found) * (info.width / tw)  # back to the original pixel grid


def slice_panel(path: str, label: str, pos: float | None, orientation: str, width: int,
                start: float | None, end: float | None, crop_face: bool, tracker: str | None = None):
    """Read one video and build its :class:`msi.plots.figures.SlicePanel` (I/O around the pure slicer)."""
    from msi.plots.figures import SlicePanel
    from msi.regions import get_scheme
    from msi.plots.slices import extract_slice, face_span, line_through, resolve_position
    from msi.io.video import iter_frames, probe

    info = probe(path)
    size = info.width if orientation == "vertical" else info.height
    along = info.height if orientation == "vertical" else info.width
    fps = info.fps if np.isfinite(info.fps) and info.fps > 0 else 25.0
    t0 = int(round(start * fps)) if start is not None else 0
    t1 = int(round(end * fps)) if end is not None else None
    landmarks = _first_landmarks(path, t0, tracker=tracker) if pos is None or crop_face else None
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


@click.command("slice-plot", epilog=EPILOG)
@click.argument("videos", nargs=-1, required=True, metavar="VIDEO...")
@opt.out_option("figure file: .png, .pdf or .svg", required=True)
@click.option("--label", multiple=True,
              help="label of each video, in order (repeat once per video; default: file name)")
@click.option("--x", "x", type=float, default=None, metavar="POS",
              help="vertical line position: pixel (>= 1) or fraction of the width (0..1); "
                   "default: through the mouth centre (face tracked in the first frames)")
@click.option("--horizontal", is_flag=True, help="take a horizontal line (a row) instead of a vertical one")
@click.option("--y", "y", type=float, default=None, metavar="POS",
              help="horizontal line position (implies --horizontal): pixel or fraction of the height")
@click.option("--width", type=int, default=1, metavar="N",
              help="adjacent pixel lines taken per frame, laid side by side (default 1)")
@click.option("--start", type=float, default=None, metavar="SEC", help="first second to show")
@click.option("--end", type=float, default=None, metavar="SEC", help="last second to show (exclusive)")
@click.option("--crop-face", is_flag=True,
              help="keep only the part of the line that crosses the face (from the landmarks)")
@opt.tracker_option()
@opt.figure_options()
def command(videos: tuple[str, ...], out: str, label: tuple[str, ...], x: float | None, horizontal: bool,
            y: float | None, width: int, start: float | None, end: float | None, crop_face: bool,
            tracker: str, title: str | None, dpi: int) -> int:
    """Vertical-slice picture that shows jitter (StableFace Fig. 1 and Fig. 7).

    For each VIDEO (any format FFmpeg reads) one pixel line (by default the vertical line through
    the mouth centre) is cut from every frame and the cuts are laid side by side along time; jitter
    shows as jagged edges. Videos are drawn one under the other on a common time axis. A JSON
    summary of what was drawn goes to stdout.
    """
    from tqdm import tqdm

    from msi.plots.figures import FORMATS, save, slice_figure

    if Path(out).suffix.lower() not in FORMATS:
        raise UsageError(f"--out {out}: use a .png, .pdf or .svg file")
    if label and len(label) != len(videos):
        raise UsageError(f"{len(label)} --label for {len(videos)} video(s): give one per video")
    if width < 1:
        raise UsageError(f"--width must be at least 1, got {width}")
    if start is not None and start < 0:
        raise UsageError(f"--start must be >= 0, got {start}")
    if start is not None and end is not None and end <= start:
        raise UsageError(f"--end ({end}) must be after --start ({start})")
    outputs.check_file(out, "--out")  # before any video is read
    orientation = "horizontal" if horizontal or y is not None else "vertical"
    if orientation == "horizontal" and x is not None:
        raise UsageError("--x sets a vertical line; use --y with --horizontal")
    pos = y if orientation == "horizontal" else x
    labels = list(label) or [Path(v).stem for v in videos]
    if pos is None or crop_face:
        from msi.tracking.trackers import silence_native_logs

        silence_native_logs()
    panels = []
    for path, name in tqdm(list(zip(videos, labels)), desc="slices", unit="video", file=sys.stderr,
                            disable=len(videos) < 2):
        panels.append(slice_panel(path, name, pos, orientation, width, start, end, crop_face, tracker))
    try:
        save(slice_figure(panels, title=title), out, dpi=dpi)
    except (OSError, ValueError) as exc:
        raise outputs.write_failed(out, exc, "rerun with a writable --out") from None
    summary = {
        "out": str(out),
        "videos": [{"path": str(v), "label": p.label, "orientation": p.orientation, "position": p.pos,
                    "start_frame": p.start_frame, "frames": p.slice.shape[1] // p.width, "fps": p.fps,
                    "span": list(p.span) if p.span else None} for v, p in zip(videos, panels)],
    }
    print(json.dumps(summary))
    return 0

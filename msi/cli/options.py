"""Command-line options used by more than one ``msi`` subcommand, each declared once.

Every function returns a decorator; stack them on a ``click.command``. Options that take a help
text tailored to the subcommand accept ``help=``. Only light modules are imported here, so that
``msi score --help`` stays fast (no mediapipe, torch or matplotlib).
"""
from __future__ import annotations

from collections.abc import Callable

import click

from msi.constants import MOUTH_WIDTH_FRAMES
from msi.settings import DEFAULT_MAX_SIDE  # light: numpy/pandas, no tracker

Decorator = Callable[[Callable], Callable]


def compose(*decorators: Decorator) -> Decorator:
    """Several option decorators as one (applied in the order listed, top to bottom in --help)."""

    def apply(f: Callable) -> Callable:
        for d in reversed(decorators):
            f = d(f)
        return f

    return apply


def out_option(help: str, *, required: bool = False, short: bool = True) -> Decorator:
    """``--out FILE`` (``-o``): where a subcommand writes its result file."""
    names = ("--out", "-o") if short else ("--out",)
    return click.option(*names, "out", required=required, default=None, metavar="FILE", help=help)


def json_option(help: str = "print JSON on stdout instead of the text table") -> Decorator:
    return click.option("--json", "as_json", is_flag=True, help=help)


def workers_option(help: str = "score N videos in parallel", *, short: bool = True) -> Decorator:
    names = ("-j", "--workers") if short else ("--workers",)
    return click.option(*names, "workers", type=int, default=1, show_default=False, metavar="N",
                        help=f"{help} (0: one per CPU core)")


def check_workers(workers: int) -> int:
    """``--workers`` as a process count: 0 means one per CPU core this process may use; negative is refused."""
    import os

    from msi.errors import UsageError

    if workers < 0:
        raise UsageError(f"--workers must be 0 (one per core) or more, got {workers}")
    if workers == 0:
        return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    return workers


def cluster_option() -> Decorator:
    """``--cluster ADDRESS``: per-video work on a Dask cluster (msi.cluster); Dask is imported only then."""
    return click.option("--cluster", metavar="ADDRESS", default=None,
                        help="score on a Dask cluster: a scheduler address (tcp://host:8786) or local:N for "
                             "N single-threaded worker processes here (needs stableface[dask])")


def cache_options(*, cache_dir: bool = False) -> Decorator:
    """``--no-cache`` (and optionally ``--cache-dir DIR``): the landmark cache of msi.io.cache."""
    opts = [click.option("--no-cache", is_flag=True, help="do not read or write the landmark cache")]
    if cache_dir:
        opts.append(click.option("--cache-dir", metavar="DIR", default=None,
                                 help="landmark cache folder or URL (s3://bucket/msi-cache; default $MSI_CACHE_DIR or ~/.cache/msi)"))
    return compose(*opts)


def cache_setting(no_cache: bool, cache_dir: str | None = None) -> bool | str:
    """The ``cache=`` argument of msi.score from the cache options."""
    return False if no_cache else (cache_dir or True)


def resample_option(help: str = "resample the landmark trajectories to this frame rate first (e.g. 25)") -> Decorator:
    return click.option("--resample-fps", type=float, default=None, metavar="FPS", help=help)


def _check_rate(value: float | None, flag: str) -> None:
    import math

    from msi.errors import UsageError

    if value is not None and not (value > 0 and math.isfinite(value)):
        raise UsageError(f"{flag} must be a positive number of frames per second, got {value:g}")


def check_resample(resample_fps: float | None) -> None:
    _check_rate(resample_fps, "--resample-fps")


def check_fps(fps: float | None) -> None:
    """``--fps`` of landmark files: positive like --resample-fps (0 is not "unknown": omit it for that)."""
    _check_rate(fps, "--fps")


def compat_option(help: str = "paper: full windows only (default); reference: also the trailing partial "
                              "windows, as the public reference code") -> Decorator:
    return click.option("--compat", type=click.Choice(["paper", "reference"]), default="paper", help=help)


def fps_option(help: str = "frame rate of landmark-file inputs (default: stored in .npz, else 25)") -> Decorator:
    return click.option("--fps", type=float, default=None, metavar="FPS", help=help)


def tracking_options(*, keep: str = "scored") -> Decorator:
    """``--max-side``, ``--max-faces``, ``--no-face-check``: how msi.tracking finds the face."""
    return compose(
        click.option("--max-side", type=click.IntRange(min=0), default=DEFAULT_MAX_SIDE, metavar="PX",
                     help=f"downscale frames whose longer side exceeds PX before tracking "
                          f"(default {DEFAULT_MAX_SIDE}; 0: never)"),
        click.option("--max-faces", type=click.IntRange(min=1), default=2, metavar="K",
                     help=f"faces to look for in each frame; the one {keep} is chosen by --face and "
                          f"followed from frame to frame (default 2)"),
        click.option("--no-face-check", is_flag=True,
                     help="go on even when no human face is confirmed by the face detector (e.g. cartoons)"),
    )


def tracking_settings(max_side: int, max_faces: int, no_face_check: bool, tracker: str | None = None) -> dict:
    """Keyword arguments of msi.settings.Settings from the tracking options (and ``--tracker``)."""
    out = {"max_side": max_side or None, "max_faces": max(1, max_faces), "verify_face": not no_face_check}
    if tracker:
        from msi.errors import TrackerError
        from msi.tracking.trackers import tracker_available

        if reason := tracker_available(tracker):  # fail once, before any input is read
            raise TrackerError(reason)
        out["tracker"] = tracker
    return out


def tracker_option() -> Decorator:
    """``--tracker NAME``: the landmark tracker backend (msi.tracking; light import, no mediapipe)."""
    from msi.tracking.trackers import DEFAULT_TRACKER, TRACKERS

    return click.option(
        "--tracker", type=click.Choice(TRACKERS), default=DEFAULT_TRACKER, show_default=True,
        help="face tracker: landmarker = MediaPipe Tasks FaceLandmarker, stateless (each frame alone); "
             "facemesh-static / facemesh-video = legacy face mesh (needs stableface[legacy], Python <= 3.12; "
             "video mode smooths over frames). MSI depends on the tracker: compare videos with one tracker")


def face_options(*, panels: bool = True) -> Decorator:
    """``--face`` (which face is followed) and, for scoring, ``--panels``/``--panel-labels``
    (comparison videos: each panel scored as its own row). See msi.tracking.face_choice and msi.tracking.panels."""
    face = click.option(
        "--face", default="largest", show_default=True, metavar="largest|left|right|center|K",
        help="with several faces, which one is scored: chosen where it first appears, then followed "
             "by continuity (K: the K-th face from the left)")
    if not panels:
        return face
    return compose(
        face,
        click.option("--panels", metavar="COLSxROWS",
                     help="a comparison video: split each frame into this grid (e.g. 3x1) and score each panel "
                          "as its own row, named PATH#LABEL, with its box; a panel without a face is an error row"),
        click.option("--panel-labels", metavar="A,B,...",
                     help="names of the panels in reading order (e.g. gt,ours,nvp; default 1,2,...)"),
    )


def face_settings(face: str, panels: str | None = None, panel_labels: str | None = None) -> dict:
    """Keyword arguments of msi.settings.Settings from ``face_options`` (usage errors exit 2)."""
    from msi.errors import UsageError
    from msi.tracking.face_choice import parse_face
    from msi.tracking.panels import panel_names, parse_grid

    out = {"face": str(parse_face(face))}
    if panel_labels and not panels:
        raise UsageError("--panel-labels needs --panels")
    if panels:
        cols, rows = parse_grid(panels)
        labels = tuple(s.strip() for s in panel_labels.split(",")) if panel_labels else None
        panel_names(cols * rows, labels)  # checked once, before any input is read
        out.update(panels=f"{cols}x{rows}", panel_labels=labels)
    return out


def metric_options() -> Decorator:
    """The metric's definition knobs (defaults follow the paper)."""
    return compose(
        compat_option(),
        click.option("--mouth-width-frames", type=int, default=MOUTH_WIDTH_FRAMES, metavar="N",
                     help=f"MSI's scale: mouth width = mean over the first N frames (paper: {MOUTH_WIDTH_FRAMES}; "
                          "reference code: 10); mouth motion always uses the median width"),
        click.option("--crop", type=click.Choice(["landmarks", "image"]), default="landmarks",
                     help="landmarks: scale coordinates so the mouth is 64 px wide (default); image: the "
                          "literal protocol, crop frames with a fixed box of 4 mouth widths, resize to "
                          "256x256, track the crops"),
        resample_option(),
        click.option("--scheme", type=click.Choice(["mediapipe478", "ibug68"]), default="mediapipe478",
                     help="landmark scheme of landmark-file inputs"),
        fps_option(),
    )


def figure_options() -> Decorator:
    """``--title`` and ``--dpi`` of the figure-drawing subcommands."""
    return compose(
        click.option("--title", default=None, help="figure title"),
        click.option("--dpi", type=int, default=150, help="resolution of PNG output (default 150)"),
    )


def stats_option(help: str = "also report Table IV's baseline statistics per region (variances, jerk, ...)") -> Decorator:
    return click.option("--stats", is_flag=True, help=help)


def check_suffix(path: str | None, flag: str, allowed: tuple[str, ...], message: str | None = None) -> None:
    """A usage error (exit 2) when ``path`` does not end in one of ``allowed``."""
    from pathlib import Path

    from msi.errors import UsageError

    if path and Path(path).suffix.lower() not in allowed:
        raise UsageError(message or f"{flag} {path}: use one of {', '.join(allowed)}")


def weights_callback(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    """A click callback checking a weights option as :func:`check_weights` does (for commands
    that need no other check first)."""
    if value is not None:
        check_weights(**{param.name: value})
    return value


def check_weights(**files: str | None) -> None:
    """Every weights file given (``{flag: path}``, the flag's dashes as underscores) is a readable
    regular file, checked before any video is decoded: missing, a folder, a device or empty is one
    line naming the flag, exit 1, as the loaders say it later for a damaged file."""
    from msi.errors import BadWeights, MSIError
    from msi.io.paths import check_input_file

    for name, path in files.items():
        if path is not None:
            try:
                check_input_file(path, BadWeights)
            except MSIError as exc:  # InputNotFound too: a missing weights file is a bad weights option
                raise BadWeights(f"--{name.replace('_', '-')} {exc}") from None


def check_cluster(address: str | None, workers: int) -> None:
    """``--cluster`` checked before any video is read (Dask itself loads only when work starts)."""
    if address is None:
        return
    from msi.cluster import parse_address  # light: Dask itself is imported only when work starts
    from msi.errors import ClusterError, UsageError

    if workers != 1:
        raise UsageError("--workers and --cluster exclude each other (the cluster's workers do the work)")
    try:
        parse_address(address)
    except ClusterError as exc:
        raise UsageError(f"--cluster: {exc}") from None

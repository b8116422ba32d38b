"""``msi track VIDEO -o landmarks.npy``: export the tracked landmarks (from the cache when possible).

The full mesh is never held: while tracking it goes to a spool file beside the output (only the
points a score reads stay in memory), and from there, or from the cache entry, into the output
block by block. ``.npz`` also holds the frame timestamps and the rotation, so ``msi score`` on it
gives the video's numbers, variable frame rates included.
"""
from __future__ import annotations

import sys

import click

from msi.cli import options as opt
from msi.cli import outputs
from msi.errors import EXIT_OK, UsageError


@click.command("track")
@click.argument("video")
@opt.out_option(".npy (array T x 478 x 3), .npz (with fps, frame timestamps, rotation and metadata) or .csv "
                "(one row per frame)", required=True)
@opt.tracking_options(keep="kept")
@opt.tracker_option()
@opt.face_options(panels=False)
@opt.cache_options()
def command(video: str, out: str, max_side: int, max_faces: int, no_face_check: bool, tracker: str,
            face: str, no_cache: bool) -> int:
    """Track MediaPipe face-mesh landmarks (478 points, pixel coordinates x, y, z) in every frame of
    VIDEO and save them; frames without a face are NaN. The file can be scored later with
    `msi score FILE` (.npz: with the video's frame timestamps, as the video would be)."""
    from pathlib import Path

    from msi.io.landmark_store import Spool
    from msi.io.landmarks import LANDMARK_EXTENSIONS, save_landmarks
    from msi.metrics.stability import frame_valid
    from msi.regions import MP_SCORE_POINTS
    from msi.acquire import get_landmarks
    from msi.settings import Settings

    if Path(out).suffix.lower() not in LANDMARK_EXTENSIONS:
        raise UsageError(f"--out {out}: use .npy, .npz or .csv")
    outputs.check_file(out, "--out")  # before any tracking
    settings = Settings(**opt.tracking_settings(max_side, max_faces, no_face_check, tracker),
                        **opt.face_settings(face))
    from msi.tracking.trackers import silence_native_logs

    silence_native_logs()
    folder = Path(out).resolve().parent
    lm = get_landmarks(video, settings, cache=opt.cache_setting(no_cache), points=MP_SCORE_POINTS, spool_dir=folder)
    mesh = lm.spool if lm.spool is not None else None
    try:
        if mesh is None:  # no spool could be written beside the output (checked up front: rare)
            raise outputs.write_failed(out, OSError("no room for the landmarks while tracking"),
                                       "rerun with a writable --out")
        try:
            save_landmarks(out, mesh, lm.fps, meta={"source": str(video), "tracker": lm.tracker},
                           timestamps=lm.timestamps, rotation=lm.rotation)
        except OSError as exc:  # disk full after the work was done
            hint = outputs.NO_CACHE_HINT if no_cache else outputs.CACHED_HINT
            raise outputs.write_failed(out, exc, hint.format(flag="--out")) from None
    finally:
        if isinstance(mesh, Spool):
            mesh.remove()
    n = int(frame_valid(lm.landmarks).sum())
    print(f"{out}: {len(lm.landmarks)} frames ({n} with a face), {mesh.shape[1]} points, "
          f"{lm.fps:.3f} fps" + (", with frame timestamps" if lm.timestamps is not None and
                                 Path(out).suffix.lower() == ".npz" else ""), file=sys.stderr)
    return EXIT_OK

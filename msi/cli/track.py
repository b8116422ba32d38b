"""``msi track VIDEO -o landmarks.npy``: export the tracked landmarks (from the cache when possible)."""
from __future__ import annotations

import sys

import click

from msi.cli import options as opt
from msi.errors import EXIT_OK, UsageError


@click.command("track")
@click.argument("video")
@opt.out_option(".npy (array T x 478 x 3), .npz (with fps and metadata) or .csv (one row per frame)",
                required=True)
@opt.tracking_options(keep="kept")
@opt.tracker_option()
@opt.face_options(panels=False)
@opt.cache_options()
def command(video: str, out: str, max_side: int, max_faces: int, no_face_check: bool, tracker: str,
            face: str, no_cache: bool) -> int:
    """Track MediaPipe face-mesh landmarks (478 points, pixel coordinates x, y, z) in every frame of
    VIDEO and save them; frames without a face are NaN. The file can be scored later with
    `msi score FILE`."""
    from pathlib import Path

    from msi.landmarks_io import LANDMARK_EXTENSIONS, save_landmarks
    from msi.metric import frame_valid
    from msi.score import Settings, get_landmarks

    if Path(out).suffix.lower() not in LANDMARK_EXTENSIONS:
        raise UsageError(f"--out {out}: use .npy, .npz or .csv")
    settings = Settings(**opt.tracking_settings(max_side, max_faces, no_face_check, tracker),
                        **opt.face_settings(face))
    from msi.tracking import silence_native_logs

    silence_native_logs()
    lm = get_landmarks(video, settings, cache=opt.cache_setting(no_cache))
    save_landmarks(out, lm.landmarks, lm.fps, meta={"source": str(video), "tracker": lm.tracker})
    n = int(frame_valid(lm.landmarks).sum())
    print(f"{out}: {len(lm.landmarks)} frames ({n} with a face), {lm.landmarks.shape[1]} points, "
          f"{lm.fps:.3f} fps", file=sys.stderr)
    return EXIT_OK

"""``msi track VIDEO -o landmarks.npy``: export the tracked landmarks (from the cache when possible)."""
from __future__ import annotations

import argparse
import sys

from msi.errors import EXIT_OK, UsageError


def add_arguments(p: argparse.ArgumentParser) -> None:
    from msi.score import DEFAULT_MAX_SIDE

    p.description = ("Track MediaPipe face-mesh landmarks (478 points, pixel coordinates x, y, z) in every "
                     "frame of a video and save them; frames without a face are NaN. The file can be scored "
                     "later with `msi score FILE`.")
    p.add_argument("video", help="video file")
    p.add_argument("-o", "--out", required=True, metavar="FILE",
                   help=".npy (array T x 478 x 3), .npz (with fps and metadata) or .csv (one row per frame)")
    p.add_argument("--max-side", type=int, default=DEFAULT_MAX_SIDE, metavar="PX",
                   help="downscale larger frames for the tracker (0: never)")
    p.add_argument("--max-faces", type=int, default=2, metavar="K", help="faces to look for; the largest is kept")
    p.add_argument("--no-face-check", action="store_true", help="keep landmarks even if no human face is confirmed")
    p.add_argument("--no-cache", action="store_true", help="do not read or write the landmark cache")


def run(args: argparse.Namespace) -> int:
    from pathlib import Path

    from msi.landmarks_io import LANDMARK_EXTENSIONS, save_landmarks
    from msi.metric import frame_valid
    from msi.score import Settings, get_landmarks

    if Path(args.out).suffix.lower() not in LANDMARK_EXTENSIONS:
        raise UsageError(f"--out {args.out}: use .npy, .npz or .csv")
    settings = Settings(max_side=args.max_side or None, max_faces=max(1, args.max_faces),
                        verify_face=not args.no_face_check)
    from msi.tracking import silence_native_logs

    silence_native_logs()
    lm = get_landmarks(args.video, settings, cache=not args.no_cache)
    save_landmarks(args.out, lm.landmarks, lm.fps, meta={"source": str(args.video), "tracker": lm.tracker})
    n = int(frame_valid(lm.landmarks).sum())
    print(f"{args.out}: {len(lm.landmarks)} frames ({n} with a face), {lm.landmarks.shape[1]} points, "
          f"{lm.fps:.3f} fps", file=sys.stderr)
    return EXIT_OK

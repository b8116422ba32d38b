"""Frames per second of the networks behind FID, FVD and CSIM (issue 22), batched vs one at a
time, measured side by side in one run on carphone frames (CPU).

    python benchmarks/bench_quality_networks.py [--inception-weights F] [--i3d-weights F] [--arcface-weights F]

Without a weights file, a network is timed with random weights: InceptionV3 in pytorch-fid's exact
architecture (so its speed is the real one); the I3D and ArcFace stand-ins of the tests are much
smaller than the real models, and their rows say so (they time our pipeline around the network:
decoding, clip cutting, alignment, batching). The docs page is docs/quality-networks.md.
"""
from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests" / "msi"))


def timed(fn, repeats: int = 2) -> float:
    """Best of ``repeats`` wall times (s)."""
    best = float("inf")
    for _ in range(repeats):
        t = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t)
    return best


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--inception-weights")
    ap.add_argument("--i3d-weights")
    ap.add_argument("--arcface-weights")
    ap.add_argument("--frames", type=int, default=32, help="frames per measurement (default 32)")
    a = ap.parse_args()

    import torch

    from msi.io.video import read_frames
    from msi.metrics import identity
    from msi.networks.arcface import load_arcface
    from msi.networks.i3d import clips_of, i3d_features, load_i3d
    from msi.networks.inception import FIDInceptionV3, inception_features, load_inception
    from msi.io.samples import sample_path
    from msi.score import Settings, get_landmarks

    video = sample_path("carphone_pristine.mp4")
    frames = read_frames(video)
    frames = np.concatenate([frames] * (a.frames // len(frames) + 1))[: a.frames]
    tmp = Path(tempfile.mkdtemp())
    rows = []

    if a.inception_weights:
        inc, note = load_inception(a.inception_weights), "user's weights"
    else:
        torch.manual_seed(0)
        inc, note = FIDInceptionV3().eval(), "random weights, pytorch-fid's architecture"
    n = 8
    one = timed(lambda: inception_features(inc, frames[:n], batch=1), 1)
    batched = timed(lambda: inception_features(inc, frames, batch=16), 1)
    rows.append(("FID: InceptionV3 (299 px)", note, n / one, len(frames) / batched))

    if a.i3d_weights:
        i3d, note = load_i3d(a.i3d_weights), "user's weights"
    else:
        import test_quality_networks as t

        torch.manual_seed(2)
        p = tmp / "i3d.pt"
        torch.jit.script(t.RandomI3D().eval()).save(str(p))
        i3d, note = load_i3d(p), "small random stand-in: not I3D's speed"
    clip_frames = np.concatenate([frames] * 2)[:64]
    one = timed(lambda: i3d_features(i3d, clips_of(iter(clip_frames)), batch=1), 1)
    batched = timed(lambda: i3d_features(i3d, clips_of(iter(clip_frames)), batch=8), 1)
    rows.append(("FVD: I3D (16-frame clips, 224 px)", note, len(clip_frames) / one, len(clip_frames) / batched))

    if a.arcface_weights:
        arc, note = load_arcface(a.arcface_weights), "user's weights"
    else:
        import test_quality_networks as t

        class _F:
            def mktemp(self, name):
                d = tmp / name
                d.mkdir(exist_ok=True)
                return d

        arc, note = load_arcface(t.arcface_file.__wrapped__(_F())), "small random stand-in: not ResNet-50's speed"
    lm = get_landmarks(video, Settings()).landmarks
    lm = np.concatenate([lm] * (a.frames // len(lm) + 1))[: a.frames]

    def aligned():
        return np.stack([identity.align_face(f, identity.five_points(p)) for f, p in zip(frames, lm)])

    faces = aligned()  # warm-up: scikit-image's and OpenCV's first calls load modules
    align_s = timed(aligned, 2)
    one = timed(lambda: [arc.embed(faces[i:i + 1]) for i in range(len(faces))], 1)
    batched = timed(lambda: arc.embed(faces, batch=32), 1)
    rows.append(("CSIM: alignment (5 points, 112 px)", "cv2.warpAffine", len(frames) / align_s, len(frames) / align_s))
    rows.append(("CSIM: ArcFace ONNX (112 px)", note, len(frames) / one, len(frames) / batched))

    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads; {len(frames)} carphone frames "
          f"({frames.shape[2]}x{frames.shape[1]})\n")
    print("| stage | weights | frames/s, one at a time | frames/s, batched | batched / one |")
    print("|---|---|---|---|---|")
    for name, note, a1, ab in rows:
        print(f"| {name} | {note} | {a1:.1f} | {ab:.1f} | {ab / a1:.2f}x |")


if __name__ == "__main__":
    main()

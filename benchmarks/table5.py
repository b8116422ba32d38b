"""Table V of StableFace (Ling et al., arXiv:2208.13717): which component removes which jitter.

Trains the tiny configuration once per ablation on one synthetic clip (``build_clip`` +
``prepare``: the astronaut photo speaking espeak-ng sentences), regenerates the held-out test
split from its audio (``synthesize --reenact test``) and reports per ablation

* MSI-Lip / MSI-Jaw of the generated test video (``msi.score.score_video``, higher = more
  stable) and of the ground truth for reference;
* reconstruction against the ground-truth frames: L1 (0-255 scale), PSNR (dB), SSIM
  (scikit-image, channel_axis=-1), on the decoded mp4s;
* training time.

    python benchmarks/table5.py --out /tmp/table5 [--seconds 20] [--epochs 20,20,4] [--seed 0]
                                [--ablations full,no-smoothing,...] [--data DATA_DIR]

Writes OUT/table5.csv and OUT/table5.md and prints the markdown table. Numbers from a tiny
model trained for minutes are a smoke-scale reproduction, not the paper's figures.
"""
from __future__ import annotations

import argparse
import dataclasses
import json
import sys
import time
from pathlib import Path

import numpy as np

ABLATIONS = {
    "full": {},
    "no-audio-fusion": {"no_audio_fusion": True},
    "no-smoothing": {"no_smoothing": True},
    "no-erosion": {"no_erosion": True},
    "no-dependency": {"no_dependency": True},
    "baseline": {"baseline": True},
    "smoothing-fixed": {"smoothing": "fixed"},
    "smoothing-global": {"smoothing": "global"},
}
DEFAULT = "full,no-audio-fusion,no-smoothing,no-erosion,no-dependency,baseline"


def reconstruction(pred: np.ndarray, truth: np.ndarray) -> dict[str, float]:
    """L1 (0-255), PSNR (dB) and mean SSIM of two (T, H, W, 3) uint8 videos."""
    from skimage.metrics import peak_signal_noise_ratio, structural_similarity

    n = min(len(pred), len(truth))
    p, t = pred[:n].astype(np.float64), truth[:n].astype(np.float64)
    return {
        "l1": float(np.abs(p - t).mean()),
        "psnr": float(np.mean([peak_signal_noise_ratio(a, b, data_range=255) for a, b in zip(t, p)])),
        "ssim": float(np.mean([structural_similarity(a, b, data_range=255, channel_axis=-1) for a, b in zip(t, p)])),
    }


def msi_of(path: Path) -> dict[str, float]:
    from msi.errors import MSIError
    from msi.score import score_video

    try:
        r = score_video(path, cache=False)
        return {"msi_lip": r.msi_lip, "msi_jaw": r.msi_jaw, "face_coverage": r.face_coverage, "msi_error": ""}
    except MSIError as exc:
        return {"msi_lip": float("nan"), "msi_jaw": float("nan"), "face_coverage": 0.0, "msi_error": str(exc)}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", type=Path, required=True)
    ap.add_argument("--data", type=Path, help="prepared data directory (default: build a synthetic clip)")
    ap.add_argument("--seconds", type=float, default=20.0, help="length of the synthetic clip")
    ap.add_argument("--epochs", default="20,20,4", help="a2e,render,joint epochs")
    ap.add_argument("--ablations", default=DEFAULT, help=f"comma list from {', '.join(ABLATIONS)}")
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--seed", type=int, default=0, help="training seed (run several to see the spread)")
    args = ap.parse_args(argv)

    import torch

    from generator.config import apply_ablations, tiny
    from generator.data.dataset import is_prepared, load_clip
    from generator.synthesize import synthesize
    from generator.train import train
    from msi.video import read_frames

    torch.set_num_threads(args.threads)
    args.out.mkdir(parents=True, exist_ok=True)
    data = args.data
    if data is None:
        from generator.data import prepare
        from generator.corpus.build import build_clip

        data = args.out / "data"
        if not is_prepared(data):
            paths = build_clip(args.out / "source", seconds=args.seconds, seed=0, size=256)
            prepare.prepare(prepare.PrepareConfig(video=Path(paths.video), out=data, size=64), progress=False)
    clip = load_clip(data)
    test = clip.split("test")
    a, r, j = (int(x) for x in args.epochs.split(","))
    rows = []
    truth_path = args.out / "truth_test.mp4"
    for name in args.ablations.split(","):
        cfg = apply_ablations(tiny(), **ABLATIONS[name])
        cfg.train = dataclasses.replace(cfg.train, a2e_epochs=a, render_epochs=r, joint_epochs=j, threads=args.threads,
                                        seed=args.seed)
        run = args.out / "runs" / name
        t0 = time.time()
        result = train(data, run, cfg, progress=True)
        train_s = time.time() - t0
        video = args.out / f"{name}_test.mp4"
        synthesize(run, video, background=data, reenact="test", truth_out=truth_path, progress=False)
        row = {"ablation": name, "steps": result["step"], "train_s": round(train_s, 1),
               **msi_of(video), **reconstruction(read_frames(video), np.asarray(clip.frames[test]))}
        rows.append(row)
        print(json.dumps(row), file=sys.stderr)
    truth = {"ablation": "ground truth", "steps": 0, "train_s": 0.0, **msi_of(truth_path),
             **reconstruction(read_frames(truth_path), np.asarray(clip.frames[test]))}
    rows.append(truth)

    import pandas as pd

    df = pd.DataFrame(rows)
    df.to_csv(args.out / "table5.csv", index=False)
    cols = ["ablation", "msi_lip", "msi_jaw", "face_coverage", "l1", "psnr", "ssim", "steps", "train_s"]
    lines = ["| " + " | ".join(cols) + " |", "|" + "---|" * len(cols)]
    for _, row in df[cols].iterrows():
        lines.append("| " + " | ".join(f"{v:.3f}" if isinstance(v, float) else str(v) for v in row) + " |")
    md = "\n".join(lines)
    (args.out / "table5.md").write_text(md + "\n")
    print(md)
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Does the stability module learn, and what does the generator do to the mouth?

    python research/generator_stability.py RUN_DIR DATA_DIR --out DIR [--split test] [--tracker NAME]
    python research/generator_stability.py summary DIR [DIR ...]   # the targets over seeds

1. **Adaptive smoothing weights** on the split, computed from the expressions audio2expression
   predicts from the split's audio (what synthesis smooths) and from the tracked expressions:
   mean and per-frame standard deviation ("spread") of the centre weight, the per-tap spread
   averaged over taps, and the Pearson correlation between the centre weight and the local
   expression speed ||e_(t+1) - e_(t-1)|| / 2 (``generator.models.smoothing.adaptation``).
2. **The motion chain** (``generator.reproduction.motion_chain``): the split's speech generated over its own
   frames (re-enactment) and over them reversed in time (dubbing); MSI, mouth motion and opening
   correlation at every link (meshes, smoothed, rendered, encoded), the renderer's fidelity to the
   mesh it was given, and how much it copies the background (``b``).

Writes DIR/stability.json, DIR/chain.csv, the encoded videos (DIR/own_0.mp4, DIR/reversed_0.mp4,
DIR/truth_0.mp4) and the per-frame openings in DIR/chain_tracks.npz (for
``generator_mouth_plot.py``), and prints the tables as markdown.  One CPU thread.  MSI and the
opening depend on the tracker: ``--tracker facemesh-video`` (mediapipe 0.10.14, the ``legacy``
extra) reproduces numbers measured before the default changed.
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np
import torch


def weight_report(run_dir: Path, data_dir: Path, split: str) -> dict:
    from generator.data.dataset import load_clip
    from generator.models.smoothing import adaptation
    from generator.inference import load_run, predict_expressions

    run = load_run(run_dir)
    clip = load_clip(data_dir)
    part = clip.split(split)
    out: dict = {"mode": run.cfg.smoothing.mode, "lr_smoothing": run.cfg.train.lr_smoothing, "run_step": run.step}
    if run.model.smoothing is None:
        return out
    std = run.ident.exp_std
    pred = predict_expressions(run, np.asarray(clip.audio_features[part])) / std
    tracked = torch.as_tensor(np.asarray(clip.expression[part], np.float32)) / std
    with torch.no_grad():
        for name, e in (("predicted", pred), ("tracked", tracked)):
            w = run.model.smoothing.weights(e[None])[0]
            out[name] = {k: round(v, 4) for k, v in adaptation(w, e).items()}
            out[name]["mean_kernel"] = [round(float(x), 4) for x in w.mean(0)]
    return out


def summary(dirs: list[Path]) -> int:
    """The targets over several runs' DIR/chain.csv (one per seed): mean [95% CI]."""
    import pandas as pd

    from generator.reproduction.motion_chain import targets_markdown

    print(targets_markdown([pd.read_csv(d / "chain.csv") for d in dirs]))
    return 0


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["summary"]:  # python research/generator_stability.py summary STAB0 STAB1 STAB2
        return summary([Path(a) for a in argv[1:]])
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("run_dir", type=Path)
    p.add_argument("data_dir", type=Path)
    p.add_argument("--out", type=Path, required=True)
    p.add_argument("--split", default="test", choices=["train", "val", "test"])
    p.add_argument("--tracker", help="msi tracker backend (default: msi's default); the MSI and opening numbers "
                   "depend on it, so compare runs scored with the same one")
    p.add_argument("--chain", action="store_true", help="accepted for older command lines: the motion chain "
                   "(re-enactment and dubbing) is always written")
    args = p.parse_args(argv)
    torch.set_num_threads(1)
    args.out.mkdir(parents=True, exist_ok=True)
    from generator.reproduction.motion_chain import chain_landmarks, chain_markdown, chain_table
    from msi.metrics.mouth_motion import mouth_opening

    t0 = time.time()
    report: dict = {"run_dir": str(args.run_dir), "data_dir": str(args.data_dir), "split": args.split}
    manifest = json.loads((args.data_dir / "manifest.json").read_text())
    report["reconstruction_error"] = manifest.get("reconstruction_error", {}).get(args.split)
    report["weights"] = weight_report(args.run_dir, args.data_dir, args.split)
    tracks = chain_landmarks(args.run_dir, args.data_dir, args.split, args.out, args.tracker)
    table = chain_table(tracks)
    table.to_csv(args.out / "chain.csv", index=False)
    report["chain"] = table.to_dict(orient="records")
    report["tracker"] = tracks["tracker"]
    npz = {"truth": mouth_opening(tracks["truth_landmarks"])}  # per-frame openings, for plots
    for bg, item in tracks["backgrounds"].items():
        tag = f"{bg}_background"
        npz[f"mesh_{tag}"] = mouth_opening(item["links"]["mesh_smoothed"])
        npz[f"generated_{tag}"] = mouth_opening(item["links"]["encoded"])
        npz[f"rendered_{tag}"] = mouth_opening(item["links"]["rendered"])
        npz[f"background_{tag}"] = tracks["truth_opening_all"][item["order"]]
    np.savez(args.out / "chain_tracks.npz", **npz)
    report["seconds"] = round(time.time() - t0, 1)
    name = "stability.json" if args.tracker is None else f"stability_{args.tracker}.json"
    (args.out / name).write_text(json.dumps(report, indent=2, default=float))
    print(f"tracker: {tracks['tracker']}; videos written at {tracks['side']} px\n")
    print(chain_markdown(table))
    w = report["weights"]
    for name in ("predicted", "tracked"):
        if name in w:
            s = w[name]
            print(f"adaptive weights on {name} expressions: centre {s['centre_mean']:.3f} +- {s['centre_spread']:.3f} "
                  f"(per-tap spread {s['weight_spread']:.3f}), r(centre, speed) = {s['corr_centre_speed']:.2f}")
    print(json.dumps({"seconds": report["seconds"]}), file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())

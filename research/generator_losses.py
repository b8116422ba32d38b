"""Training curves of a run directory (docs/img/generator_losses.png).

    python research/generator_losses.py RUN_DIR --out losses.png

Left: audio2expression MSE (normalised expressions); right: the renderer's L1 (mouth x2) and
adversarial losses over the render and joint stages; both smoothed with a 50-step moving mean.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from figures import save_figure


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("run_dir", type=Path)
    ap.add_argument("--out", required=True)
    ap.add_argument("--window", type=int, default=50)
    args = ap.parse_args(argv)

    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import pandas as pd

    df = pd.read_csv(args.run_dir / "losses.csv")
    smooth = lambda s: s.rolling(args.window, min_periods=1).mean()  # noqa: E731
    fig, (a, b) = plt.subplots(1, 2, figsize=(9, 3.2))
    a2e = df[df.stage == "a2e"]
    a.plot(a2e.step, smooth(a2e.loss), lw=1)
    a.set(title="stage 1: audio2expression", xlabel="step", ylabel="MSE (normalised expression)")
    r = df[df.stage != "a2e"]
    b.plot(r.step, smooth(r.l1), lw=1, label="unbalanced L1")
    b.plot(r.step, smooth(r.adv), lw=1, label="adversarial (LSGAN)")
    b.plot(r.step, smooth(r.d), lw=1, label="discriminator")
    joint = df[df.stage == "joint"]
    if len(joint):
        b.axvline(joint.step.iloc[0], color="k", ls=":", lw=1, label="joint (smoothing) starts")
    b.set(title="stage 2: renderer", xlabel="step", yscale="log")
    b.legend(fontsize=7)
    return save_figure(fig, args.out)


if __name__ == "__main__":
    sys.exit(main())

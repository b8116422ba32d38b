"""Does the generated mouth follow the speech, or the frame it is painted over?  (issue 11)

    python research/generator_mouth_plot.py before=STAB_A/chain_tracks.npz after=STAB_B/chain_tracks.npz \
        --out docs/img/generator_mouth_follow.png [--fps 25]

Each file is written by ``research/generator_stability.py RUN DATA --out STAB --chain``.  Two
panels, the mouth opening (median mouth widths) over the test split:

* top, re-enactment (the split's own frames as background): the truth, and each run's generated
  mouth;
* bottom, the same speech over the same frames in reverse order (as in real use, the background's
  mouth has nothing to do with the speech): the truth, the background's own mouth (dotted), and each
  run's generated mouth.  A renderer that copies the background follows the dotted line.
"""
from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("runs", nargs="+", metavar="LABEL=NPZ")
    p.add_argument("--out", type=Path, required=True)
    p.add_argument("--fps", type=float, default=25.0)
    args = p.parse_args(argv)
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    runs = {}
    for item in args.runs:
        label, _, path = item.partition("=")
        runs[label] = dict(np.load(path))
    first = next(iter(runs.values()))
    t = np.arange(len(first["truth"])) / args.fps
    fig, axes = plt.subplots(2, 1, figsize=(11, 5.5), sharex=True)
    for ax, tag, title in ((axes[0], "own_background", "re-enactment: the split's own frames as background"),
                           (axes[1], "reversed_background", "the same speech over the frames reversed in time")):
        ax.plot(t, first["truth"], color="black", lw=1.6, label="truth (the speech's own mouth)")
        if tag == "reversed_background":
            ax.plot(t, first[f"background_{tag}"], color="grey", lw=1.2, ls=":", label="background's mouth")
        for (label, tr), color in zip(runs.items(), ("tab:red", "tab:blue", "tab:green", "tab:orange")):
            g, truth = tr[f"generated_{tag}"], tr["truth"]
            ok = np.isfinite(g)
            r = np.corrcoef(g[ok], truth[ok])[0, 1]
            ax.plot(t, g, color=color, lw=1.1, label=f"{label} (r with truth {r:.2f})")
        ax.set_title(title, fontsize=10)
        ax.set_ylabel("opening (mouth widths)")
        ax.legend(fontsize=8, loc="upper right", ncol=2)
    axes[1].set_xlabel("seconds")
    fig.tight_layout()
    args.out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(args.out, dpi=110)
    print(args.out)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

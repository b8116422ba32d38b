"""Contact sheet of a generated video next to its ground truth (docs/img/generator_contact_sheet.png).

    python research/generator_contact_sheet.py GENERATED.mp4 TRUTH.mp4 --out sheet.png [--n 8] [--title T]

Rows: ground truth, generated, |difference| x 3; columns: n frames evenly spaced over the video.
"""
from __future__ import annotations

import argparse
import sys

import numpy as np

from figures import save_figure


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("generated")
    ap.add_argument("truth")
    ap.add_argument("--out", required=True)
    ap.add_argument("--n", type=int, default=8)
    ap.add_argument("--title", default="")
    args = ap.parse_args(argv)

    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from msi.io.video import read_frames

    gen, truth = read_frames(args.generated), read_frames(args.truth)
    n = min(len(gen), len(truth))
    idx = np.linspace(0, n - 1, args.n).round().astype(int)
    diff = np.clip(np.abs(gen[:n].astype(int) - truth[:n].astype(int)) * 3, 0, 255).astype(np.uint8)
    rows = [("ground truth", truth), ("generated", gen), ("|diff| x3", diff)]
    fig, axes = plt.subplots(len(rows), args.n, figsize=(1.6 * args.n, 1.75 * len(rows)))
    for r, (label, video) in enumerate(rows):
        for c, i in enumerate(idx):
            ax = axes[r, c]
            ax.imshow(video[i], interpolation="nearest")
            ax.set_xticks([])
            ax.set_yticks([])
            if r == 0:
                ax.set_title(f"frame {i}", fontsize=8)
            if c == 0:
                ax.set_ylabel(label, fontsize=8)
    if args.title:
        fig.suptitle(args.title, fontsize=9)
    return save_figure(fig, args.out)


if __name__ == "__main__":
    sys.exit(main())

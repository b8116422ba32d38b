"""The comparison as a figure: one panel per column, each method's mean with its 95% interval."""
from __future__ import annotations

import math
import os
from pathlib import Path

import numpy as np

from msi.metrics.registry import TABLE_COLUMNS, shown_columns


def plot_summary(summary, path: str | os.PathLike) -> Path:
    """One panel per metric: each method's mean with its 95% CI as an error bar."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    cols = shown_columns(summary)
    n = len(cols)
    ncol = min(4, n)
    nrow = math.ceil(n / ncol)
    fig, axes = plt.subplots(nrow, ncol, figsize=(3.2 * ncol, 2.6 * nrow), squeeze=False)
    methods = list(dict.fromkeys(summary["method"]))
    for ax, c in zip(axes.flat, cols):
        sub = summary[summary["metric"] == c].set_index("method").reindex(methods)
        m = sub["mean"].to_numpy(float)
        err = np.vstack([m - sub["ci_low"].to_numpy(float), sub["ci_high"].to_numpy(float) - m])
        ax.errorbar(np.arange(len(methods)), m, yerr=np.nan_to_num(err), fmt="o", capsize=4)
        ax.set_xticks(np.arange(len(methods)), methods, rotation=30, ha="right")
        arrow = {1: " (↑ better)", -1: " (↓ better)", 0: ""}[TABLE_COLUMNS[c].better]
        ax.set_title(TABLE_COLUMNS[c].label + arrow, fontsize=9)
        ax.grid(alpha=0.3)
    for ax in list(axes.flat)[n:]:
        ax.axis("off")
    fig.tight_layout()
    out = Path(path)
    fig.savefig(out, dpi=120)
    plt.close(fig)
    return out

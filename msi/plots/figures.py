"""Figures: space-time slices (paper Fig. 1/7), metric-vs-opinion scatter (Table IV), MSI timeline.

StableFace (Ling et al., arXiv:2208.13717). All figures use matplotlib's non-interactive Agg
backend and are returned as ``Figure`` objects; :func:`save` writes PNG, PDF or SVG. Inputs are
arrays and DataFrames already computed elsewhere (no video or tracker I/O here).
"""
from __future__ import annotations

import os
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import matplotlib

matplotlib.use("Agg")  # files only, never a window (also on machines without a display)

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402
from matplotlib.patches import Patch, Rectangle  # noqa: E402

if TYPE_CHECKING:  # the DataFrames come from the callers: `msi slice-plot` never imports pandas (0.6 s)
    import pandas as pd

FORMATS = (".png", ".pdf", ".svg")
LINE_COLOUR = "#ff2d55"
REGION_COLOURS = {"lip": "#d62728", "jaw": "#1f77b4"}


def save(fig: Figure, path: str | os.PathLike, dpi: int = 150) -> None:
    """Write a figure as PNG, PDF or SVG (chosen by the extension) and close it."""
    ext = os.path.splitext(str(path))[1].lower()
    if ext not in FORMATS:
        raise ValueError(f"figure format {ext or '(none)'} not supported; use {', '.join(FORMATS)}")
    # no bbox_inches="tight": every figure is laid out with tight_layout, and the file keeps the
    # figure's exact size (figsize x dpi pixels), which callers can rely on
    fig.savefig(path, dpi=dpi)
    plt.close(fig)


# ----------------------------------------------------------------------------- slices


@dataclass
class SlicePanel:
    """One video's row of a slice figure."""

    label: str
    frame: np.ndarray  # first frame of the time range (H, W, 3), for the line overlay
    slice: np.ndarray  # (L, T*width, 3) from msi.plots.slices.extract_slice
    pos: int  # pixel position of the line in the frame
    fps: float
    start_frame: int = 0
    width: int = 1  # columns per frame in ``slice``
    orientation: str = "vertical"
    span: tuple[int, int] | None = None  # rows of the line kept (crop), None = all


def slice_figure(panels: Sequence[SlicePanel], title: str | None = None, column_inches: float = 0.045) -> Figure:
    """Each video as one row: its first frame with the sampled line drawn, then the slice over time.

    Rows share the time axis (seconds), so jitter in one video lines up with the calm of another.
    Jitter shows as jagged, saw-toothed edges in the slice; a stable video has smooth edges.
    """
    n = len(panels)
    t_max = max(p.start_frame / p.fps + p.slice.shape[1] / p.width / p.fps for p in panels)
    t_min = min(p.start_frame / p.fps for p in panels)
    frame_w = max(p.frame.shape[1] / p.frame.shape[0] for p in panels)  # aspect of the thumbnails
    n_cols = max(p.slice.shape[1] for p in panels)
    slice_w = float(np.clip(n_cols * column_inches, 4.0, 12.0))
    row_h = 1.9
    fig, axes = plt.subplots(
        n, 2, figsize=(row_h * frame_w + slice_w + 0.8, row_h * n + 0.7 + (0.3 if title else 0)),
        gridspec_kw={"width_ratios": [row_h * frame_w, slice_w]}, squeeze=False, sharex="col",
    )
    for (ax_f, ax_s), p in zip(axes, panels):
        h, w = p.frame.shape[:2]
        ax_f.imshow(p.frame, interpolation="nearest")
        lo, hi = p.span if p.span is not None else (0, h if p.orientation == "vertical" else w)
        if p.orientation == "vertical":
            ax_f.add_patch(Rectangle((p.pos - p.width // 2 - 0.5, lo - 0.5), p.width, hi - lo,
                                     fill=False, edgecolor=LINE_COLOUR, linewidth=1.2))
        else:
            ax_f.add_patch(Rectangle((lo - 0.5, p.pos - p.width // 2 - 0.5), hi - lo, p.width,
                                     fill=False, edgecolor=LINE_COLOUR, linewidth=1.2))
        ax_f.set_xticks([])
        ax_f.set_yticks([])
        ax_f.set_ylabel(p.label, fontsize=11, fontweight="bold")
        axis = "x" if p.orientation == "vertical" else "y"
        ax_f.set_title(f"frame {p.start_frame}, {axis} = {p.pos} px", fontsize=8)
        t0 = p.start_frame / p.fps
        t1 = t0 + p.slice.shape[1] / p.width / p.fps
        ax_s.imshow(p.slice, aspect="auto", interpolation="nearest", extent=(t0, t1, hi - 0.5, lo - 0.5))
        ax_s.set_xlim(t_min, t_max)
        ax_s.set_ylabel("y (px)" if p.orientation == "vertical" else "x (px)", fontsize=9)
        ax_s.tick_params(labelsize=8)
    axes[-1, 1].set_xlabel("time (s)")
    axes[0, 1].set_title(
        f"{'vertical' if panels[0].orientation == 'vertical' else 'horizontal'} slice over time "
        "(jagged edges = jitter)", fontsize=10)
    if title:
        fig.suptitle(title, fontsize=12)
    fig.tight_layout()
    return fig


# ----------------------------------------------------------------------------- correlation


def _stars(p: float) -> str:
    return "***" if p < 0.001 else "**" if p < 0.01 else "*" if p < 0.05 else ""


def scatter_figure(data: pd.DataFrame, tidy: pd.DataFrame, metrics: Sequence[str], subjective: Sequence[str],
                   title: str | None = None) -> Figure:
    """Metric (x) against subjective score (y) for every pair, with the least-squares line.

    Each panel's title gives Pearson r with its 95% CI, p and n from the tidy correlation table
    (:func:`msi.correlate.correlate`), the numbers of StableFace Table IV.
    """
    rows, cols = len(subjective), len(metrics)
    fig, axes = plt.subplots(rows, cols, figsize=(3.4 * cols + 0.4, 3.0 * rows + 0.4), squeeze=False)
    pear = tidy[tidy["method"] == "pearson"].set_index(["subjective", "metric"])
    for i, s in enumerate(subjective):
        for j, m in enumerate(metrics):
            ax = axes[i, j]
            x, y = data[m].to_numpy(float), data[s].to_numpy(float)
            ax.scatter(x, y, s=18, alpha=0.75, color="#444444", edgecolor="white", linewidth=0.4)
            slope, icpt = np.polyfit(x, y, 1)
            xs = np.linspace(x.min(), x.max(), 50)
            ax.plot(xs, slope * xs + icpt, color=REGION_COLOURS["lip"], linewidth=1.6)
            row = pear.loc[(s, m)]
            ax.set_title(f"r = {row['r']:.3f} [{row['ci_low']:.2f}, {row['ci_high']:.2f}]{_stars(row['p_val'])}"
                         f"\np = {row['p_val']:.2g}, n = {int(row['n'])}", fontsize=9)
            ax.set_xlabel(m)
            if j == 0:
                ax.set_ylabel(s)
            ax.grid(alpha=0.3)
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return fig


# ----------------------------------------------------------------------------- timeline


def worst_windows(timeline: pd.DataFrame, k: int = 3) -> pd.DataFrame:
    """The ``k`` most jittery used windows: lowest mean of MSI-Lip and MSI-Jaw, chosen greedily so
    that no two overlap (windows hop by half their length, so neighbours would repeat a spot)."""
    used = timeline[~timeline["skipped"].astype(bool)].copy()
    used["msi_mean"] = used[["msi_lip", "msi_jaw"]].mean(axis=1)
    picked: list = []
    for i, w in used.sort_values("msi_mean").iterrows():
        if len(picked) >= k:
            break
        if all(w["end_s"] <= used.loc[j, "start_s"] or w["start_s"] >= used.loc[j, "end_s"] for j in picked):
            picked.append(i)
    return used.loc[picked]


def _merge_spans(spans: list[tuple[float, float]]) -> list[tuple[float, float]]:
    """Union of overlapping [start, end] intervals, so overlapping windows shade once."""
    out: list[list[float]] = []
    for lo, hi in sorted(spans):
        if out and lo <= out[-1][1]:
            out[-1][1] = max(out[-1][1], hi)
        else:
            out.append([lo, hi])
    return [(lo, hi) for lo, hi in out]


def timeline_figure(timeline: pd.DataFrame, fps: float, acc: dict[str, np.ndarray] | None = None,
                    msi: dict[str, float] | None = None, worst: int = 3, title: str | None = None) -> Figure:
    """Per-window MSI of lips and jaw over time, and the region's acceleration traces below.

    ``timeline`` has the columns of ``ScoreResult.timeline`` (start_s, end_s, msi_lip, msi_jaw,
    skipped). ``acc`` maps a region to the acceleration magnitudes ``||a_t||`` (T-2, N) of its
    landmarks in normalised pixels per frame^2 (frame t+1 is the centre of a_t). The ``worst``
    windows (lowest MSI, not overlapping) are shaded and numbered on every panel so the jittery
    seconds stand out; windows skipped for lack of a face are shaded grey.
    """
    regions = list(acc) if acc else []
    fig, axes = plt.subplots(1 + len(regions), 1, figsize=(10, 2.9 + 2.1 * len(regions)), sharex=True,
                             squeeze=False, gridspec_kw={"height_ratios": [1.3] + [1] * len(regions)})
    axes = axes[:, 0]
    skipped_mask = timeline["skipped"].astype(bool)
    bad = worst_windows(timeline, worst) if worst else timeline.iloc[:0]
    no_face = _merge_spans(list(zip(timeline.loc[skipped_mask, "start_s"], timeline.loc[skipped_mask, "end_s"])))
    ax = axes[0]
    centre = (timeline["start_s"] + timeline["end_s"]) / 2
    for r in ("lip", "jaw"):
        lab = f"MSI-{r.capitalize()}" + (f" (clip: {msi[r]:.3f})" if msi and r in msi else "")
        ax.plot(centre, timeline[f"msi_{r}"], "o-", color=REGION_COLOURS[r], markersize=3.5, linewidth=1.3, label=lab)
    top = np.nanmax(timeline[["msi_lip", "msi_jaw"]].to_numpy(float)) if (~skipped_mask).any() else 2.0
    ax.set_ylim(0, min(2.1, 1.45 * top))  # MSI lies in (0, 2]; headroom for the legend
    ax.set_ylabel("MSI per window\n(higher = steadier)")
    ax.grid(alpha=0.3)
    ax.set_title(title or "Motion Stability Index over time", fontsize=11)
    for ax_r, r in zip(axes[1:], regions):
        a = np.asarray(acc[r], dtype=np.float64)
        t = (np.arange(a.shape[0]) + 1) / fps
        ax_r.plot(t, a, color=REGION_COLOURS.get(r, "#444444"), alpha=0.18, linewidth=0.6)
        with np.errstate(invalid="ignore"), warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN frames (no face) stay gaps
            mean = np.nanmean(a, axis=1)
        ax_r.plot(t, mean, color="black", linewidth=1.2, label=f"mean over {a.shape[1]} {r} landmarks")
        ax_r.set_ylabel(f"{r} |acceleration|\n(px/frame², normalised)")
        ax_r.grid(alpha=0.3)
        ax_r.legend(loc="upper right", fontsize=8)
    for ax_any in axes:
        for lo, hi in no_face:
            ax_any.axvspan(lo, hi, color="#999999", alpha=0.2, linewidth=0)
        for rank, (_, w) in enumerate(bad.iterrows(), 1):
            ax_any.axvspan(w["start_s"], w["end_s"], color="#ffb000", alpha=0.25, linewidth=0)
            if ax_any is axes[0]:
                ax_any.text((w["start_s"] + w["end_s"]) / 2, 0.03, f"#{rank}", ha="center", va="bottom", fontsize=9,
                            fontweight="bold", transform=ax_any.get_xaxis_transform())
    handles, _ = ax.get_legend_handles_labels()
    if no_face:
        handles.append(Patch(color="#999999", alpha=0.4, label=f"skipped: face lost ({int(skipped_mask.sum())} windows)"))
    if len(bad):
        handles.append(Patch(color="#ffb000", alpha=0.5, label=f"{len(bad)} worst window(s), #1 = lowest MSI"))
    ax.legend(handles=handles, loc="upper left", fontsize=8, ncol=4, framealpha=0.9)
    axes[-1].set_xlabel("time (s)")
    fig.tight_layout()
    return fig

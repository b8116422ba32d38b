"""Summaries of repeated runs: mean with a 95% confidence interval, and paired differences.

Pure: tidy DataFrames in (one row per run), tidy DataFrames out (one row per variant x metric),
in the style of ``pingouin``.

* Mean over seeds with Student's t interval: ``mean ± t_{0.975, n-1} · s / sqrt(n)`` where ``s``
  is the sample standard deviation (ddof = 1). With n = 1 the interval is undefined (NaN).
* Paired difference against a reference variant (runs paired by ``seed``: same data, same seed,
  one component switched off): ``d_i = x_i(variant) - x_i(reference)``, mean ± the t interval of
  the ``d_i`` and the two-sided paired t-test p-value (``scipy.stats.ttest_rel``).
"""
from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from msi.compare import mean_ci  # one home for the t-interval (``msi compare`` uses it per method)

CONFIDENCE = 0.95


def summarise(runs: pd.DataFrame, metrics: Sequence[str], by: str = "variant",
              confidence: float = CONFIDENCE) -> pd.DataFrame:
    """One row per (``by``, metric): ``n``, ``mean``, ``ci_low``, ``ci_high`` over the runs."""
    rows = []
    for key, group in runs.groupby(by, sort=False):
        for metric in metrics:
            if metric not in group:
                continue
            m, lo, hi, n = mean_ci(group[metric].to_numpy(dtype=np.float64), confidence)
            rows.append({by: key, "metric": metric, "n": n, "mean": m, "ci_low": lo, "ci_high": hi})
    return pd.DataFrame(rows, columns=[by, "metric", "n", "mean", "ci_low", "ci_high"])


def paired_differences(runs: pd.DataFrame, metrics: Sequence[str], reference: str, by: str = "variant",
                       pair_on: str = "seed", confidence: float = CONFIDENCE) -> pd.DataFrame:
    """Each variant minus ``reference``, paired on ``pair_on``: mean difference, its t interval,
    the paired t-test p-value and the number of pairs."""
    from scipy import stats

    cols = [by, "metric", "n_pairs", "mean_diff", "ci_low", "ci_high", "p"]
    ref = runs[runs[by] == reference].set_index(pair_on)
    rows = []
    for key, group in runs.groupby(by, sort=False):
        if key == reference:
            continue
        g = group.set_index(pair_on)
        common = g.index.intersection(ref.index)
        for metric in metrics:
            if metric not in g or metric not in ref:
                continue
            a = g.loc[common, metric].to_numpy(dtype=np.float64)
            b = ref.loc[common, metric].to_numpy(dtype=np.float64)
            ok = np.isfinite(a) & np.isfinite(b)
            d = a[ok] - b[ok]
            m, lo, hi, n = mean_ci(d, confidence)
            p = float(stats.ttest_rel(a[ok], b[ok]).pvalue) if n >= 2 and np.ptp(d) > 0 else float("nan")
            rows.append({by: key, "metric": metric, "n_pairs": n, "mean_diff": m, "ci_low": lo, "ci_high": hi, "p": p})
    return pd.DataFrame(rows, columns=cols)


def format_cell(mean: float, lo: float, hi: float, digits: int = 3) -> str:
    """``0.412 ± 0.031`` (half-width of a symmetric interval), or the mean alone when n = 1."""
    if not np.isfinite(mean):
        return "—"
    if not (np.isfinite(lo) and np.isfinite(hi)):
        return f"{mean:.{digits}f}"
    return f"{mean:.{digits}f} ± {(hi - lo) / 2:.{digits}f}"

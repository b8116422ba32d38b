"""The statistics of the toolkit, in one place: confidence intervals, paired tests, the bootstrap
over videos, correlation intervals and the minimum detectable difference.

Pure functions (arrays or tidy DataFrames in, numbers or tidy DataFrames out, in the style of
``pingouin``), used by ``msi compare`` (per method), ``msi correlate`` (Table IV), FID/FVD (set
metrics) and ``stableface bench`` (over seeds).

* **Mean and its t interval**: ``mean ± t_{(1+c)/2, n-1} · s / sqrt(n)``, ``s`` the sample
  standard deviation (ddof = 1); undefined (NaN) for n < 2.
* **Paired differences** (runs paired by seed, videos by name): the t interval of the
  differences with the two-sided paired t-test (``scipy.stats.ttest_rel``), or the Wilcoxon
  signed-rank test where normality is not assumed.
* **Bootstrap over videos** of a set-level statistic (FID, FVD): the percentile interval
  (Efron & Tibshirani, "An Introduction to the Bootstrap", 1993) with the video as the unit.
* **Correlation intervals** by the Fisher transform, each coefficient with its own standard error.
* **Minimum detectable difference** of a paired t-test at a given power.
"""
from __future__ import annotations

import math
import warnings
from collections.abc import Callable, Sequence

import numpy as np
import pandas as pd

#: The confidence level of every interval unless told otherwise.
CONFIDENCE = 0.95
#: Bootstrap resamples for a set-level metric's interval.
BOOTSTRAP_RESAMPLES = 200


# ----------------------------------------------------------------------------- one sample


def mean_ci(values, level: float = CONFIDENCE) -> tuple[float, float, float, int]:
    """Mean and its t-based confidence interval: mean ± t_{(1+level)/2, n−1} · s / √n (s: sample
    standard deviation); (mean, low, high, n) over the finite values; the interval is NaN for n < 2."""
    from scipy import stats

    x = np.asarray(values, dtype=np.float64)
    x = x[np.isfinite(x)]
    n = len(x)
    if n == 0:
        return math.nan, math.nan, math.nan, 0
    m = float(x.mean())
    if n < 2:
        return m, math.nan, math.nan, 1
    h = float(stats.t.ppf((1 + level) / 2, n - 1) * x.std(ddof=1) / math.sqrt(n))
    return m, m - h, m + h, n


def summarize_groups(runs: pd.DataFrame, metrics: Sequence[str], by: str = "variant",
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


# ----------------------------------------------------------------------------- paired


def paired_wilcoxon(a, b) -> tuple[float, int]:
    """Two-sided Wilcoxon signed-rank p of paired values (pairs with both finite); (p, n pairs).
    p is NaN with fewer than 2 pairs or when every difference is zero (nothing to rank)."""
    from scipy import stats

    x, y = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    ok = np.isfinite(x) & np.isfinite(y)
    x, y = x[ok], y[ok]
    n = int(len(x))
    if n < 2 or np.all(x == y):
        return math.nan, n
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return float(stats.wilcoxon(x, y).pvalue), n


def paired_differences(runs: pd.DataFrame, metrics: Sequence[str], reference: str, by: str = "variant",
                       pair_on: str = "seed", confidence: float = CONFIDENCE) -> pd.DataFrame:
    """Each ``by`` group minus ``reference``, paired on ``pair_on``: ``d_i = x_i(group) − x_i(reference)``,
    mean difference, its t interval, the paired t-test p-value and the number of pairs."""
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


def minimum_detectable(d: np.ndarray, confidence: float = CONFIDENCE, power: float = 0.8) -> float:
    """Smallest true paired difference a two-sided paired t-test at ``confidence`` detects with
    ``power`` from pairs like ``d``: (t_{1-a/2, n-1} + t_{power, n-1}) s_d / sqrt(n)."""
    from scipy import stats

    d = d[np.isfinite(d)]
    if len(d) < 2:
        return float("nan")
    df = len(d) - 1
    return float((stats.t.ppf(0.5 + confidence / 2, df) + stats.t.ppf(power, df)) * d.std(ddof=1) / np.sqrt(len(d)))


# ----------------------------------------------------------------------------- bootstrap


def bootstrap_set_metric(items: Sequence[np.ndarray], reference: Sequence[np.ndarray],
                         statistic: Callable[[np.ndarray, np.ndarray], float],
                         resamples: int = BOOTSTRAP_RESAMPLES, level: float = CONFIDENCE,
                         seed: int = 0) -> tuple[float, float, float]:
    """(value, low, high): ``statistic`` of the pooled rows of ``items`` (one array of feature rows
    per video) against the pooled ``reference``, and the percentile interval of the same statistic
    over ``resamples`` bootstrap draws that resample the videos of both sets with replacement
    (the video, not the frame, is the unit: frames of one video are not independent). The interval
    is NaN with fewer than 2 videos on either side or ``resamples`` = 0."""
    items = [np.asarray(x) for x in items if len(x)]
    reference = [np.asarray(x) for x in reference if len(x)]
    value = statistic(np.concatenate(items), np.concatenate(reference))
    if resamples <= 0 or len(items) < 2 or len(reference) < 2 or not math.isfinite(value):
        return value, math.nan, math.nan
    rng = np.random.default_rng(seed)
    draws = []
    for _ in range(resamples):
        x = np.concatenate([items[i] for i in rng.integers(0, len(items), len(items))])
        y = np.concatenate([reference[i] for i in rng.integers(0, len(reference), len(reference))])
        draws.append(statistic(x, y))
    lo, hi = np.nanpercentile(draws, [50 * (1 - level), 50 * (1 + level)])
    return value, float(lo), float(hi)


# ----------------------------------------------------------------------------- correlation


def fisher_ci(r: float, n: int, method: str = "pearson", confidence: float = CONFIDENCE) -> tuple[float, float]:
    """Confidence interval of a correlation via the Fisher transform ``z = atanh(r)``.

    ``tanh(z +- z_{(1+c)/2} * se)`` with the standard error of each coefficient:
    Pearson ``1 / sqrt(n - 3)`` (Fisher 1921); Spearman ``sqrt((1 + r^2 / 2) / (n - 3))`` (Bonett &
    Wright, Psychometrika 65, 2000); Kendall tau-b ``sqrt(0.437 / (n - 4))`` (Fieller, Hartley &
    Pearson, Biometrika 44, 1957). Too few rows for the formula give [-1, 1].
    """
    from scipy.stats import norm

    if not np.isfinite(r):
        return float("nan"), float("nan")
    dof = n - (4 if method == "kendall" else 3)
    if dof <= 0:
        return -1.0, 1.0
    se = {"pearson": 1.0, "spearman": np.sqrt(1 + r * r / 2), "kendall": np.sqrt(0.437)}[method] / np.sqrt(dof)
    crit = norm.ppf((1 + confidence) / 2)
    z = np.arctanh(np.clip(r, -1 + 1e-15, 1 - 1e-15))
    return float(np.tanh(z - crit * se)), float(np.tanh(z + crit * se))


# ----------------------------------------------------------------------------- display


def format_cell(mean: float, lo: float, hi: float, digits: int = 3) -> str:
    """``0.412 ± 0.031`` (half-width of a symmetric interval), or the mean alone when n = 1."""
    if not np.isfinite(mean):
        return "—"
    if not (np.isfinite(lo) and np.isfinite(hi)):
        return f"{mean:.{digits}f}"
    return f"{mean:.{digits}f} ± {(hi - lo) / 2:.{digits}f}"

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
* **Paired bootstrap** of a statistic over the same items (``msi correlate``'s difference of two
  correlations): the percentile interval and the two-sided bootstrap p-value.
* **Correlation** (Pearson's r of the finite pairs, vectorised over bootstrap rows) and intervals
  by the Fisher transform, each coefficient with its own standard error; the ratio of two spreads.
* **Repeatability limit** of repeated measurements, ``1.96 · sqrt(2) · s`` (Bland & Altman 1986):
  the 95 % limit of the difference of two (``msi noise-floor``).
* **Minimum detectable difference** of a paired t-test at a given power.

What lives elsewhere, and why: the study's screening of raters (ITU-R BT.500) and its panel
correlation are in :mod:`msi.study.analysis`, next to the ratings they read.
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


def bootstrap_indices(n: int, resamples: int, seed: int | None = 0) -> np.ndarray:
    """(resamples, n) indices of items drawn with replacement: the rows of a paired bootstrap
    (every statistic of one draw reads the same items)."""
    return np.random.default_rng(seed).integers(0, n, size=(resamples, n))


def percentile_interval(draws: np.ndarray, confidence: float = CONFIDENCE) -> tuple[float, float]:
    """The percentile interval of bootstrap ``draws`` (Efron & Tibshirani 1993): their
    ``(1 - c) / 2`` and ``(1 + c) / 2`` quantiles."""
    alpha = (1 - confidence) / 2
    lo, hi = np.quantile(draws, [alpha, 1 - alpha])
    return float(lo), float(hi)


def bootstrap_p(draws: np.ndarray) -> float:
    """Two-sided bootstrap p-value of "the statistic is 0": twice the smaller share of ``draws``
    on either side of 0, at most 1."""
    d = np.asarray(draws)
    return float(min(1.0, 2 * min((d <= 0).mean(), (d >= 0).mean())))


# ----------------------------------------------------------------------------- correlation


def row_correlations(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    r"""Pearson's r of matching rows of (B, n) arrays, vectorised over rows (bootstrap draws):
    :math:`r = \sum x_c y_c / \sqrt{\sum x_c^2 \sum y_c^2}` with :math:`x_c, y_c` centred; NaN
    for a constant row."""
    xc = x - x.mean(axis=-1, keepdims=True)
    yc = y - y.mean(axis=-1, keepdims=True)
    with np.errstate(invalid="ignore", divide="ignore"):
        return (xc * yc).sum(-1) / np.sqrt((xc**2).sum(-1) * (yc**2).sum(-1))


def pearson(x, y, min_pairs: int = 3) -> float:
    """Pearson's r of the pairs where both values are finite; NaN with fewer than ``min_pairs``
    of them or a constant side."""
    x, y = np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64)
    ok = np.isfinite(x) & np.isfinite(y)
    if ok.sum() < min_pairs or np.std(x[ok]) == 0 or np.std(y[ok]) == 0:
        return float("nan")
    return float(np.corrcoef(x[ok], y[ok])[0, 1])


def std_ratio(x, reference) -> float:
    """The spread of ``x`` over that of ``reference`` (population std of the finite values of
    each): 1 moves as much, 0.5 half as much; NaN when either has no finite value or the
    reference does not move."""
    x, reference = np.asarray(x, dtype=np.float64), np.asarray(reference, dtype=np.float64)
    if not (np.isfinite(x).any() and np.isfinite(reference).any()) or np.nanstd(reference) == 0:
        return float("nan")
    return float(np.nanstd(x) / np.nanstd(reference))


# ----------------------------------------------------------------------------- repeated measurements


def repeatability_limit(values) -> float:
    """``1.96 · sqrt(2) · s``, ``s`` the std (ddof 1) of the finite values of repeated measurements
    of one thing: the 95 % limit of the difference of two of them (Bland & Altman, Lancet 1986);
    NaN with fewer than 2 of them."""
    v = np.asarray([x for x in values if np.isfinite(x)], dtype=np.float64)
    return float(1.96 * math.sqrt(2) * v.std(ddof=1)) if v.size >= 2 else float("nan")




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


# ----------------------------------------------------------------------------- opinion scores
#
# The statistics of user studies (``msi study analyze``): a share with its exact interval and the
# sign test of a preference, Krippendorff's alpha and the intraclass correlation. The MOS and its
# interval are :func:`mean_ci` over the grades.


def share_ci(k: int, n: int, level: float = CONFIDENCE) -> tuple[float, float, float]:
    """(k / n, low, high): a proportion with its Clopper-Pearson ("exact") interval
    (Clopper & Pearson, Biometrika 26, 1934), the beta quantiles
    ``B((1-c)/2; k, n-k+1)`` and ``B((1+c)/2; k+1, n-k)``; NaN for n = 0."""
    from scipy import stats

    if n <= 0:
        return math.nan, math.nan, math.nan
    ci = stats.binomtest(int(k), int(n)).proportion_ci(level, method="exact")
    return k / n, float(ci.low), float(ci.high)


def sign_test(wins: int, losses: int) -> float:
    """Two-sided sign test of a paired preference: the exact binomial p of ``wins`` out of
    ``wins + losses`` against 1/2 (ties, "no preference", are left out as the sign test does;
    Conover, "Practical Nonparametric Statistics", 3rd ed. 1999, §3.4). NaN with no untied pair."""
    from scipy import stats

    n = int(wins) + int(losses)
    if n == 0:
        return math.nan
    return float(stats.binomtest(int(wins), n, 0.5).pvalue)


def _alpha_distance(values: np.ndarray, counts: np.ndarray, level: str) -> np.ndarray:
    """Squared difference δ²(c, k) of Krippendorff's alpha between every pair of values."""
    c, k = np.meshgrid(np.arange(len(values)), np.arange(len(values)), indexing="ij")
    if level == "nominal":
        return (c != k).astype(np.float64)
    if level == "interval":
        return (values[:, None] - values[None, :]) ** 2
    if level == "ordinal":  # (sum_{g=c}^{k} n_g - (n_c + n_k) / 2)^2 over the ranks between c and k
        cum = np.concatenate([[0.0], np.cumsum(counts)])
        lo, hi = np.minimum(c, k), np.maximum(c, k)
        return (cum[hi + 1] - cum[lo] - (counts[c] + counts[k]) / 2) ** 2
    raise ValueError(f"level must be nominal, ordinal or interval, got {level!r}")


def krippendorff_alpha(reliability: np.ndarray, level: str = "ordinal") -> float:
    """Krippendorff's alpha of a (raters, units) matrix of values, NaN where a rater did not rate.

    ``alpha = 1 - D_o / D_e = 1 - (n - 1) Σ_ck o_ck δ²_ck / Σ_ck n_c n_k δ²_ck`` over the
    coincidence matrix ``o_ck = Σ_u (number of c-k pairs of values in unit u) / (m_u - 1)``
    (pairs from different raters; units with fewer than 2 values are not pairable and left out),
    its marginals ``n_c`` and their total ``n``; ``δ²`` is the metric of the ``level``: nominal
    (0/1), ordinal (``(Σ_{g=c}^{k} n_g - (n_c + n_k)/2)²``) or interval (``(c - k)²``).
    Krippendorff, "Content Analysis", 2nd ed. 2004, ch. 11; "Computing Krippendorff's
    Alpha-Reliability", 2011. 1 is perfect agreement, 0 agreement by chance. NaN when fewer than
    two pairable values or only one value occurs.
    """
    data = np.asarray(reliability, dtype=np.float64)
    if data.ndim != 2:
        raise ValueError("reliability must be a (raters, units) matrix")
    values = np.unique(data[np.isfinite(data)])
    if len(values) < 2:
        return math.nan
    # counts[u, c]: how many raters gave value c to unit u
    counts = np.stack([(data == v).sum(axis=0) for v in values], axis=1).astype(np.float64)
    m = counts.sum(axis=1)
    counts, m = counts[m >= 2], m[m >= 2]
    if len(m) == 0:
        return math.nan
    weighted = counts / (m - 1)[:, None]
    o = weighted.T @ counts - np.diag(weighted.sum(axis=0))
    n_c = o.sum(axis=1)
    n = n_c.sum()
    d2 = _alpha_distance(values, n_c, level)
    expected = (np.outer(n_c, n_c) * d2).sum()
    if expected == 0:
        return math.nan
    return float(1 - (n - 1) * (o * d2).sum() / expected)


def icc(ratings: pd.DataFrame, targets: str, raters: str, values: str) -> pd.DataFrame:
    """The six intraclass correlations of Shrout & Fleiss (Psychological Bulletin 86, 1979) from
    :func:`pingouin.intraclass_corr` (long table: one row per target × rater): ICC(1,1)
    (one-way random), ICC(2,1) (two-way random, absolute agreement), ICC(3,1) (two-way mixed,
    consistency) and their means over k raters, named as pingouin names them; columns ``type, icc, ci_low,
    ci_high, p, n_targets, n_raters``. Targets not rated by every rater are left out (the formulas
    need a complete design); an empty table when fewer than 2 targets or raters remain."""
    import pingouin as pg

    cols = ["type", "icc", "ci_low", "ci_high", "p", "n_targets", "n_raters"]
    wide = ratings.pivot_table(index=targets, columns=raters, values=values, aggfunc="mean").dropna(axis=0)
    if wide.shape[0] < 2 or wide.shape[1] < 2 or wide.size < 5 or np.nanstd(wide.to_numpy()) == 0:  # pingouin needs 5
        return pd.DataFrame(columns=cols)
    long = wide.reset_index().melt(id_vars=targets, var_name=raters, value_name=values)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = pg.intraclass_corr(long, targets=targets, raters=raters, ratings=values)
    ci = np.stack(res["CI95"].to_numpy()) if "CI95" in res else np.stack(res["CI95%"].to_numpy())
    return pd.DataFrame({"type": res["Type"], "icc": res["ICC"].astype(float), "ci_low": ci[:, 0], "ci_high": ci[:, 1],
                         "p": res["pval"].astype(float), "n_targets": wide.shape[0], "n_raters": wide.shape[1]})[cols]

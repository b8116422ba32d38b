"""Agreement of metrics with human opinion scores (StableFace Table IV), as tidy DataFrames.

StableFace (Ling et al., arXiv:2208.13717) validates MSI by the Pearson correlation between
each video's metric value and its subjective motion-stability score (Table IV: 0.424 for
MSI-Lip, 0.438 for MSI-Jaw, -0.157 to 0.378 for plain landmark statistics). This module computes,
for every metric x subjective pair of a one-row-per-video table:

* Pearson ``r = sum (x - mx)(y - my) / sqrt(sum (x - mx)^2 sum (y - my)^2)``, its two-sided
  p-value and 95% confidence interval from the Fisher transform
  ``tanh(atanh(r) +- z_{0.975} / sqrt(n - 3))``;
* Spearman's rho (Pearson of the ranks) and Kendall's tau-b with their p-values and Fisher-z
  intervals using each coefficient's own standard error (see :func:`fisher_ci`);

coefficients and p-values through :func:`pingouin.corr`, and a paired bootstrap of the difference of two correlations measured on the same videos
(Efron & Tibshirani, "An Introduction to the Bootstrap", 1993, percentile interval).

Pure: DataFrames in, DataFrames and numbers out. Input problems raise :class:`BadTable`
(an :class:`msi.errors.MSIError`) with a one-line message.
"""
from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from msi.errors import MSIError
from msi.stats import bootstrap_indices, bootstrap_p, fisher_ci, percentile_interval, row_correlations

METHODS = ("pearson", "spearman", "kendall")
#: Column names recognised as subjective scores when none are named.
DEFAULT_SUBJECTIVE = ("motion_stability", "lip_sync", "realness", "mos", "stability")
#: Metric columns used when none are named.
DEFAULT_METRICS = ("msi_lip", "msi_jaw")
#: Columns tried, in order, as the video key.
KEY_COLUMNS = ("path", "video", "file", "name")
MIN_ROWS = 3


class BadTable(MSIError):
    """The scores table cannot be used as given (missing/non-numeric/constant column, ...)."""

    kind = "bad_table"


@dataclass
class CleanTable:
    """A validated table: numeric columns only where asked, NaN rows dropped and counted."""

    data: pd.DataFrame
    metrics: list[str]
    subjective: list[str]
    key: str | None
    dropped: int = 0
    notes: list[str] = field(default_factory=list)


def find_key(df: pd.DataFrame, key: str | None = None) -> str | None:
    """The video-key column: ``key`` if given (must exist), else the first of :data:`KEY_COLUMNS`."""
    if key is not None:
        if key not in df.columns:
            raise BadTable(f"no key column {key!r}; columns are: {', '.join(map(str, df.columns))}")
        return key
    return next((c for c in KEY_COLUMNS if c in df.columns), None)


def pick_columns(df: pd.DataFrame, named: Sequence[str] | None, defaults: Sequence[str], what: str) -> list[str]:
    """Named columns (all must exist) or, when none are named, the defaults that exist."""
    cols = list(df.columns)
    if named:
        missing = [c for c in named if c not in cols]
        if missing:
            raise BadTable(f"no {what} column {', '.join(map(repr, missing))}; columns are: {', '.join(map(str, cols))}")
        return list(dict.fromkeys(named))
    found = [c for c in defaults if c in cols]
    if not found:
        raise BadTable(
            f"no {what} columns found (looked for {', '.join(defaults)}; name them with "
            f"--{'subjective' if what == 'subjective' else 'metric'}); columns are: {', '.join(map(str, cols))}"
        )
    return found


def clean_table(
    df: pd.DataFrame,
    metrics: Sequence[str] | None = None,
    subjective: Sequence[str] | None = None,
    key: str | None = None,
    min_rows: int = MIN_ROWS,
) -> CleanTable:
    """Validate a one-row-per-video table for :func:`correlate`.

    Checks, each failing with a one-line :class:`BadTable`: the named columns exist (the message
    lists the columns that do), cells are numeric (the first offending cell is quoted), video keys
    are not duplicated, at least ``min_rows`` rows remain after dropping rows with a NaN in any used
    column (the number dropped is returned in ``dropped``), and no used column is constant
    (a correlation with a constant is undefined).
    """
    if df.empty:
        raise BadTable("the table has no rows")
    key_col = find_key(df, key)
    subj = pick_columns(df, subjective, DEFAULT_SUBJECTIVE, "subjective")
    mets = pick_columns(df, metrics, DEFAULT_METRICS, "metric")
    overlap = set(subj) & set(mets)
    if overlap:
        raise BadTable(f"column(s) {', '.join(sorted(overlap))} named both as metric and as subjective")
    if key_col is not None:
        keys = df[key_col].astype(str)
        dup = keys[keys.duplicated()]
        if len(dup):
            raise BadTable(f"duplicate video rows in {key_col!r}: {', '.join(sorted(set(dup))[:5])}")
    used = subj + mets
    data = pd.DataFrame(index=df.index)
    for c in used:
        col = df[c]
        num = pd.to_numeric(col, errors="coerce")
        bad = num.isna() & col.notna()  # read_csv already turned empty/NA cells into NaN
        if bad.any():
            i = bad.idxmax()
            row = f"{key_col}={df.loc[i, key_col]}" if key_col else f"row {i}"
            raise BadTable(f"column {c!r} is not numeric: {df.loc[i, c]!r} ({row})")
        data[c] = num.astype(np.float64)
    finite = np.isfinite(data.to_numpy()).all(axis=1)
    dropped = int((~finite).sum())
    per_col = {c: int((~np.isfinite(data[c].to_numpy())).sum()) for c in used}
    if key_col is not None:
        data.insert(0, key_col, df[key_col])
    data = data[finite].reset_index(drop=True)
    missing = [f"{c}: {k}" for c, k in per_col.items() if k]
    where = ", ".join(missing[:4]) + (f", and {len(missing) - 4} more columns" if len(missing) > 4 else "")
    notes = [f"dropped {dropped} row(s) with missing values ({where})"] if dropped else []
    if len(data) < min_rows:
        raise BadTable(f"only {len(data)} usable row(s) (need at least {min_rows}; {dropped} dropped for missing values)")
    for c in used:
        if np.ptp(data[c].to_numpy()) == 0:
            raise BadTable(f"column {c!r} is constant ({data[c].iloc[0]:g}): correlation is undefined")
    return CleanTable(data=data, metrics=mets, subjective=subj, key=key_col, dropped=dropped, notes=notes)


def corr_pair(x: np.ndarray, y: np.ndarray, method: str = "pearson", confidence: float = 0.95) -> dict[str, float]:
    """One correlation: ``{n, r, ci_low, ci_high, p_val}`` (rows with NaN dropped).

    ``r`` and the two-sided ``p_val`` come from :func:`pingouin.corr`; the interval from
    :func:`fisher_ci` (pingouin's own CI95 is rounded to 2 decimals and uses the Pearson standard
    error for every method).
    """
    import pingouin as pg

    if method not in METHODS:
        raise ValueError(f"method must be one of {METHODS}, got {method!r}")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # constant input: r is NaN, reported as such
        res = pg.corr(np.asarray(x, float), np.asarray(y, float), method=method).iloc[0]
    n, r = int(res["n"]), float(res["r"])
    lo, hi = fisher_ci(r, n, method, confidence)
    return {"n": n, "r": r, "ci_low": lo, "ci_high": hi, "p_val": float(res["p_val"])}


def correlate(
    table: pd.DataFrame | CleanTable,
    metrics: Sequence[str] | None = None,
    subjective: Sequence[str] | None = None,
    methods: Sequence[str] = METHODS,
    confidence: float = 0.95,
) -> pd.DataFrame:
    """Every metric x subjective x method correlation, as a tidy DataFrame.

    Columns: ``subjective, metric, method, n, r, ci_low, ci_high, p_val``; one row per
    combination, in the order subjective, metric, method. A raw DataFrame is validated with
    :func:`clean_table` first.
    """
    t = table if isinstance(table, CleanTable) else clean_table(table, metrics, subjective)
    rows = []
    for s in t.subjective:
        for m in t.metrics:
            for method in methods:
                rows.append({"subjective": s, "metric": m, "method": method,
                             **corr_pair(t.data[m], t.data[s], method, confidence)})
    return pd.DataFrame(rows, columns=["subjective", "metric", "method", "n", "r", "ci_low", "ci_high", "p_val"])


def wide(tidy: pd.DataFrame, method: str = "pearson", value: str = "r") -> pd.DataFrame:
    """The Table IV layout: subjective measures as rows, metrics as columns, one value per cell."""
    sub = tidy[tidy["method"] == method]
    out = sub.pivot(index="subjective", columns="metric", values=value)
    # pivot sorts; keep the order the user asked for
    out = out.loc[list(dict.fromkeys(sub["subjective"])), list(dict.fromkeys(sub["metric"]))]
    out.index.name, out.columns.name = None, None
    return out


def compare_correlations(
    metric_a: np.ndarray,
    metric_b: np.ndarray,
    subjective: np.ndarray,
    method: str = "pearson",
    n_boot: int = 5000,
    confidence: float = 0.95,
    absolute: bool = False,
    seed: int | None = 0,
) -> dict[str, float]:
    """Does metric A agree with people better than metric B, on the same videos?

    Paired bootstrap (Efron & Tibshirani 1993): resample videos with replacement ``n_boot``
    times, and on each resample compute ``delta* = r(A*, y*) - r(B*, y*)`` (``|r|`` when
    ``absolute``, for baselines whose sign is opposite to MSI's, e.g. variance of acceleration).
    Returns ``r_a, r_b, delta`` (on the full sample), the percentile interval ``ci_low, ci_high``
    of delta, and ``p_boot``: twice the smaller share of resamples on either side of 0
    (a two-sided bootstrap p-value of "no difference"), plus ``n`` and ``n_boot``.
    Degenerate resamples (a constant column) are skipped and their count reported.
    """
    from scipy import stats

    a, b, y = (np.asarray(v, dtype=np.float64) for v in (metric_a, metric_b, subjective))
    if not (a.shape == b.shape == y.shape) or a.ndim != 1:
        raise ValueError("metric_a, metric_b and subjective must be 1-D arrays of equal length")
    ok = np.isfinite(a) & np.isfinite(b) & np.isfinite(y)
    a, b, y = a[ok], b[ok], y[ok]
    n = len(y)
    if n < MIN_ROWS:
        raise BadTable(f"only {n} usable row(s) to compare correlations (need at least {MIN_ROWS})")

    def r_rows(x: np.ndarray, yy: np.ndarray) -> np.ndarray:
        """Correlation of matching rows of (B, n) arrays, vectorised over resamples."""
        if method == "kendall":
            return np.array([stats.kendalltau(xi, yi).statistic for xi, yi in zip(x, yy)])
        if method == "spearman":
            x, yy = stats.rankdata(x, axis=-1), stats.rankdata(yy, axis=-1)
        return row_correlations(x, yy)

    fold = np.abs if absolute else (lambda v: v)
    r_a = float(r_rows(a[None], y[None])[0])
    r_b = float(r_rows(b[None], y[None])[0])
    delta = float(fold(r_a) - fold(r_b))
    idx = bootstrap_indices(n, n_boot, seed)
    d = fold(r_rows(a[idx], y[idx])) - fold(r_rows(b[idx], y[idx]))
    valid = np.isfinite(d)
    d = d[valid]
    lo, hi = percentile_interval(d, confidence)
    p = bootstrap_p(d)
    return {"n": n, "r_a": r_a, "r_b": r_b, "delta": delta, "ci_low": lo, "ci_high": hi,
            "p_boot": p, "n_boot": int(valid.sum()), "skipped": int((~valid).sum())}

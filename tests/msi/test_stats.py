"""The bench's statistics against independent implementations (scipy's t.interval, pingouin's
paired t-test), and its resumable store."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from generator.reproduction.runs import RunStore
from msi.stats import format_cell, mean_ci, paired_differences, summarize_groups


def test_mean_ci_matches_scipy_t_interval():
    from scipy import stats

    x = np.array([0.41, 0.38, 0.45, 0.52, 0.36])
    m, lo, hi, n = mean_ci(x)
    ref = stats.t.interval(0.95, len(x) - 1, loc=x.mean(), scale=stats.sem(x))
    assert n == 5 and m == pytest.approx(x.mean())
    assert (lo, hi) == pytest.approx(ref)


def test_mean_ci_ignores_nan_and_is_undefined_for_one_run():
    m, lo, hi, n = mean_ci([0.3, float("nan")])
    assert n == 1 and m == 0.3 and np.isnan(lo) and np.isnan(hi)
    assert mean_ci([])[3] == 0


def _runs() -> pd.DataFrame:
    rng = np.random.default_rng(0)
    rows = []
    for seed in range(4):
        base = rng.normal(0.5, 0.05)
        rows.append({"variant": "full", "seed": seed, "msi_lip": base})
        rows.append({"variant": "no-smoothing", "seed": seed, "msi_lip": base - 0.1 + rng.normal(0, 0.01)})
    return pd.DataFrame(rows)


def test_paired_difference_matches_pingouin():
    import pingouin as pg

    runs = _runs()
    d = paired_differences(runs, ["msi_lip"], reference="full")
    assert list(d["variant"]) == ["no-smoothing"]
    a = runs[runs.variant == "no-smoothing"].sort_values("seed")["msi_lip"].to_numpy()
    b = runs[runs.variant == "full"].sort_values("seed")["msi_lip"].to_numpy()
    ref = pg.ttest(a, b, paired=True)
    row = d.iloc[0]
    assert row["n_pairs"] == 4
    assert row["mean_diff"] == pytest.approx((a - b).mean())
    assert row["p"] == pytest.approx(float(ref["p_val"].iloc[0] if "p_val" in ref else ref["p-val"].iloc[0]))
    ci = ref["CI95%"].iloc[0] if "CI95%" in ref else ref["CI95"].iloc[0]
    assert (row["ci_low"], row["ci_high"]) == pytest.approx(tuple(ci), abs=1e-2)  # pingouin rounds to 2 digits
    assert row["ci_high"] < 0  # the injected drop of 0.1 is far outside the noise


def test_summarize_groups_one_row_per_variant_and_metric():
    s = summarize_groups(_runs(), ["msi_lip", "missing_metric"])
    assert list(s["variant"]) == ["full", "no-smoothing"] and set(s["n"]) == {4}
    assert (s["ci_low"] < s["mean"]).all() and (s["mean"] < s["ci_high"]).all()
    assert format_cell(0.5, 0.45, 0.55) == "0.500 ± 0.050"
    assert format_cell(0.5, float("nan"), float("nan")) == "0.500"


def test_run_store_resumes_and_survives_damage(tmp_path):
    store = RunStore(tmp_path)
    assert not store.done("full", 0)
    store.save("full", 0, {"msi_lip": 0.4, "elapsed_s": 10.0})
    store.path("full", 1).write_text('{"msi_lip": 0.')  # a file cut short outside our atomic write
    again = RunStore(tmp_path)  # a new process on the same folder
    assert again.done("full", 0) and not again.done("full", 1)
    assert again.load("full", 0)["msi_lip"] == 0.4
    assert again.eta(left=3) == pytest.approx(30.0)
    assert len(again.frame()) == 1
    assert not list(tmp_path.rglob("*.tmp"))


def test_two_bench_processes_claim_different_runs(tmp_path):
    import socket
    import subprocess
    import sys

    a, b = RunStore(tmp_path), RunStore(tmp_path)
    assert a.claim("full", 0) and not b.claim("full", 0)  # one run, one process
    assert b.claim("baseline", 0)
    a.release("full", 0)
    assert b.claim("full", 0)
    # a claim whose process died is taken over
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    lock = a.path("no-smoothing", 0).with_suffix(".lock")
    lock.write_text(f"{dead.stdout.strip()} {socket.gethostname()}\n")
    assert a.claim("no-smoothing", 0)


def test_pearson_and_std_ratio_read_the_finite_pairs():
    from scipy import stats as sps

    from msi.stats import pearson, std_ratio

    rng = np.random.default_rng(3)
    x, y = rng.normal(size=40), rng.normal(size=40)
    y[:3] = np.nan
    assert pearson(x, y) == pytest.approx(sps.pearsonr(x[3:], y[3:]).statistic, rel=1e-12)
    assert np.isnan(pearson([1.0, 2.0], [2.0, 1.0]))  # fewer than 3 pairs
    assert np.isnan(pearson([1.0, 1.0, 1.0], [1.0, 2.0, 3.0]))  # a constant side
    assert std_ratio(2 * x, x) == pytest.approx(2.0)
    assert std_ratio(y, x) == pytest.approx(np.std(y[3:]) / np.std(x))
    assert np.isnan(std_ratio(x, np.ones(5))) and np.isnan(std_ratio(x, [np.nan]))


def test_paired_bootstrap_pieces():
    from msi.stats import bootstrap_indices, bootstrap_p, percentile_interval, repeatability_limit, row_correlations

    idx = bootstrap_indices(7, 50, seed=1)
    assert idx.shape == (50, 7) and idx.min() >= 0 and idx.max() <= 6
    assert np.array_equal(idx, bootstrap_indices(7, 50, seed=1))
    draws = np.arange(1, 201, dtype=float)  # 1..200
    assert percentile_interval(draws, 0.95) == pytest.approx((np.quantile(draws, 0.025), np.quantile(draws, 0.975)))
    assert bootstrap_p(draws) == 0.0 and bootstrap_p(draws - 100.5) == pytest.approx(1.0)
    assert bootstrap_p(np.r_[-1.0, np.ones(9)]) == pytest.approx(0.2)
    rows = np.random.default_rng(0).normal(size=(3, 20))
    got = row_correlations(rows, rows[::-1])
    assert got == pytest.approx([np.corrcoef(r, s)[0, 1] for r, s in zip(rows, rows[::-1])], rel=1e-12)
    assert repeatability_limit([1.0, 2.0, np.nan, 4.0]) == pytest.approx(1.96 * np.sqrt(2) * np.std([1, 2, 4], ddof=1))

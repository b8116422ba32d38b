"""msi correlate: statistics against scipy, coverage, bootstrap comparison, every bad input."""
from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from msi.correlate import BadTable, clean_table, compare_correlations, correlate, wide
from msi.stats import fisher_ci


def bivariate(n: int, rho: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Standard bivariate normal sample with correlation ``rho``."""
    rng = np.random.default_rng(seed)
    x = rng.normal(size=n)
    y = rho * x + np.sqrt(1 - rho**2) * rng.normal(size=n)
    return x, y


def table(n: int = 60, seed: int = 0) -> pd.DataFrame:
    x, y = bivariate(n, 0.5, seed)
    rng = np.random.default_rng(seed + 1)
    return pd.DataFrame({
        "path": [f"clip_{i:03d}.mp4" for i in range(n)],
        "msi_lip": x,
        "msi_jaw": x + rng.normal(size=n),
        "motion_stability": y,
        "realness": y + rng.normal(size=n),
    })


def test_matches_scipy_to_1e12():
    df = table()
    tidy = correlate(df)
    assert len(tidy) == 2 * 2 * 3  # 2 subjective x 2 metrics x 3 methods
    for _, row in tidy.iterrows():
        x, y = df[row["metric"]].to_numpy(), df[row["subjective"]].to_numpy()
        ref = {"pearson": stats.pearsonr, "spearman": stats.spearmanr, "kendall": stats.kendalltau}[row["method"]](x, y)
        assert row["n"] == len(df)
        assert row["r"] == pytest.approx(ref.statistic, abs=1e-12)
        assert row["p_val"] == pytest.approx(ref.pvalue, rel=1e-9, abs=1e-12)
        if row["method"] == "pearson":  # scipy's Fisher-z interval
            ci = stats.pearsonr(x, y).confidence_interval(0.95)
            assert row["ci_low"] == pytest.approx(ci.low, abs=1e-12)
            assert row["ci_high"] == pytest.approx(ci.high, abs=1e-12)
        assert row["ci_low"] < row["r"] < row["ci_high"]


def test_wide_layout_is_subjective_rows_by_metric_columns():
    tidy = correlate(table(), metrics=["msi_jaw", "msi_lip"], subjective=["realness", "motion_stability"])
    w = wide(tidy)
    assert list(w.index) == ["realness", "motion_stability"] and list(w.columns) == ["msi_jaw", "msi_lip"]
    sel = tidy[(tidy.method == "pearson") & (tidy.subjective == "realness") & (tidy.metric == "msi_lip")]
    assert w.loc["realness", "msi_lip"] == sel["r"].item()


def test_ci_contains_true_r_on_large_sample_and_covers_95_percent():
    x, y = bivariate(3000, 0.42, seed=3)
    res = correlate(pd.DataFrame({"msi_lip": x, "motion_stability": y}), methods=("pearson",)).iloc[0]
    assert res["ci_low"] < 0.42 < res["ci_high"]
    assert res["ci_high"] - res["ci_low"] < 0.07
    # coverage over many small studies (n = 30): close to the nominal 95 %
    hits = 0
    for seed in range(400):
        a, b = bivariate(30, 0.42, seed=100 + seed)
        lo, hi = fisher_ci(np.corrcoef(a, b)[0, 1], 30)
        hits += lo < 0.42 < hi
    assert 0.92 <= hits / 400 <= 0.975


@pytest.mark.slow
def test_rank_correlation_intervals_are_consistent_with_their_p_values():
    # A rank CI excluding 0 must go with p < 0.05 and vice versa, over many samples.
    disagree = 0
    for seed in range(150):
        x, y = bivariate(40, 0.3, seed=500 + seed)
        tidy = correlate(pd.DataFrame({"msi_lip": x, "motion_stability": y}), methods=("spearman", "kendall"))
        for _, r in tidy.iterrows():
            disagree += (r["ci_low"] > 0 or r["ci_high"] < 0) != (r["p_val"] < 0.05)
    assert disagree <= 15  # different approximations: rare borderline disagreements only


def test_bootstrap_comparison():
    n = 150
    x, y = bivariate(n, 0.7, seed=11)
    rng = np.random.default_rng(12)
    weak = 0.15 * x + rng.normal(size=n)  # r about 0.1
    res = compare_correlations(x, weak, y, n_boot=2000, seed=1)
    assert res["delta"] == pytest.approx(res["r_a"] - res["r_b"])
    assert res["r_a"] == pytest.approx(stats.pearsonr(x, y).statistic, abs=1e-12)
    assert res["ci_low"] > 0.2 and res["p_boot"] < 0.01
    # same metric twice: no difference at all
    same = compare_correlations(x, x, y, n_boot=500)
    assert same["delta"] == 0 and same["ci_low"] == 0 == same["ci_high"]
    # two equally good metrics: the interval contains 0
    other = 0.7 * y + np.sqrt(1 - 0.49) * rng.normal(size=n)
    eq = compare_correlations(x, other, y, n_boot=2000, seed=2)
    assert eq["ci_low"] < 0 < eq["ci_high"]
    # |r|: a metric with the opposite sign compares by strength
    flipped = compare_correlations(x, -x, y, n_boot=300, absolute=True)
    assert flipped["delta"] == pytest.approx(0.0, abs=1e-12)
    spear = compare_correlations(x, weak, y, method="spearman", n_boot=500)
    assert spear["r_a"] == pytest.approx(stats.spearmanr(x, y).statistic, abs=1e-12)


# ----------------------------------------------------------------------------- bad input


def test_cli_prints_table_iv_layout_and_writes_outputs(tmp_path, run_cli):
    df = table()
    src = tmp_path / "mos.csv"
    df.to_csv(src, index=False)
    code, out, err = run_cli(["correlate", str(src), "--out", str(tmp_path / "t.csv"), "--plot", str(tmp_path / "s.png")])
    assert code == 0, err
    lines = out.splitlines()
    assert "msi_lip" in lines[1] and "msi_jaw" in lines[1]
    assert lines[2].startswith("motion_stability") and lines[3].startswith("realness")
    r = stats.pearsonr(df["msi_lip"], df["motion_stability"]).statistic
    assert f"{r:.3f}" in lines[2]
    written = pd.read_csv(tmp_path / "t.csv")
    assert list(written.columns) == ["subjective", "metric", "method", "n", "r", "ci_low", "ci_high", "p_val"]
    assert len(written) == 12
    from PIL import Image

    with Image.open(tmp_path / "s.png") as im:
        assert im.format == "PNG" and im.size[0] > 600 and im.size[1] > 400
    code, out, _ = run_cli(["correlate", str(src), "--json", "--compare", "msi_lip", "msi_jaw", "--n-boot", "500",
                            "--out", str(tmp_path / "t.md")])
    assert code == 0
    doc = json.loads(out)
    assert doc["n"] == 60 and len(doc["correlations"]) == 12 and len(doc["comparisons"]) == 2
    md = (tmp_path / "t.md").read_text()
    assert "| motion_stability |" in md and "Kendall" in md and "bootstrap" in md


def test_missing_file(tmp_path, run_cli, one_line_error):
    code, _, err = run_cli(["correlate", str(tmp_path / "nope.csv")])
    one_line_error(code, err, "nope.csv", "no such file", alone=True)


def test_missing_column_lists_existing_columns(tmp_path, run_cli, one_line_error):
    src = tmp_path / "mos.csv"
    table().to_csv(src, index=False)
    code, _, err = run_cli(["correlate", str(src), "--subjective", "lipsync"])
    one_line_error(code, err, "'lipsync'", "path, msi_lip, msi_jaw, motion_stability, realness", alone=True)
    code, _, err = run_cli(["correlate", str(src), "--metric", "fid"])
    one_line_error(code, err, "'fid'", "columns are", alone=True)


def _non_numeric(df):
    df["motion_stability"] = df["motion_stability"].astype(object)
    df.loc[7, "motion_stability"] = "good"
    return df


def _too_few_rows(df):
    df = df.iloc[:5].copy()
    df.loc[[0, 1, 2], "msi_lip"] = np.nan
    return df


def _constant(df):
    df["realness"] = 3.0
    return df


def _duplicate(df):
    df.loc[10, "path"] = df.loc[3, "path"]
    return df


@pytest.mark.parametrize("spoil, needles", [
    (_non_numeric, ("motion_stability", "'good'", "clip_007.mp4")),
    (_too_few_rows, ("only 2 usable row(s)", "at least 3")),
    (_constant, ("'realness'", "constant")),
    (_duplicate, ("duplicate", "clip_003.mp4")),
], ids=["non_numeric_cell", "too_few_rows", "constant_column", "duplicate_video_rows"])
def test_unusable_table_is_one_line(spoil, needles, tmp_path, run_cli, one_line_error):
    df = spoil(table())
    src = tmp_path / "mos.csv"
    df.to_csv(src, index=False)
    code, _, err = run_cli(["correlate", str(src)])
    one_line_error(code, err, *needles, alone=True)


def test_nan_rows_are_dropped_and_counted(tmp_path, run_cli):
    df = table()
    df.loc[[2, 5], "msi_jaw"] = np.nan
    df.loc[9, "realness"] = np.nan
    src = tmp_path / "mos.csv"
    df.to_csv(src, index=False)
    code, out, err = run_cli(["correlate", str(src), "--json"])
    assert code == 0
    assert "dropped 3 row(s)" in err and "msi_jaw: 2" in err and "realness: 1" in err
    doc = json.loads(out)
    assert doc["n"] == 57 and doc["dropped"] == 3
    kept = df.dropna()
    r = stats.pearsonr(kept["msi_jaw"], kept["realness"]).statistic
    got = [c for c in doc["correlations"] if c["metric"] == "msi_jaw" and c["subjective"] == "realness"
           and c["method"] == "pearson"][0]
    assert got["r"] == pytest.approx(r, abs=1e-12)


def test_bad_options_and_unreadable_table(tmp_path, run_cli, one_line_error):
    src = tmp_path / "mos.csv"
    table().to_csv(src, index=False)
    code, _, err = run_cli(["correlate", str(src), "--out", str(tmp_path / "t.xlsx")])
    one_line_error(code, err, "--out", alone=True)
    code, _, err = run_cli(["correlate", str(src), "--stats"])
    one_line_error(code, err, "--score", alone=True)
    garbage = tmp_path / "bin.parquet"
    garbage.write_bytes(b"\x00\x01not parquet")
    code, _, err = run_cli(["correlate", str(garbage)])
    one_line_error(code, err, "cannot read", alone=True)
    with pytest.raises(BadTable, match="no subjective columns"):
        clean_table(pd.DataFrame({"msi_lip": [1.0, 2.0, 3.0], "score": [1.0, 2.0, 4.0]}))


@pytest.mark.slow
def test_score_joins_real_msi_on_the_path_column(pristine_frames, tmp_path, run_cli):
    """--score tracks the listed videos (real clips shaken by growing known shifts), joins MSI and
    the Table IV baselines on the path column, and correlates them with the given ratings."""
    from msi.score import score_video
    from msi.settings import Settings
    from msi.plots.slices import shift_frame
    from msi.io.video import write_video

    frames = pristine_frames[:40]
    rows = []
    for amp, rating in [(0, 5.0), (1, 4.0), (3, 2.5), (6, 1.0)]:
        shifts = np.random.default_rng(amp).integers(-amp, amp + 1, size=(len(frames), 2))
        shaken = np.stack([shift_frame(f, int(dx), int(dy)) for f, (dx, dy) in zip(frames, shifts)])
        write_video(tmp_path / f"shake{amp}.mp4", shaken, fps=25)
        rows.append({"video": f"shake{amp}.mp4", "motion_stability": rating})  # relative to the table
    rows.append({"video": "missing.mp4", "motion_stability": 3.0})  # cannot be scored: dropped, counted
    src = tmp_path / "mos.csv"
    pd.DataFrame(rows).to_csv(src, index=False)
    joined = tmp_path / "joined.csv"
    code, out, err = run_cli(["correlate", str(src), "--score", "--stats", "--json", "--save-scores", str(joined)])
    assert code == 0, err
    assert "missing.mp4" in err and "dropped 1 row(s)" in err
    doc = json.loads(out)
    metrics = {c["metric"] for c in doc["correlations"]}
    assert {"msi_lip", "msi_jaw", "var_acceleration_lip", "log_dimensionless_jerk_jaw"} <= metrics
    ref = score_video(tmp_path / "shake0.mp4", Settings(stats=True))
    lip = [c for c in doc["correlations"] if c["metric"] == "msi_lip" and c["method"] == "pearson"][0]
    assert lip["n"] == 4
    assert lip["r"] > 0.5  # more shake: lower MSI and lower rating
    var = [c for c in doc["correlations"] if c["metric"] == "var_acceleration_lip" and c["method"] == "spearman"][0]
    assert var["r"] == pytest.approx(-1.0)  # variance of acceleration grows with the shake
    table = pd.read_csv(joined).set_index("video")
    assert table.loc["shake0.mp4", "msi_lip"] == pytest.approx(ref.msi_lip, rel=1e-9)
    assert table.loc["shake0.mp4", "var_acceleration_lip"] == pytest.approx(ref.stats["var_acceleration_lip"], rel=1e-9)
    assert table.loc["shake6.mp4", "msi_lip"] < table.loc["shake1.mp4", "msi_lip"] < table.loc["shake0.mp4", "msi_lip"]

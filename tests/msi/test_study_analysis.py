"""``msi study``'s statistics and analysis against independent computations: the MOS interval
against scipy's t interval, Krippendorff's alpha against the ``krippendorff`` package, the
preference test against scipy's binomial test; screening of simulated raters; the answers
format's validation."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from msi.stats import icc, krippendorff_alpha, share_ci, sign_test
from msi.study.analysis import analyze, bt500_counts, bt500_rejected, mos_table, preference_table
from msi.study.answers import BadAnswers, COLUMNS, validate
from msi.study.design import acr_item, pair_item, rater_plan
from msi.study.simulate import simulate

QUESTIONS = ["motion_stability", "lip_sync", "realness"]
TRUTH = {"real": {"motion_stability": 4.4, "lip_sync": 4.0, "realness": 4.3},
         "shaken": {"motion_stability": 1.7, "lip_sync": 3.3, "realness": 2.2},
         "frozen": {"motion_stability": 3.7, "lip_sync": 1.7, "realness": 2.9}}


def manifest(utterances: int = 4, raters: int = 10, repeats: int = 2, attention: int = 2) -> dict:
    """A study's manifest without videos (the analysis never opens them)."""
    methods, utts = list(TRUTH), [f"u{i}" for i in range(utterances)]
    items = [acr_item(m, u, f"videos/{m}/{u}.mp4") for u in utts for m in methods]
    items += [acr_item("check", u, f"videos/check/{u}.mp4", attention=True) for u in utts[:attention]]
    items += [pair_item(a, b, u, f"videos/{a}/{u}.mp4", f"videos/{b}/{u}.mp4")
              for u in utts for a, b in (("real", "shaken"), ("real", "frozen"))]
    items += [pair_item("real", "check", u, f"videos/real/{u}.mp4", f"videos/check/{u}.mp4", expect="real")
              for u in utts[:attention]]
    plan = {"seed": 0, "repeats": repeats, "practice": 1}
    return {"name": "t", "designs": ["acr", "pair"], "questions": QUESTIONS, "items": {it["id"]: it for it in items},
            "plan": plan, "sessions": [{"rater": f"r{k + 1:02d}", "plan": rater_plan(items, 0, k, repeats, 1)}
                                        for k in range(raters)]}


@pytest.fixture(scope="module")
def study_answers():
    m = manifest()
    return m, validate(simulate(m, ["careful"] * 8 + ["random", "careless"], TRUTH, seed=3))


def test_mos_interval_is_scipys_t_interval(study_answers):
    _, df = study_answers
    mos = mos_table(df)
    for r in mos.itertuples():
        g = df[(df["type"] == "acr") & (df["kind"] == "main") & (df["method"] == r.method)
               & (df["question"] == r.question)]["grade"].astype(float)
        lo, hi = stats.t.interval(0.95, len(g) - 1, loc=g.mean(), scale=stats.sem(g))
        assert (r.mos, r.ci_low, r.ci_high, r.n) == pytest.approx((g.mean(), lo, hi, len(g)), rel=1e-12)


@pytest.mark.parametrize("level", ["nominal", "ordinal", "interval"])
def test_alpha_is_the_krippendorff_package(level):
    krippendorff = pytest.importorskip("krippendorff")
    rng = np.random.default_rng(1)
    for _ in range(20):
        truth = rng.integers(1, 6, 25)
        data = np.clip(truth[None] + rng.integers(-1, 2, (7, 25)), 1, 5).astype(float)
        data[rng.random(data.shape) < 0.25] = np.nan
        assert krippendorff_alpha(data, level) == pytest.approx(
            krippendorff.alpha(reliability_data=data, level_of_measurement=level), abs=1e-12)


def test_alpha_of_krippendorffs_worked_example():
    # Krippendorff (2011), "Computing Krippendorff's alpha-reliability", Sec. C: 4 coders, 12 units,
    # nominal alpha = 0.743 (the paper's rounding)
    nan = np.nan
    data = np.array([[1, 2, 3, 3, 2, 1, 4, 1, 2, nan, nan, nan],
                     [1, 2, 3, 3, 2, 2, 4, 1, 2, 5, nan, 3],
                     [nan, 3, 3, 3, 2, 3, 4, 2, 2, 5, 1, nan],
                     [1, 2, 3, 3, 2, 4, 4, 1, 2, 5, 1, nan]])
    assert krippendorff_alpha(data, "nominal") == pytest.approx(0.743, abs=5e-4)
    assert krippendorff_alpha(data, "interval") == pytest.approx(0.849, abs=5e-4)


def test_preference_test_is_scipys_binomial_test(study_answers):
    _, df = study_answers
    pref = preference_table(df)
    assert len(pref) == 2 * len(QUESTIONS)
    for r in pref.itertuples():
        assert r.wins_a + r.wins_b + r.ties == r.n
        assert r.p == pytest.approx(stats.binomtest(r.wins_a, r.wins_a + r.wins_b, 0.5).pvalue, rel=1e-12)
        ci = stats.binomtest(r.wins_a, r.n).proportion_ci(0.95, method="exact")
        assert (r.share_a_low, r.share_a_high) == pytest.approx((ci.low, ci.high), rel=1e-12)
    assert sign_test(0, 0) != sign_test(0, 0)  # NaN: nothing to test
    assert share_ci(0, 0)[0] != share_ci(0, 0)[0]


@pytest.mark.slow  # imports pingouin (seconds)
def test_icc_matches_the_anova_formula():
    rng = np.random.default_rng(0)
    y = rng.normal(size=(8, 1)) + rng.normal(0, 0.5, (8, 4))  # 8 targets x 4 raters
    long = pd.DataFrame([(t, r, y[t, r]) for t in range(8) for r in range(4)], columns=["t", "r", "y"])
    res = icc(long, "t", "r", "y").set_index("type")
    n, k = y.shape
    msr = k * ((y.mean(1) - y.mean()) ** 2).sum() / (n - 1)
    msc = n * ((y.mean(0) - y.mean()) ** 2).sum() / (k - 1)
    mse = ((y - y.mean(1, keepdims=True) - y.mean(0, keepdims=True) + y.mean()) ** 2).sum() / ((n - 1) * (k - 1))
    icc2 = (msr - mse) / (msr + (k - 1) * mse + k * (msc - mse) / n)  # Shrout & Fleiss ICC(2,1)
    assert res.loc["ICC(A,1)", "icc"] == pytest.approx(icc2, rel=1e-9)


def test_bt500_counts_by_the_standards_loop():
    # ITU-R BT.500 Annex 1 2.3.1, written out as loops over units and raters (scipy's kurtosis as beta2)
    rng = np.random.default_rng(0)
    grades = np.clip(np.rint(rng.normal(3, 1, (12, 30)) + rng.normal(0, 1, 30)[None]), 1, 5)
    grades[3] = np.where(rng.random(30) < 0.5, 1, 5)  # an erratic observer
    rows = [(f"r{i}", f"u{j}", grades[i, j]) for i in range(12) for j in range(30)]
    counts = bt500_counts(pd.DataFrame(rows, columns=["rater", "unit", "grade"])).set_index("rater")
    for i in range(12):
        p = q = 0
        for j in range(30):
            col = grades[:, j]
            u, sd, b2 = col.mean(), col.std(ddof=1), stats.kurtosis(col, fisher=False)
            k = 2 if 2 <= b2 <= 4 else np.sqrt(20)
            p += sd > 0 and grades[i, j] >= u + k * sd
            q += sd > 0 and grades[i, j] <= u - k * sd
        assert tuple(counts.loc[f"r{i}", ["panel_p", "panel_q", "panel_n"]]) == (p, q, 30)
    # the rule: (P + Q) / N > 0.05 and |P - Q| / (P + Q) < 0.3 (a shifted observer is kept)
    assert bt500_rejected(2, 2, 20) and not bt500_rejected(3, 0, 20) and not bt500_rejected(1, 1, 40)


@pytest.mark.slow  # imports pingouin (seconds)
def test_screening_keeps_careful_raters_and_states_reasons(study_answers):
    _, df = study_answers
    res = analyze(df)
    s = res.screening.set_index("rater")
    assert not s.loc[[f"r{k:02d}" for k in range(1, 9)], "excluded"].any(), s
    assert s.loc["r10", "excluded"] and "attention" in s.loc["r10", "reasons"]  # careless
    assert s.loc["r09", "excluded"]  # random: attention and/or repeats
    mos = res.mos.set_index(["method", "question"])["mos"]
    assert mos["shaken", "motion_stability"] < mos["frozen", "motion_stability"] < mos["real", "motion_stability"]
    assert set(res.per_video.columns) >= {"video", "method", "utterance", *QUESTIONS, "raters"}
    assert len(res.per_video) == 12 and (res.per_video["raters"] == 8).all()
    a = res.agreement.set_index(["type", "question", "measure"])["value"]
    assert a["acr", "motion_stability", "krippendorff_alpha_ordinal"] > 0.6


def test_plans_spread_utterances_and_hide_repeats():
    m = manifest(utterances=4, raters=6, repeats=3)
    for s in m["sessions"]:
        plan = s["plan"]
        assert [e["seq"] for e in plan] == list(range(len(plan)))
        utt = [m["items"][e["item"]]["utterance"] for e in plan]
        counted = [e for e in plan if e["kind"] != "practice"]
        assert sum(a == b for a, b in zip(utt, utt[1:])) == 0, utt
        for e in plan:
            if e["kind"] == "repeat":
                first = next(x["seq"] for x in plan if x["item"] == e["item"] and x["kind"] == "main")
                assert e["seq"] - first > 3
        assert sum(e["kind"] == "attention" for e in plan) == 4 and len(counted) == 12 + 8 + 4 + 6
    orders = {tuple(e["item"] for e in s["plan"]) for s in m["sessions"]}
    assert len(orders) == 6
    assert rater_plan(list(m["items"].values()), 0, 2, 3, 1) == m["sessions"][2]["plan"]


@pytest.mark.parametrize("change, message", [
    ({"grade": 0}, "column 'grade': grade '0' is not one of"), ({"grade": 6}, "column 'grade': grade '6' is not one of"),
    ({"grade": "x"}, "column 'grade': grade 'x' is not one of"), ({"kind": "extra"}, "column 'kind': kind 'extra'"),
    ({"type": "mos"}, "column 'type': type 'mos'"), ({"question": ""}, "column 'question': acr answers need 'question'")])
def test_validation_refuses_bad_rows(study_answers, change, message):
    _, df = study_answers
    bad = df[df["type"] == "acr"].head(5).astype(object).copy()
    for k, v in change.items():
        bad.iloc[2, bad.columns.get_loc(k)] = v
    with pytest.raises(BadAnswers, match="^f.csv: row 3, " + message):
        validate(bad, "f.csv")


def test_validation_refuses_contradicting_duplicates(study_answers):
    _, df = study_answers
    twice = pd.concat([df, df], ignore_index=True)
    assert len(validate(twice)) == len(df)  # the same file twice: no double count
    other = df.copy()
    other.loc[other["type"] == "acr", "grade"] = (other.loc[other["type"] == "acr", "grade"] % 5) + 1
    with pytest.raises(BadAnswers, match="twice with different values"):
        validate(pd.concat([df, other], ignore_index=True))
    assert list(df.columns[:len(COLUMNS)]) == COLUMNS


def test_the_committed_demo_study_carries_todays_page():
    """docs/study/demo is `msi study make`'s output, committed: its page files are copies of
    msi/study/assets and must not go stale when the page changes (rerun docs/study_demo.py)."""
    from pathlib import Path

    from msi.study.make import PAGE_FILES

    root = Path(__file__).resolve().parents[2]
    for src, dest in PAGE_FILES.items():
        assert (root / "docs/study/demo" / dest).read_bytes() == (root / "msi/study/assets" / src).read_bytes(), dest


def _pair_rows(answers: list[tuple[str, str, str, str]]) -> pd.DataFrame:
    """Pair answers written out by hand: (rater, left method, right method, choice)."""
    rows = [{"study": "t", "rater": r, "seq": k, "type": "pair", "kind": "main", "item": "pair:ours:base:u0",
             "utterance": "u0", "question": "motion_stability", "a": a, "b": b, "choice": c}
            for k, (r, a, b, c) in enumerate(answers)]
    return validate(pd.DataFrame(rows))


def test_swapping_the_sides_of_a_pair_answer_flips_the_preference():
    # five answers, counted by hand: "ours" preferred by r1 (left), r2 (right), r3 (left); "base" by
    # r4 (left); r5 no preference -> ours 3, base 1, ties 1
    raw = [("r1", "ours", "base", "a"), ("r2", "base", "ours", "b"), ("r3", "ours", "base", "a"),
           ("r4", "base", "ours", "a"), ("r5", "ours", "base", "none")]
    pref = preference_table(_pair_rows(raw)).iloc[0]
    assert (pref.a, pref.b, pref.wins_a, pref.wins_b, pref.ties) == ("ours", "base", 3, 1, 1)
    assert pref.p == pytest.approx(0.625)  # sign test by hand: 2 * P(X <= 1), X ~ Bin(4, 1/2) = 2 * 5/16
    # the same answers with the videos shown on the other sides (the choice follows its video): no change
    moved = [(r, b, a, {"a": "b", "b": "a"}.get(c, c)) for r, a, b, c in raw]
    assert tuple(preference_table(_pair_rows(moved)).iloc[0][["wins_a", "wins_b", "ties"]]) == (3, 1, 1)
    # the sides swapped but the clicks kept: every preference flips (by hand: ours 1, base 3)
    flipped = [(r, b, a, c) for r, a, b, c in raw]
    assert tuple(preference_table(_pair_rows(flipped)).iloc[0][["wins_a", "wins_b", "ties"]]) == (1, 3, 1)

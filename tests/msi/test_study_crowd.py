"""Crowd-grade quality control (msi.study.crowd), DCR/CCR analysis and the adaptive pair plan,
each against numbers worked out by hand from the raw answers."""
from __future__ import annotations

import statistics

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from msi.study.adaptive import PLAN_PRIOR, _fisher, information_gain, next_pairs, plan_pairs
from msi.study.analysis import analyze, mos_table, screen
from msi.study.answers import BadAnswers
from msi.study.crowd import cap_presentations, outlying_votes
from msi.study.report import markdown
from msi.study.formats import from_p910, from_tidy, read
from msi.study.scaling import Z75, fit_scale, hessian


def acr_rows(grades: dict[str, list[int]], items: list[str] | None = None) -> pd.DataFrame:
    """Minimal ACR rows: rater -> grades of items u0, u1, ... (method m, question q)."""
    rows = [{"rater": r, "method": "m" if items is None else items[k], "utterance": f"u{k}", "question": "q", "grade": g}
            for r, gs in grades.items() for k, g in enumerate(gs)]
    return from_tidy(pd.DataFrame(rows), "t.csv").answers


def test_straightliner_rule_on_the_grade_variance():
    grades = {"r1": [5, 4, 2, 1, 3, 4, 2, 5], "r2": [4] * 8, "r3": [4, 4, 4, 4, 4, 4, 4, 3],
              "r4": [2, 3, 4, 5, 1, 2, 3, 4], "r5": [4] * 7}
    s = screen(acr_rows(grades), panel="none").set_index("rater")
    for r, g in grades.items():
        assert s.loc[r, "grade_variance"] == pytest.approx(statistics.variance(g))
    # by hand: r2 0.0 and r3 1/8 = 0.125 against 0.15 over 8 presentations: both straightliners;
    # r5 gave seven 4s: too few presentations to judge (8 needed)
    assert s.loc["r2", "excluded"] and "straightliner: grade variance 0.00 < 0.15" in s.loc["r2", "reasons"]
    assert s.loc["r3", "excluded"] and "grade variance 0.12 < 0.15" in s.loc["r3", "reasons"]
    assert not s.loc[["r1", "r4", "r5"], "excluded"].any()
    assert not screen(acr_rows(grades), panel="none", min_variance=None).set_index("rater")["excluded"].any()


def test_straightliner_rule_on_the_sides_of_pair_answers():
    rows = [{"rater": r, "utterance": f"u{k}", "question": "q", "a": "x" if k % 2 else "y", "b": "y" if k % 2 else "x",
             "choice": c} for r, cs in {"left": "aaaaaaaa", "fair": "abab" + "naab", "few": "aaaaaaa"}.items()
            for k, c in enumerate(cs)]
    for row in rows:
        row["choice"] = {"n": "none"}.get(row["choice"], row["choice"])
    s = screen(from_tidy(pd.DataFrame(rows), "p.csv").answers, panel="none").set_index("rater")
    assert s.loc["left", "side_variance"] == 0 and "side variance" in s.loc["left", "reasons"]
    assert s.loc["fair", "side_variance"] == pytest.approx(statistics.variance([1, -1, 1, -1, 0, 1, 1, -1]))
    assert s.loc["few", "side_variance"] == 0 and not s.loc["few", "excluded"]  # 7 presentations: not judged


def test_outlier_rule_z_329_by_hand():
    # 19 raters give 4, one gives 1: mean 3.85, sd = sqrt((19 * 0.15^2 + 2.85^2) / 19) = 0.6708,
    # z = -2.85 / 0.6708 = -4.25: an outlier. Among 12 votes (11 fours, one 1) the largest |z| is
    # 11 / sqrt(12) = 3.18 < 3.29: none can be.
    df = acr_rows({f"r{i:02d}": [4 if i else 1] for i in range(20)})
    out = outlying_votes(df)
    assert out.sum() == 1 and df.loc[out, "rater"].tolist() == ["r00"]
    g = df["grade"].astype(float)
    assert ((g - g.mean()) / g.std(ddof=1)).iloc[0] == pytest.approx(-4.2485, abs=1e-3)
    assert not outlying_votes(acr_rows({f"r{i:02d}": [4 if i else 1] for i in range(12)})).any()


def test_per_rater_cap_keeps_the_first_presentations():
    df = acr_rows({"r1": [5, 4, 3, 2, 1], "r2": [1, 2]})
    capped, left_out = cap_presentations(df, 3)
    assert sorted(capped.loc[capped["rater"] == "r1", "grade"].tolist()) == [3, 4, 5]  # seq 0, 1, 2
    assert left_out.to_dict() == {"r1": 2} and (capped["rater"] == "r2").sum() == 2


def test_dmos_and_cmos_with_t_intervals(tmp_path):
    rows = [{"rater": f"r{i}", "type": t, "method": "ours", "utterance": "u1", "question": "q", "grade": g}
            for t, gs in (("dcr", [5, 4, 4, 3, 5]), ("ccr", [-1, 0, -2, 1, -1])) for i, g in enumerate(gs)]
    df = from_tidy(pd.DataFrame(rows), "d.csv").answers
    for design, gs in (("dcr", [5, 4, 4, 3, 5]), ("ccr", [-1, 0, -2, 1, -1])):
        r = mos_table(df, design=design).iloc[0]
        lo, hi = stats.t.interval(0.95, 4, loc=np.mean(gs), scale=stats.sem(gs))
        assert (r.mos, r.ci_low, r.ci_high) == pytest.approx((np.mean(gs), lo, hi))
    # a file that does not say its design: --design tells it (and a CCR grade is refused as ACR)
    f = tmp_path / "ccr.csv"
    f.write_text("rater,method,utterance,question,grade\nr1,ours,u1,q,-2\nr2,ours,u1,q,1\n")
    assert mos_table(read(f, design="ccr").answers, design="ccr").loc[0, "mos"] == pytest.approx(-0.5)
    with pytest.raises(BadAnswers, match="row 1, column 'grade': '-2' is not a grade of the ACR scale"):
        read(f)
    bad = pd.DataFrame([{"rater": "r1", "type": "ccr", "method": "m", "utterance": "u", "question": "q", "grade": 4}])
    with pytest.raises(BadAnswers, match=r"row 1, column 'grade': '4' is not a grade of the CCR scale \(-3"):
        from_tidy(bad, "c.csv")


@pytest.mark.slow  # the whole analysis imports pingouin (seconds)
def test_crowd_rules_and_dcr_ccr_in_the_analysis():
    df = acr_rows({f"r{i:02d}": [4 if i else 1] for i in range(20)})
    res = analyze(df, panel="none", min_variance=None, outlier_z=3.29)
    assert res.screening.set_index("rater").loc["r00", "outlier_votes"] == 1
    assert res.mos.loc[0, "mos"] == 4.0 and res.mos.loc[0, "n"] == 19  # the outlying 1 left out
    assert "1 outlying votes left out" in markdown(res)
    res = analyze(acr_rows({"r1": [5, 4, 3, 2, 1], "r2": [1, 2]}), panel="none", max_presentations=3)
    assert res.screening.set_index("rater")["capped"].to_dict() == {"r1": 2, "r2": 0}
    assert res.mos.loc[0, "n"] == 5  # 3 of r1 and 2 of r2
    rows = [{"rater": f"r{i}", "type": t, "method": "ours", "utterance": "u1", "question": "q", "grade": g}
            for t, gs in (("dcr", [5, 4, 4, 3, 5]), ("ccr", [-1, 0, -2, 1, -1])) for i, g in enumerate(gs)]
    res = analyze(from_tidy(pd.DataFrame(rows), "d.csv").answers, panel="none")
    assert res.dmos.loc[0, "mos"] == pytest.approx(4.2) and res.cmos.loc[0, "mos"] == pytest.approx(-0.6)
    assert res.mos.empty


def test_p910_ccr_votes_are_against_the_reference_and_the_trap_by_position():
    # the toolkit's CCR page stores each vote as the processed clip against its reference (sign
    # flipped when the processed clip played first, order "pr"); the trapping answer is by position
    df = pd.DataFrame([{"WorkerId": "W1", "Input.Q1_P": "v/ours/u1.mp4", "Input.Q1_R": "v/ref/u1.mp4",
                        "Input.TP_CLIP": "v/trap/t.mp4", "Input.TP_ANS": "2",
                        "Answer.Q1": "-2", "Answer.Q1_URL": "v/ours/u1.mp4", "Answer.Q1_order": "rp",
                        "Answer.Q2": "-2", "Answer.Q2_URL": "v/trap/t.mp4", "Answer.Q2_order": "pr"}])
    got = from_p910(df, "ccr.csv")
    rows = got.answers.set_index("kind")
    assert (got.answers["type"] == "ccr").all() and rows.loc["main", "grade"] == -2
    assert rows.loc["attention", "expect"] == "=-2"  # asked "2" by position, processed first: -2 as stored
    assert screen(got.answers, panel="none", min_variance=None).loc[0, "attention_failed"] == 0


def test_adaptive_plan_prefers_the_uncertain_pair_and_updates_as_it_goes():
    # 0-1 compared 60 times (30:30), 1-2 and 0-2 only twice: the next comparison is 1-2 or 0-2
    W = np.array([[0, 30, 1], [30, 0, 1], [1, 1, 0]], dtype=float)
    first = next_pairs(W, 1)[0]
    assert first in [(0, 2), (1, 2)]
    gain = information_gain(W)
    assert gain[0, 1] < min(gain[0, 2], gain[1, 2]) and np.allclose(gain, gain.T)
    # the second pick of a batch is the best pair given the first one's information, computed here
    # from the inverse of the information matrix with the first pair's rank-one term added
    s = fit_scale(W, prior=PLAN_PRIOR)
    H = hessian(W, s, prior=PLAN_PRIOR)
    w = Z75**2 * _fisher("thurstone", Z75 * (s[:, None] - s[None, :]))
    u = np.zeros(3)
    u[first[0]], u[first[1]] = 1, -1
    cov = np.linalg.inv(H + w[first] * np.outer(u, u))
    v = {(i, j): cov[i, i] + cov[j, j] - 2 * cov[i, j] for i, j in [(0, 1), (0, 2), (1, 2)]}
    best = max(v, key=lambda p: np.log1p(w[p] * v[p]))
    assert next_pairs(W, 2) == [first, best]
    # the variance criterion: the pair whose information most lowers the summed variance of the
    # centred scores, trace(C inv(H + w u u') C), computed here by inverting each candidate's matrix
    C = np.eye(3) - 1 / 3

    def total(i, j):
        e = np.zeros(3)
        e[i], e[j] = 1, -1
        return np.trace(C @ np.linalg.inv(H + w[i, j] * np.outer(e, e)) @ C)

    assert next_pairs(W, 1, criterion="variance") == [min([(0, 1), (0, 2), (1, 2)], key=lambda p: total(*p))]
    with pytest.raises(ValueError, match="criterion"):
        next_pairs(W, 1, criterion="luck")
    assert next_pairs(W, 3) == next_pairs(W.copy(), 3)  # pure and deterministic
    # from an answers table, by method names
    answers = from_tidy(pd.DataFrame([{"rater": "r1", "utterance": "u", "question": "q", "a": "x", "b": "y",
                                       "choice": "a"}] * 4), "a.csv").answers
    plan = plan_pairs(answers, ["x", "y", "z"], count=2)
    assert len(plan) == 2 and all(("z" in p) for p in plan)

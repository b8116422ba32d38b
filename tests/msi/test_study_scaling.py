"""Ranked studies (msi.study.scaling): Bradley-Terry against the ``choix`` package, Thurstone
Case V against a hand-worked example, and the bootstrap intervals' coverage of a known latent
scale on simulated raters (SIMULATED: seeded draws, not people)."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from msi.study.scaling import Z75, fit_scale, preference_probability, scale_of, scale_tables
from msi.study.simulate import simulate_pair_answers


def _comparisons(n: int, count: int, seed: int) -> list[tuple[int, int]]:
    """(winner, loser) pairs drawn from a Bradley-Terry model with random strengths."""
    rng = np.random.default_rng(seed)
    theta = rng.normal(0, 1, n)
    out = []
    for _ in range(count):
        i, j = rng.choice(n, 2, replace=False)
        out.append((i, j) if rng.random() < 1 / (1 + np.exp(theta[j] - theta[i])) else (j, i))
    return out


def _wins(n: int, data: list[tuple[int, int]]) -> np.ndarray:
    W = np.zeros((n, n))
    for w, lo in data:
        W[w, lo] += 1
    return W


@pytest.mark.parametrize("n, count, seed", [(5, 200, 0), (8, 400, 1), (10, 900, 2)])
def test_bradley_terry_is_choix_maximum_likelihood(n, count, seed):
    choix = pytest.importorskip("choix")
    data = _comparisons(n, count, seed)
    W = _wins(n, data)
    ml = choix.ilsr_pairwise(n, data, alpha=0.0, tol=1e-14, max_iter=100_000)
    np.testing.assert_allclose(fit_scale(W, "bradley-terry", prior=0.0), ml - ml.mean(), atol=1e-6)
    # the default weak prior is choix's penalised estimate with the same alpha (penalty alpha * sum(s^2))
    map_ = choix.opt_pairwise(n, data, alpha=0.01, method="Newton-CG", tol=1e-14)
    np.testing.assert_allclose(fit_scale(W, "bradley-terry", prior=0.01), map_, atol=1e-6)


def test_a_tie_is_half_a_win_each():
    # ties as half wins = every count doubled with one win each way for a tie (the likelihood's
    # maximum does not move when all counts are doubled): compared with choix on that data
    choix = pytest.importorskip("choix")
    pairs = pd.DataFrame({"rater": ["r1"] * 7, "a": ["x", "y", "x", "z", "y", "z", "x"],
                          "b": ["y", "x", "z", "x", "z", "y", "y"], "choice": ["a", "a", "none", "b", "a", "b", "none"]})
    # by hand: x>y (r1 row 1), y>x (row 2), x~z (tie), x>z (row 4: z left, chose b = x), y>z, y>z (row 6: z left, b = y), x~y
    doubled = [(0, 1)] * 2 + [(1, 0)] * 2 + [(0, 2), (2, 0)] + [(0, 2)] * 2 + [(1, 2)] * 4 + [(0, 1), (1, 0)]
    ml = choix.ilsr_pairwise(3, doubled, alpha=0.0, tol=1e-14, max_iter=100_000)
    scores, _ = scale_of(pairs, "bradley-terry", prior=0.0, methods=["x", "y", "z"])
    got = scores.set_index("method")["score"]
    np.testing.assert_allclose([got["x"], got["y"], got["z"]], ml - ml.mean(), atol=1e-6)


def test_thurstone_case_v_by_hand():
    # A chain A-B-C (a tree: maximum likelihood fits each observed share exactly):
    # A preferred to B in 15 of 20 (75 %) -> s_A - s_B = Phi^-1(0.75) / z75 = 1 JOD exactly;
    # B preferred to C in 42 of 50 (84 %) -> s_B - s_C = Phi^-1(0.84) / z75 = 0.99446 / 0.67449 = 1.47439 JOD.
    # Mean 0: s_B = (s_C + 1.47439 + s_C + 2.47439 + s_C) / 3 = 0 -> s_C = -1.31626, s_B = 0.15813, s_A = 1.15813.
    W = np.zeros((3, 3))
    W[0, 1], W[1, 0] = 15, 5
    W[1, 2], W[2, 1] = 42, 8
    s = fit_scale(W, "thurstone", prior=0.0)
    np.testing.assert_allclose(s, [1.15813, 0.15813, -1.31626], atol=5e-5)
    assert Z75 == pytest.approx(0.6744898, abs=1e-7)
    # a complete design whose shares follow Case V exactly (fractional counts): the scale comes back
    truth = np.array([0.9, 0.2, -0.4, -0.7])
    P = preference_probability(truth, "thurstone")
    np.testing.assert_allclose(fit_scale(30 * P * (1 - np.eye(4)), "thurstone", prior=0.0), truth, atol=1e-8)


@pytest.mark.slow  # 80 simulated studies with 400 bootstrap refits each (about 10 s)
def test_intervals_cover_a_known_scale_in_simulated_studies():
    """SIMULATED raters: 6 and 10 methods, 20 seeds each, 15 raters answering every pair once;
    the 95% intervals must hold the true (centred) score in at least 90% of cases, per model."""
    for model in ("thurstone", "bradley-terry"):
        for n in (6, 10):
            hits = cases = 0
            for seed in range(20):
                rng = np.random.default_rng(1000 + seed)
                truth = rng.normal(0, 1, n)
                truth -= truth.mean()
                names = [f"m{i}" for i in range(n)]
                answers = simulate_pair_answers(dict(zip(names, truth)), raters=15, seed=seed, model=model)
                scores, _ = scale_of(answers, model, resamples=400, seed=seed, methods=names)
                got = scores.set_index("method").loc[names]
                hits += int(((got["ci_low"] <= truth) & (truth <= got["ci_high"])).sum())
                cases += n
            assert hits / cases >= 0.90, (model, n, hits / cases)


def test_scale_tables_from_the_answers_table():
    truth = {"a": 1.0, "b": 0.3, "c": 0.0, "d": -1.3}
    answers = simulate_pair_answers(truth, raters=12, repeats=2, seed=5)
    scales, probs = scale_tables(answers, resamples=200)
    th = scales[scales["model"] == "thurstone"]
    assert list(th["method"]) == ["a", "b", "c", "d"] and list(th["rank"]) == [1, 2, 3, 4]
    assert (th["ci_low"] <= th["score"]).all() and (th["score"] <= th["ci_high"]).all()
    assert th["p_best"].sum() == pytest.approx(1.0)
    assert set(scales["model"]) == {"thurstone", "bradley-terry"}
    p = probs[probs["model"] == "thurstone"].set_index(["a", "b"])
    assert p.loc[("a", "d"), "p"] == pytest.approx(1 - p.loc[("d", "a"), "p"])
    assert p.loc[("a", "d"), "comparisons"] == 24
    # two methods only: no scale (the preference table says it all)
    two = answers[answers["a"].isin(["a", "b"]) & answers["b"].isin(["a", "b"])]
    assert scale_tables(two)[0].empty

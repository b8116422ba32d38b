"""Adaptive pair planning for ranked studies: which pairs to show next so that fewer comparisons
reach the same precision of the scale (in the spirit of ASAP: Mikhailiuk, Wilmot, Perez-Ortiz, Yue
& Mantiuk, "Active Sampling for Pairwise Comparisons via Approximate Message Passing and
Information Gain Maximization", ICPR 2020).

Pure functions of the win counts so far (the ``W`` of :mod:`msi.study.scaling`), for a server to
call before it hands a rater their next pairs.

**Criterion.** The scores' posterior is approximated by a Gaussian at the fitted scores
(Laplace: covariance Σ = H⁻¹, H the observed information with the prior :data:`PLAN_PRIOR`).
Comparing i with j yields one binary outcome whose expected Fisher information about d = s_i − s_j is
``w = c² f(c d)² / (F(c d) (1 − F(c d)))`` (F the model's link, f its density, c its slope); the
expected information gain of the comparison, for this linear-Gaussian approximation, is
``½ log(1 + w · uᵀ Σ u)`` with u = e_i − e_j: large for pairs whose difference is uncertain
(uᵀΣu) and undecided (w peaks at d = 0). ASAP computes the gain from the exact expected KL
divergence of its message-passing posterior; this is its closed-form Gaussian counterpart.

**Which criterion** (docs/study/rank_adaptive.md, simulated): information gain saves most when
the methods lie far apart; with many methods close together it ends less precise than the full
design, where ``variance`` (A-optimal, aimed at the mean interval width) does about as well as it.

**Batches.** :func:`next_pairs` picks pairs one at a time, each time updating Σ as if the pair's
information had been gained (Sherman-Morrison: Σ ← Σ − w Σu uᵀΣ / (1 + w uᵀΣu)), so a batch
spreads over the design instead of repeating its single best pair.
"""
from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from scipy import special

from msi.study.scaling import fit_scale, hessian, rater_counts, slope

#: α of the planner's Gaussian prior (sd 1 unit: methods expected within a few JOD of each other).
#: Stronger than the analysis's (:data:`msi.study.scaling.PRIOR`): with that weak prior the first
#: fits put a method that won its first comparisons far out and the plan chased it, ending less
#: precise than the full design (docs/study/rank_adaptive.md, ``--plan-prior``).
PLAN_PRIOR = 0.5
#: What a pick maximises: ASAP's expected information gain, or the fall of the scores' variances.
CRITERIA = ("information", "variance")


def _fisher(model: str, d: np.ndarray) -> np.ndarray:
    """Expected information of one comparison about its difference, per unit of the link's argument."""
    if model == "thurstone":
        F = special.ndtr(d)
        f = np.exp(-0.5 * d * d) / np.sqrt(2 * np.pi)
        return f * f / np.clip(F * (1 - F), 1e-300, None)
    p = special.expit(d)
    return p * (1 - p)


def information_gain(W, model: str = "thurstone", prior: float = PLAN_PRIOR) -> np.ndarray:
    """(n, n) expected information gain of one more comparison of each pair (0 on the diagonal)."""
    W = np.asarray(W, dtype=np.float64)
    n = W.shape[0]
    s = fit_scale(W, model, prior)
    cov = np.linalg.inv(hessian(W, s, model, prior) + (0 if prior > 0 else np.full((n, n), 1.0 / n)))
    c = slope(model)
    w = c**2 * _fisher(model, c * (s[:, None] - s[None, :]))
    v = np.clip(np.diag(cov)[:, None] + np.diag(cov)[None, :] - 2 * cov, 0, None)
    gain = 0.5 * np.log1p(w * v)
    np.fill_diagonal(gain, 0.0)
    return gain


def next_pairs(W, count: int = 1, model: str = "thurstone", prior: float = PLAN_PRIOR,
               criterion: str = "information") -> list[tuple[int, int]]:
    """The ``count`` pairs (i, j), i < j, to compare next, greedily by ``criterion`` (module
    docstring): ``information``, the expected information gain (ASAP-like), or ``variance``, the
    expected fall of the summed variances of the centred scores (A-optimal design: the mean
    interval width), w ‖C Σ u‖² / (1 + w uᵀΣu), C the centring matrix. Deterministic: ties go to
    the lowest indices."""
    if criterion not in CRITERIA:
        raise ValueError(f"criterion must be one of {CRITERIA}, got {criterion!r}")
    W = np.asarray(W, dtype=np.float64)
    n = W.shape[0]
    if n < 2 or count < 1:
        return []
    s = fit_scale(W, model, prior)
    cov = np.linalg.inv(hessian(W, s, model, prior) + (0 if prior > 0 else np.full((n, n), 1.0 / n)))
    c = slope(model)
    w = c**2 * _fisher(model, c * (s[:, None] - s[None, :]))
    iu = np.triu_indices(n, 1)
    out = []
    for _ in range(count):
        v = np.clip(np.diag(cov)[:, None] + np.diag(cov)[None, :] - 2 * cov, 0, None)  # >= 0 but for rounding
        if criterion == "information":
            gain = np.log1p(w * v)[iu]
        else:
            cc = cov - cov.mean(0, keepdims=True)  # C Σ; ‖C Σ (e_i − e_j)‖² from its columns' Gram matrix
            gram = cc.T @ cc
            spread = np.clip(np.diag(gram)[:, None] + np.diag(gram)[None, :] - 2 * gram, 0, None)
            gain = (w * spread / (1 + w * v))[iu]
        k = int(np.argmax(gain))
        i, j = int(iu[0][k]), int(iu[1][k])
        out.append((i, j))
        u = np.zeros(n)
        u[i], u[j] = 1.0, -1.0
        su = cov @ u
        cov = cov - w[i, j] * np.outer(su, su) / (1 + w[i, j] * max(float(u @ su), 0.0))
        cov = (cov + cov.T) / 2
    return out


def plan_pairs(answers: pd.DataFrame, methods: Sequence[str], count: int = 1, question: str | None = None,
               model: str = "thurstone", prior: float = PLAN_PRIOR, criterion: str = "information"
               ) -> list[tuple[str, str]]:
    """The next ``count`` pairs of ``methods`` to show, from a study's pair answers so far (the
    tidy table; ``main`` rows of ``question``, or of every question when None), as method names."""
    pair = answers[(answers["type"] == "pair") & (answers["kind"] == "main")
                   & answers["a"].isin(methods) & answers["b"].isin(methods)]
    if question is not None:
        pair = pair[pair["question"] == question]
    names = list(methods)
    W = rater_counts(pair, names)[2].sum(0) if len(pair) else np.zeros((len(names), len(names)))
    return [(names[i], names[j]) for i, j in next_pairs(W, count, model, prior, criterion)]

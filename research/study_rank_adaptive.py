"""How many comparisons the adaptive pair plan (msi.study.adaptive) saves against the full pair
design, for the same interval width of a ranked study's scale. SIMULATED raters: seeded
Thurstone Case V choices from a known latent scale; nothing here is evidence about people.

Per seed, n methods with true scores ~ N(0, spread) JOD (centred; spread 1 and 2: methods close
together, and a wider field such as real videos against broken baselines):

* full design: rounds of every pair once (n(n-1)/2 comparisons a round);
* adaptive: batches of n comparisons, each batch chosen by ``next_pairs`` on the counts so far
  (the server's loop: a rater's next pairs planned from everything answered before), with each of
  its criteria (information gain, as ASAP; variance, A-optimal).

After every round / batch: the mean half-width of the scores' 95% intervals (normal
approximation at the fitted scale, :func:`msi.study.scaling.laplace_halfwidth`: the bootstrap
over raters does not apply to a design that depends on earlier answers) and the RMSE of the
scores against the truth. The target is the full design's mean half-width after ``--rounds``
rounds (median curve over seeds); the saving is 1 - (adaptive comparisons to reach it) / (full
design's comparisons). The same for the RMSE checks that narrower intervals are a real gain.

    python research/study_rank_adaptive.py            # writes docs/study/rank_adaptive.md and docs/img/study_rank_adaptive.png
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from msi.study.adaptive import CRITERIA, PLAN_PRIOR, next_pairs  # noqa: E402
from msi.study.scaling import fit_scale, laplace_halfwidth, preference_probability  # noqa: E402


def answer(W: np.ndarray, P: np.ndarray, pairs, rng: np.random.Generator) -> None:
    for i, j in pairs:
        if rng.random() < P[i, j]:
            W[i, j] += 1
        else:
            W[j, i] += 1


def run(n: int, seed: int, budget: int, spread: float, plan_prior: float
        ) -> dict[str, list[tuple[int, float, float]]]:
    """Per design, (comparisons, mean half-width, RMSE) after each round or batch, up to ``budget``."""
    rng = np.random.default_rng([n, seed])
    truth = rng.normal(0, spread, n)
    truth -= truth.mean()
    P = preference_probability(truth, "thurstone")
    every = [(i, j) for i in range(n) for j in range(i + 1, n)]
    out = {}
    for design in ("full", *CRITERIA):
        W = np.zeros((n, n))
        curve = []
        draw = np.random.default_rng([n, seed, 1])  # the same raters' luck for both designs' streams
        while W.sum() < budget:
            pairs = every if design == "full" else next_pairs(W, n, prior=plan_prior, criterion=design)
            answer(W, P, pairs, draw)
            s = fit_scale(W)
            curve.append((int(W.sum()), float(laplace_halfwidth(W).mean()), float(np.sqrt(np.mean((s - truth) ** 2)))))
        out[design] = curve
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seeds", type=int, default=20)
    ap.add_argument("--rounds", type=int, default=10, help="full-design rounds that set the target width")
    ap.add_argument("--plan-prior", type=float, default=PLAN_PRIOR, help="the planner's prior (alpha)")
    ap.add_argument("--out", default=str(ROOT / "docs" / "study" / "rank_adaptive.md"))
    ap.add_argument("--figure", default=str(ROOT / "docs" / "img" / "study_rank_adaptive.png"))
    a = ap.parse_args()
    lines = ["# Adaptive pairs against the full design (simulated raters)\n",
             "Reproduce: `python research/study_rank_adaptive.py`\n",
             "**Simulated** raters (seeded Thurstone Case V choices from a known latent scale); "
             "not evidence about people. Full design: every pair once per round; adaptive: batches of n pairs chosen by "
             f"`msi.study.adaptive.next_pairs` on the answers so far (planner prior α = {a.plan_prior:g}). "
             "Width: mean half-width of the scores' 95% intervals "
             f"(normal approximation); target: the full design's width after {a.rounds} rounds (median over "
             f"{a.seeds} seeds); true scores ~ N(0, spread) JOD.\n",
             "| spread (JOD) | methods | criterion | full design: comparisons | its mean half-width (JOD) | adaptive: "
             "comparisons to it | saving | full design's RMSE (JOD) | adaptive: comparisons to it | saving | adaptive "
             "RMSE at the full budget |",
             "|---|---|---|---|---|---|---|---|---|---|---|"]
    curves = {}
    for spread, n in ((1.0, 6), (1.0, 10), (2.0, 6), (2.0, 10)):
        full_n = a.rounds * n * (n - 1) // 2
        runs = [run(n, seed, int(1.3 * full_n), spread, a.plan_prior) for seed in range(a.seeds)]
        curves[(spread, n)] = runs
        # median curves over seeds on a common grid of comparisons, for the width and the error
        grid = np.arange(n * (n - 1) // 2, int(1.3 * full_n) + 1, n)
        med = {(d, k): np.median([np.interp(grid, [c for c, _, _ in r[d]], [x[k] for x in r[d]]) for r in runs], 0)
               for d in ("full", *CRITERIA) for k in (1, 2)}
        for crit in CRITERIA:
            row = [f"{spread:g}", str(n), crit, str(full_n)]
            for k in (1, 2):  # 1: mean half-width, 2: RMSE
                target = float(np.interp(full_n, grid, med[("full", k)]))
                reached = med[(crit, k)] <= target
                at = float(grid[np.argmax(reached)]) if reached.any() else np.nan
                saving = f"{100 * (1 - at / full_n):.0f}%" if np.isfinite(at) else f"not reached by {grid[-1]}"
                row += [f"{target:.3f}", f"{at:.0f}" if np.isfinite(at) else "—", saving]
            row.append(f"{np.interp(full_n, grid, med[(crit, 2)]):.3f}")
            lines.append("| " + " | ".join(row) + " |")
            print(lines[-1], flush=True)
    lines.append("\nMedian curves over the seeds (the figure): the full design's value after its last round, and the "
                 "first batch at which the adaptive plan's median curve is as good. Saving: 1 − adaptive / full "
                 "comparisons. Half-width: of the centred scores' 95% intervals (normal approximation; with the weak "
                 "prior, a method that has won or lost every comparison so far has a wide interval, which the full "
                 "design keeps longer when methods lie far apart). RMSE: of the centred scores against the truth.\n")
    Path(a.out).write_text("\n".join(lines) + "\n")
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 4, figsize=(15, 3.4))
    for ax, ((spread, n), runs) in zip(axes, curves.items()):
        for design, color in (("full", "#e57373"), ("information", "#3949ab"), ("variance", "#43a047")):
            grid = np.linspace(n * (n - 1) // 2, a.rounds * n * (n - 1) // 2, 40)
            w = np.median([np.interp(grid, [c for c, _, _ in r[design]], [x for _, x, _ in r[design]]) for r in runs], 0)
            ax.plot(grid, w, color=color, label=design if design == "full" else f"adaptive ({design})")
        ax.set_title(f"{n} methods, spread {spread:g} JOD (simulated)", fontsize=9, loc="left")
        ax.set_xlabel("comparisons", fontsize=9)
        ax.set_ylabel("mean 95% half-width (JOD)", fontsize=9)
        ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(a.figure, dpi=110)
    print(f"wrote {a.out} and {a.figure}")


if __name__ == "__main__":
    main()

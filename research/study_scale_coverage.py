"""How often the ranked study's 95% intervals hold the true score: the basic bootstrap interval
msi.study.scaling uses against the percentile interval, on SIMULATED studies (seeded Thurstone
or Bradley-Terry choices from a known latent scale; not evidence about people).

Per seed: n methods with true scores ~ N(0, 1) (centred), 15 raters answering every pair once,
400 resamples over raters; coverage = share of (seed, method) cases whose interval holds the truth.

    python research/study_scale_coverage.py [--seeds 60]
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from msi.study.scaling import basic_interval, bootstrap_scales, fit_scale, rater_counts  # noqa: E402
from msi.study.simulate import simulate_pair_answers  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seeds", type=int, default=60)
    ap.add_argument("--raters", type=int, default=15)
    ap.add_argument("--resamples", type=int, default=400)
    a = ap.parse_args()
    print(f"SIMULATED raters: {a.raters} per study, every pair once, {a.resamples} resamples, {a.seeds} seeds")
    print("| model | methods | basic (msi) | percentile |\n|---|---|---|---|")
    for model in ("thurstone", "bradley-terry"):
        for n in (6, 10):
            hits = {"basic": 0, "percentile": 0}
            for seed in range(a.seeds):
                rng = np.random.default_rng(1000 + seed)
                truth = rng.normal(0, 1, n)
                truth -= truth.mean()
                names = [f"m{i}" for i in range(n)]
                answers = simulate_pair_answers(dict(zip(names, truth)), a.raters, seed=seed, model=model)
                _, _, Wr = rater_counts(answers, names)
                s = fit_scale(Wr.sum(0), model)
                boot = bootstrap_scales(Wr, model, resamples=a.resamples, seed=seed)
                lo, hi = basic_interval(s, boot)
                hits["basic"] += int(((lo <= truth) & (truth <= hi)).sum())
                lo, hi = np.quantile(boot, [0.025, 0.975], axis=0)
                hits["percentile"] += int(((lo <= truth) & (truth <= hi)).sum())
            cases = a.seeds * n
            print(f"| {model} | {n} | {hits['basic'] / cases:.1%} | {hits['percentile'] / cases:.1%} |", flush=True)


if __name__ == "__main__":
    main()

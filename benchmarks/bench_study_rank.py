"""The ranked study's scale: its bootstrap fitted as one batch against the same resamples fitted
one by one, and the adaptive planner's cost per batch, side by side in one run.

A simulated study (msi.study.simulate.simulate_pair_answers: Thurstone choices from a known
scale; SIMULATED raters) of --methods methods and --raters raters answering every pair once;
the bootstrap has --resamples resamples over raters, as ``msi study analyze`` draws them.

    python benchmarks/bench_study_rank.py [--methods 10] [--raters 20] [--resamples 1000] [--repeat 3]
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.timing import best_of  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--methods", type=int, default=10)
    ap.add_argument("--raters", type=int, default=20)
    ap.add_argument("--resamples", type=int, default=1000)
    ap.add_argument("--repeat", type=int, default=3)
    a = ap.parse_args()

    from msi.study.adaptive import next_pairs
    from msi.study.scaling import bootstrap_scales, fit_scale, rater_counts, scale_of
    from msi.study.simulate import simulate_pair_answers

    rng = np.random.default_rng(0)
    truth = dict(zip([f"m{i}" for i in range(a.methods)], rng.normal(0, 1, a.methods)))
    answers = simulate_pair_answers(truth, a.raters, seed=0)
    _, _, Wr = rater_counts(answers, list(truth))
    R = Wr.shape[0]
    picks = np.random.default_rng(0).integers(0, R, (a.resamples, R))
    weights = np.stack([np.bincount(p, minlength=R) for p in picks]).astype(float)
    batch = np.einsum("br,rij->bij", weights, Wr)
    t_batch = best_of(lambda: bootstrap_scales(Wr, resamples=a.resamples), a.repeat)
    t_loop = best_of(lambda: [fit_scale(w) for w in batch], a.repeat)
    t_table = best_of(lambda: scale_of(answers, resamples=a.resamples), a.repeat)
    t_plan = best_of(lambda: next_pairs(Wr.sum(0), a.methods), a.repeat)
    print(f"{a.methods} methods, {a.raters} raters x {len(answers) // a.raters} comparisons, {a.resamples} resamples "
          f"(Thurstone):")
    print(f"  bootstrap as one batch: {t_batch:.3f} s; one fit at a time: {t_loop:.3f} s "
          f"(batch {t_loop / t_batch:.1f}x faster)")
    print(f"  one scale with its intervals and win probabilities (scale_of): {t_table:.3f} s")
    print(f"  adaptive planner, a batch of {a.methods} pairs: {1000 * t_plan:.1f} ms")


if __name__ == "__main__":
    main()

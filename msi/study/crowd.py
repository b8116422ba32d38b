"""Crowd-grade quality control of answer rows, after the ITU-T P.910 crowdsourcing toolkit
(microsoft/P.910, its ``result_parser.py`` and docs/results.md) and ITU-T P.808 (crowdsourced
listening tests, the same screening):

* **Straightliner** (toolkit: ``variance_bigger_equal: 0.15``): a rater whose counted grades
  vary less than :data:`MIN_VARIANCE` (sample variance, ddof 1, over their ``main`` grades of every
  graded design) answered without looking. Pair answers have the same rule on the sides chosen,
  coded left +1, no preference 0, right −1 (the toolkit applies it to CCR answers by position,
  undoing the sign its page gives them): always picking one side is variance 0.
  The toolkit applies the rule per session (one HIT); here per rater, over all their answers, and
  only to a design the rater saw in at least :data:`MIN_PRESENTATIONS` counted presentations: a
  careful rater shown two pairs that both had the better video on the right is no straightliner
  (with 8 presentations and sides drawn at random, a careful rater picks one side throughout with
  probability 2⁻⁷ < 1 %).
* **Outlying votes** (toolkit: ``outlier_removal``, off by default there and here): a grade whose
  z-score among the grades of its video and question is |z| >= 3.29 (NIST/SEMATECH e-Handbook of
  Statistical Methods, §1.3.5.17; 3.29 is the two-sided 0.1 % point of the normal) is left out.
  The vote is dropped, not the rater. With the sample standard deviation no grade can reach
  |z| = 3.29 among fewer than 13 (the largest |z| of n values is (n − 1)/√n).
* **Per-rater caps** (toolkit: ``allowedMaxHITsInProject``): only a rater's first N presentations
  (by ``seq``) count; the rest are left out and counted.
* **Trapping clips** ("select 2 for this one") and gold clips are attention rows with a known
  answer (``expect``); their failures are counted by the attention screening of
  :mod:`msi.study.analysis`.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

#: The toolkit's least variance of a session's grades (``variance_bigger_equal``).
MIN_VARIANCE = 0.15
#: Fewest counted presentations of a design before the straightliner rule judges it.
MIN_PRESENTATIONS = 8
#: |z| at or above which a vote is an outlier (NIST: two-sided p = 0.001).
OUTLIER_Z = 3.29
GRADED = ("acr", "dcr", "ccr")


def rater_variance(answers: pd.DataFrame) -> pd.DataFrame:
    """Per rater: ``grade_variance`` (sample variance of their ``main`` grades, NaN for fewer than
    two) and ``side_variance`` (of their pair choices coded a +1, none 0, b −1), with the numbers
    of presentations they rest on (``graded_presentations``, ``pair_presentations``)."""
    main = answers[answers["kind"] == "main"]
    graded = main[main["type"].isin(GRADED)]
    pair = main[main["type"] == "pair"]
    g = graded.assign(v=pd.to_numeric(graded["grade"], errors="coerce").astype(float)).groupby("rater")["v"].var(ddof=1)
    code = pair["choice"].map({"a": 1.0, "none": 0.0, "b": -1.0})
    s = pair.assign(v=code).groupby("rater")["v"].var(ddof=1)
    out = pd.DataFrame({"rater": pd.unique(answers["rater"])})
    out["grade_variance"] = out["rater"].map(g).astype(float)
    out["side_variance"] = out["rater"].map(s).astype(float)
    for name, part in (("graded_presentations", graded), ("pair_presentations", pair)):
        out[name] = out["rater"].map(part.groupby("rater")["seq"].nunique()).fillna(0).astype(int)
    return out


def straightliners(variance: pd.DataFrame, min_variance: float = MIN_VARIANCE,
                   min_presentations: int = MIN_PRESENTATIONS) -> dict[str, str]:
    """Rater -> reason, for the raters whose grade or side variance is below ``min_variance``
    over at least ``min_presentations`` presentations (``variance``: :func:`rater_variance`)."""
    out = {}
    for r in variance.itertuples():
        why = []
        if (np.isfinite(r.grade_variance) and r.grade_variance < min_variance
                and r.graded_presentations >= min_presentations):
            why.append(f"straightliner: grade variance {r.grade_variance:.2f} < {min_variance}")
        if (np.isfinite(r.side_variance) and r.side_variance < min_variance
                and r.pair_presentations >= min_presentations):
            why.append(f"straightliner: side variance {r.side_variance:.2f} < {min_variance}")
        if why:
            out[r.rater] = "; ".join(why)
    return out


def cap_presentations(answers: pd.DataFrame, max_presentations: int | None) -> tuple[pd.DataFrame, pd.Series]:
    """The answers of each rater's first ``max_presentations`` presentations (by ``seq``; practice
    ones do not count towards the cap), and per rater how many presentations were left out."""
    if max_presentations is None:
        return answers, pd.Series(dtype=int)
    counted = answers[answers["kind"] != "practice"]
    pres = counted[["rater", "seq"]].drop_duplicates().sort_values(["rater", "seq"], kind="stable")
    pres["n"] = pres.groupby("rater").cumcount()
    over = pres[pres["n"] >= max_presentations]
    drop = answers.set_index(["rater", "seq"]).index.isin(over.set_index(["rater", "seq"]).index) \
        & (answers["kind"] != "practice").to_numpy()
    return answers[~drop].reset_index(drop=True), over.groupby("rater").size()


def outlying_votes(answers: pd.DataFrame, z: float = OUTLIER_Z) -> pd.Series:
    """A boolean mask of the ``main`` graded rows whose |z| among the grades of their item and
    question is at least ``z`` (sample standard deviation; groups with sd 0 have no outliers)."""
    mask = (answers["kind"] == "main") & answers["type"].isin(GRADED)
    g = pd.to_numeric(answers["grade"], errors="coerce").astype(float).where(mask)
    by = g.groupby([answers["item"], answers["question"]])
    mean, sd = by.transform("mean"), by.transform(lambda x: x.std(ddof=1))
    with np.errstate(invalid="ignore", divide="ignore"):
        score = (g - mean) / sd
    return (mask & (score.abs() >= z) & (sd > 0)).fillna(False).astype(bool)

"""A study's answers in, its tables out: rater screening, MOS (Table III), preferences (Fig. 8/9),
agreement, and the per-video MOS that ``msi correlate`` reads (Table IV).

Pure: the validated answers table of :mod:`msi.study.answers` in, tidy DataFrames out (the
statistics are :mod:`msi.stats`'s). Only ``main`` presentations count towards MOS, preferences
and agreement; practice answers are ignored, repeats and attention items serve the screening.

**Screening** (each exclusion counted, with its reasons):

1. *Attention*: an attention row fails when its grade is above its ``<=g`` bound or its choice is
   not the expected side; a rater with more than ``max_attention_fails`` failures is excluded.
2. *Repeats*: ACR, the mean absolute difference between a repeat's grades and the first
   presentation's, over questions and repeated items (above ``max_repeat_diff`` grades: excluded);
   pair, the share of repeated answers whose preferred method changed (above ``max_repeat_flips``).
3. *Straightliners* (crowd rule, :mod:`msi.study.crowd`): a rater whose grades (or sides
   chosen) vary less than ``min_variance`` (0.15, the P.910 toolkit's default).
4. *Panel*: among the raters left, observers who disagree with the panel on the ACR grades
   (default ``p913``):
   ``bt500`` (ITU-R BT.500-14, Annex 1 §2.3.1): for every video and question j, the mean u_j,
   standard deviation s_j and kurtosis β2_j = m4 / m2² of the grades; a grade counts in P_i when
   it is ≥ u_j + k s_j and in Q_i when ≤ u_j − k s_j, with k = 2 if 2 ≤ β2_j ≤ 4 (normal) else √20;
   observer i is rejected when (P_i + Q_i) / N_i > 0.05 and |P_i − Q_i| / (P_i + Q_i) < 0.3.
   ``p913`` (ITU-T P.913 §12.4): the Pearson r between the rater's grades and the mean grade of the
   other raters over the same videos and questions; below ``min_r`` (0.75) the rater is rejected.
   BT.500's rule was made for long sessions: with a few dozen grades per rater, two outlying
   grades (one high, one low) reject a careful observer, hence P.913 by default.

**MOS** per method and question: mean of the grades with its t interval (:func:`msi.stats.mean_ci`;
every grade one observation, as BT.500's δ = 1.96 S / √N, with Student's t for small N).

**Preferences** per pair of methods and question, in the order the study made them: wins of A,
of B, ties ("no preference"), each share with its Clopper-Pearson interval, and the two-sided sign
test of A's wins against B's (:func:`msi.stats.sign_test`).

**DMOS, CMOS** (DCR and CCR answers, ITU-T P.910): as the MOS, over those grades.

**Scales**: pairs over three or more methods (one connected design) are scaled by Thurstone Case V
and Bradley-Terry with bootstrap intervals over raters (:mod:`msi.study.scaling`).

**Agreement**: Krippendorff's α (ordinal; grades, and choices coded B < none < A) over units =
video × question (pair item × question), and the ICC (Shrout & Fleiss) of the grades per question.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from msi.stats import CONFIDENCE, icc, krippendorff_alpha, mean_ci, share_ci, sign_test
from msi.study.crowd import MIN_VARIANCE, cap_presentations, outlying_votes, rater_variance, straightliners
from msi.study.scaling import RESAMPLES, scale_tables

#: Default screening thresholds (each a ``msi study analyze`` option).
MAX_ATTENTION_FAILS = 0
MAX_REPEAT_DIFF = 1.5
MAX_REPEAT_FLIPS = 0.5
MIN_R = 0.75
PANEL_RULES = ("bt500", "p913", "none")
#: ICC types reported (pingouin's names): single rater and mean of k raters, absolute agreement.
ICC_TYPES = ("ICC(A,1)", "ICC(A,k)")

SCREENING_COLUMNS = ["rater", "answers", "attention_items", "attention_failed", "repeat_items", "repeat_grade_diff",
                     "repeat_flips", "grade_variance", "side_variance", "panel_p", "panel_q", "panel_n", "panel_r",
                     "capped", "outlier_votes", "excluded", "reasons"]


@dataclass
class Analysis:
    """Every table of one analysis (see the module docstring)."""

    screening: pd.DataFrame
    mos: pd.DataFrame
    per_video: pd.DataFrame
    preference: pd.DataFrame
    agreement: pd.DataFrame
    thresholds: dict = field(default_factory=dict)
    #: DCR and CCR answers (ITU-T P.910): DMOS and CMOS per method and question, as :attr:`mos`.
    dmos: pd.DataFrame = field(default_factory=pd.DataFrame)
    cmos: pd.DataFrame = field(default_factory=pd.DataFrame)
    #: Pairs over three or more methods: the scales (:mod:`msi.study.scaling`) and P(a preferred to b).
    scale: pd.DataFrame = field(default_factory=pd.DataFrame)
    win_probability: pd.DataFrame = field(default_factory=pd.DataFrame)

    @property
    def included(self) -> list[str]:
        return self.screening.loc[~self.screening["excluded"], "rater"].tolist()


def pair_methods(item: str) -> tuple[str, str]:
    """The two methods of a pair item id ``pair:A:B:utterance`` in the study's order."""
    _, a, b, _ = item.split(":", 3)
    return a, b


def preferred(df: pd.DataFrame) -> pd.Series:
    """The method each pair answer prefers (its side's method), or ``none``."""
    return pd.Series(np.where(df["choice"] == "a", df["a"], np.where(df["choice"] == "b", df["b"], "none")),
                     index=df.index)


def expected_grades(expect: str) -> tuple[float, float]:
    """The grades an attention row's ``expect`` allows, as (lowest, highest): ``<=2``, ``>=4``,
    ``=3`` (or ``3``), ``3..5``; (NaN, NaN) for anything else."""
    e = str(expect).strip()
    try:
        if e.startswith("<="):
            return -math.inf, float(e[2:])
        if e.startswith(">="):
            return float(e[2:]), math.inf
        if ".." in e:
            lo, hi = e.split("..", 1)
            return float(lo), float(hi)
        v = float(e.removeprefix("="))
        return v, v
    except ValueError:
        return math.nan, math.nan


def attention_failures(answers: pd.DataFrame) -> pd.DataFrame:
    """The attention rows with a known answer and whether each ``failed``."""
    att = answers[(answers["kind"] == "attention") & answers["expect"].notna()].copy()
    bounds = np.array([expected_grades(e) for e in att["expect"]], dtype=float).reshape(-1, 2)
    grade = pd.to_numeric(att["grade"], errors="coerce").to_numpy(dtype=float)
    graded = (att["type"] != "pair").to_numpy()
    with np.errstate(invalid="ignore"):
        off = (grade < bounds[:, 0]) | (grade > bounds[:, 1])
    att["failed"] = np.where(graded, off, (att["choice"] != att["expect"]).to_numpy())
    return att


def repeat_consistency(answers: pd.DataFrame) -> pd.DataFrame:
    """Per rater: ``repeat_items``, ``repeat_grade_diff`` (ACR: mean |grade_repeat − grade_first|)
    and ``repeat_flips`` (pair: share of repeated answers whose preferred method changed)."""
    key = ["rater", "item", "question"]
    first = answers[answers["kind"] == "main"].drop_duplicates(key)
    again = answers[answers["kind"] == "repeat"]
    both = again.merge(first, on=key, suffixes=("", "_first"))
    rows = []
    for rater, g in both.groupby("rater", sort=False):
        acr, pair = g[g["type"] == "acr"], g[g["type"] == "pair"]
        diff = (acr["grade"].astype(float) - acr["grade_first"].astype(float)).abs().mean() if len(acr) else np.nan
        if len(pair):
            now = preferred(pair)
            was = preferred(pair.assign(a=pair["a_first"], b=pair["b_first"], choice=pair["choice_first"]))
            flips = float((now != was).mean())
        else:
            flips = np.nan
        rows.append({"rater": rater, "repeat_items": int(g["item"].nunique()), "repeat_grade_diff": float(diff),
                     "repeat_flips": flips})
    return pd.DataFrame(rows, columns=["rater", "repeat_items", "repeat_grade_diff", "repeat_flips"])


def bt500_counts(grades: pd.DataFrame) -> pd.DataFrame:
    """ITU-R BT.500 observer screening counts per rater: ``panel_p``, ``panel_q``, ``panel_n``
    (``grades``: rater, unit, grade; one grade per rater and unit)."""
    g = grades.copy()
    by = g.groupby("unit")["grade"]
    u = by.transform("mean")
    s = by.transform(lambda x: x.std(ddof=1) if len(x) > 1 else np.nan)
    m2 = by.transform(lambda x: ((x - x.mean()) ** 2).mean())
    m4 = by.transform(lambda x: ((x - x.mean()) ** 4).mean())
    with np.errstate(invalid="ignore", divide="ignore"):
        beta2 = m4 / m2**2
    k = np.where((beta2 >= 2) & (beta2 <= 4), 2.0, np.sqrt(20.0))
    ok = s.notna() & (s > 0)
    g["p"] = ok & (g["grade"] >= u + k * s)
    g["q"] = ok & (g["grade"] <= u - k * s)
    out = g.groupby("rater").agg(panel_p=("p", "sum"), panel_q=("q", "sum"), panel_n=("grade", "size"))
    return out.reset_index()


def bt500_rejected(p: int, q: int, n: int) -> bool:
    """BT.500's rule: (P + Q) / N > 0.05 and |P − Q| / (P + Q) < 0.3."""
    return n > 0 and (p + q) / n > 0.05 and abs(p - q) / (p + q) < 0.3


def panel_correlation(grades: pd.DataFrame) -> pd.DataFrame:
    """P.913-style: per rater, Pearson r of their grades with the mean of the other raters' on
    the same units (``panel_r``)."""
    wide = grades.pivot_table(index="unit", columns="rater", values="grade", aggfunc="mean")
    rows = []
    for rater in wide.columns:
        others = wide.drop(columns=rater).mean(axis=1)
        both = pd.concat([wide[rater], others], axis=1).dropna()
        r = both.corr().iloc[0, 1] if len(both) >= 3 and both.std().min() > 0 else np.nan
        rows.append({"rater": rater, "panel_r": float(r)})
    return pd.DataFrame(rows, columns=["rater", "panel_r"])


def _acr_units(answers: pd.DataFrame) -> pd.DataFrame:
    acr = answers[(answers["type"] == "acr") & (answers["kind"] == "main")]
    return acr.assign(unit=acr["item"] + "|" + acr["question"], grade=acr["grade"].astype(float))[["rater", "unit", "grade"]]


def screen(answers: pd.DataFrame, max_attention_fails: int = MAX_ATTENTION_FAILS,
           max_repeat_diff: float = MAX_REPEAT_DIFF, max_repeat_flips: float = MAX_REPEAT_FLIPS,
           panel: str = "p913", min_r: float = MIN_R, min_variance: float | None = MIN_VARIANCE) -> pd.DataFrame:
    """One row per rater (:data:`SCREENING_COLUMNS`): the measures of the screenings, and
    ``excluded`` with its ``reasons`` (``;``-separated, empty for a rater kept). ``min_variance``:
    the straightliner rule of :mod:`msi.study.crowd` (None: off). ``capped`` and
    ``outlier_votes`` are filled by :func:`analyze`."""
    if panel not in PANEL_RULES:
        raise ValueError(f"panel must be one of {PANEL_RULES}, got {panel!r}")
    counted = answers[answers["kind"] != "practice"]
    out = pd.DataFrame({"rater": pd.unique(answers["rater"])})
    out["answers"] = out["rater"].map(counted.groupby("rater").size()).fillna(0).astype(int)
    att = attention_failures(answers)
    per = att.groupby("rater").agg(attention_items=("item", "nunique"), attention_failed=("failed", "sum"))
    out = out.merge(per.reset_index(), on="rater", how="left").merge(repeat_consistency(answers), on="rater", how="left")
    out[["attention_items", "attention_failed", "repeat_items"]] = (
        out[["attention_items", "attention_failed", "repeat_items"]].fillna(0).astype(int))
    out = out.merge(rater_variance(answers), on="rater", how="left")
    reasons: dict[str, list[str]] = {r: [] for r in out["rater"]}
    if min_variance is not None:
        for rater, why in straightliners(out, min_variance).items():
            reasons[rater].append(why)
    for r in out.itertuples():
        if r.attention_failed > max_attention_fails:
            reasons[r.rater].append(f"failed {r.attention_failed} of {r.attention_items} attention items")
        if np.isfinite(r.repeat_grade_diff) and r.repeat_grade_diff > max_repeat_diff:
            reasons[r.rater].append(f"repeats differ by {r.repeat_grade_diff:.2f} grades on average")
        if np.isfinite(r.repeat_flips) and r.repeat_flips > max_repeat_flips:
            reasons[r.rater].append(f"{r.repeat_flips:.0%} of repeated preferences changed")
    kept = [r for r, why in reasons.items() if not why]
    units = _acr_units(answers)
    units = units[units["rater"].isin(kept)]
    counts = bt500_counts(units) if len(units) else pd.DataFrame(columns=["rater", "panel_p", "panel_q", "panel_n"])
    corr = panel_correlation(units) if len(units) else pd.DataFrame(columns=["rater", "panel_r"])
    out = out.merge(counts, on="rater", how="left").merge(corr, on="rater", how="left")
    if panel != "none" and len(kept) >= 3:  # a panel of two has no "other observers" to disagree with
        for r in out.itertuples():
            if r.rater not in kept:
                continue
            if panel == "bt500" and pd.notna(r.panel_n) and bt500_rejected(int(r.panel_p), int(r.panel_q), int(r.panel_n)):
                reasons[r.rater].append(f"disagrees with the panel (BT.500: P={int(r.panel_p)}, Q={int(r.panel_q)} "
                                        f"of {int(r.panel_n)})")
            if panel == "p913" and pd.notna(r.panel_r) and r.panel_r < min_r:
                reasons[r.rater].append(f"disagrees with the panel (P.913: r={r.panel_r:.2f} < {min_r})")
    out["reasons"] = out["rater"].map(lambda r: "; ".join(reasons[r]))
    out["excluded"] = out["reasons"] != ""
    out["capped"] = 0
    out["outlier_votes"] = 0
    return out[SCREENING_COLUMNS]


def mos_table(answers: pd.DataFrame, level: float = CONFIDENCE, design: str = "acr") -> pd.DataFrame:
    """Table III: per method and question, ``n`` grades, ``raters``, ``mos`` and its t interval.

    With ``design`` ``dcr`` the same of the DCR grades: the DMOS (ITU-T P.910 §6.2, degradation
    mean opinion score, 5 imperceptible ... 1 very annoying); with ``ccr`` of the CCR grades: the
    CMOS (P.910 §6.3, the method against its reference, −3 much worse ... +3 much better; 0 is
    "about the same", so an interval that holds 0 shows no difference)."""
    acr = answers[(answers["type"] == design) & (answers["kind"] == "main")]
    rows = []
    for (method, question), g in acr.groupby(["method", "question"], sort=False):
        m, lo, hi, n = mean_ci(g["grade"].astype(float).to_numpy(), level)
        rows.append({"method": method, "question": question, "n": n, "raters": g["rater"].nunique(),
                     "mos": m, "ci_low": lo, "ci_high": hi})
    return pd.DataFrame(rows, columns=["method", "question", "n", "raters", "mos", "ci_low", "ci_high"])


def per_video_mos(answers: pd.DataFrame, questions: list[str] | None = None) -> pd.DataFrame:
    """One row per video: ``video, method, utterance``, one MOS column per question (named after
    the question: ``motion_stability``, ``lip_sync``, ``realness``, the subjective columns
    ``msi correlate`` looks for) and ``raters`` (how many graded it)."""
    acr = answers[(answers["type"] == "acr") & (answers["kind"] == "main")]
    if acr.empty:
        return pd.DataFrame(columns=["video", "method", "utterance", *(questions or []), "raters"])
    wide = acr.pivot_table(index=["video", "method", "utterance"], columns="question", values="grade",
                           aggfunc=lambda x: float(np.mean(x.astype(float))))
    wide.columns.name = None
    order = [q for q in (questions or list(pd.unique(acr["question"]))) if q in wide.columns]
    out = wide[order].reset_index()
    out["raters"] = out["video"].map(acr.groupby("video")["rater"].nunique())
    return out


def preference_table(answers: pd.DataFrame, level: float = CONFIDENCE) -> pd.DataFrame:
    """Fig. 8/9: per pair of methods (``a``, ``b`` in the study's order) and question: ``n``,
    ``wins_a``, ``wins_b``, ``ties``, each share with its exact interval, and the sign test ``p``."""
    cols = ["a", "b", "question", "n", "wins_a", "wins_b", "ties", "share_a", "share_a_low", "share_a_high",
            "share_b", "share_b_low", "share_b_high", "share_none", "share_none_low", "share_none_high", "p"]
    pair = answers[(answers["type"] == "pair") & (answers["kind"] == "main")]
    if pair.empty:
        return pd.DataFrame(columns=cols)
    canon = pair["item"].map(pair_methods)
    pair = pair.assign(ca=canon.str[0], cb=canon.str[1], pref=preferred(pair))
    rows = []
    for (a, b, question), g in pair.groupby(["ca", "cb", "question"], sort=False):
        n, wa, wb = len(g), int((g["pref"] == a).sum()), int((g["pref"] == b).sum())
        row = {"a": a, "b": b, "question": question, "n": n, "wins_a": wa, "wins_b": wb, "ties": n - wa - wb}
        for name, k in (("share_a", wa), ("share_b", wb), ("share_none", n - wa - wb)):
            row[name], row[f"{name}_low"], row[f"{name}_high"] = share_ci(k, n, level)
        row["p"] = sign_test(wa, wb)
        rows.append(row)
    return pd.DataFrame(rows, columns=cols)


def agreement_table(answers: pd.DataFrame) -> pd.DataFrame:
    """Inter-rater agreement per design and question: Krippendorff's α (ordinal) and, for the
    grades (ACR, DCR, CCR), the ICCs of :data:`ICC_TYPES`; columns ``type, question, measure, value, ci_low,
    ci_high, units, raters``."""
    rows = []
    main = answers[answers["kind"] == "main"]
    for (design, question), g in main.groupby(["type", "question"], sort=False):
        if design != "pair":  # graded: ACR, DCR, CCR
            value = g["grade"].astype(float)
        else:
            a = g["item"].map(lambda i: pair_methods(i)[0])
            pref = preferred(g)
            value = pd.Series(np.where(pref == a, 1.0, np.where(pref == "none", 0.0, -1.0)), index=g.index)
        matrix = g.assign(v=value).pivot_table(index="rater", columns="item", values="v", aggfunc="mean")
        rows.append({"type": design, "question": question, "measure": "krippendorff_alpha_ordinal",
                     "value": krippendorff_alpha(matrix.to_numpy(), "ordinal"), "ci_low": np.nan, "ci_high": np.nan,
                     "units": int(matrix.notna().sum(axis=0).ge(2).sum()), "raters": int(matrix.shape[0])})
        if design != "pair":
            res = icc(g.assign(v=value), "item", "rater", "v")
            for t in res[res["type"].isin(ICC_TYPES)].itertuples():
                rows.append({"type": design, "question": question, "measure": t.type, "value": t.icc,
                             "ci_low": t.ci_low, "ci_high": t.ci_high, "units": int(t.n_targets), "raters": int(t.n_raters)})
    return pd.DataFrame(rows, columns=["type", "question", "measure", "value", "ci_low", "ci_high", "units", "raters"])


def analyze(answers: pd.DataFrame, questions: list[str] | None = None, level: float = CONFIDENCE,
            resamples: int = RESAMPLES, seed: int = 0, max_presentations: int | None = None,
            outlier_z: float | None = None, **thresholds) -> Analysis:
    """Screen the raters (:func:`screen`, ``thresholds`` its keywords), then every table on the
    answers of the raters kept (the scales with ``resamples`` bootstrap resamples, seeded).

    Crowd rules (:mod:`msi.study.crowd`, each off when None): only each rater's first
    ``max_presentations`` presentations count; votes with |z| >= ``outlier_z`` among their video's
    are left out of the tables (after the screening). Both are counted per rater."""
    answers, capped = cap_presentations(answers, max_presentations)
    screening = screen(answers, **thresholds)
    kept = answers[answers["rater"].isin(screening.loc[~screening["excluded"], "rater"])]
    if outlier_z is not None:
        out = outlying_votes(kept, outlier_z)
        screening["outlier_votes"] = screening["rater"].map(kept[out].groupby("rater").size()).fillna(0).astype(int)
        kept = kept[~out]
    screening["capped"] = screening["rater"].map(capped).fillna(0).astype(int)
    thresholds = {**thresholds, "max_presentations": max_presentations, "outlier_z": outlier_z}
    scale, probability = scale_tables(kept, level, resamples=resamples, seed=seed)
    return Analysis(screening=screening, mos=mos_table(kept, level), per_video=per_video_mos(kept, questions),
                    preference=preference_table(kept, level), agreement=agreement_table(kept),
                    thresholds={"level": level, **thresholds}, dmos=mos_table(kept, level, "dcr"),
                    cmos=mos_table(kept, level, "ccr"), scale=scale, win_probability=probability)
